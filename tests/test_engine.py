"""The engine's API: stepping, frozen records, trace shapes, built-in scenarios, horizons, variants."""

from __future__ import annotations

import dataclasses
import warnings
from dataclasses import fields

import numpy as np
import pytest

import borderflow
from borderflow import ScenarioError
from borderflow.engine import DayRecord, Simulator, Trace, compile_network, violations
from borderflow.model import apply_variant, builtin_names, load, loads
from borderflow.model.checks import check
from borderflow.results.kpis import KPI_COLUMNS


@pytest.fixture(scope="module")
def two_country() -> borderflow.Scenario:
    return load("two-country")


def _ontario_unmet(result: borderflow.Result) -> float:
    kpis = result.kpis
    return float(kpis.loc[(kpis["region"] == "on") & (kpis["commodity"] == "n95"), "unmet"].iloc[0])


def test_days_without_reasons_are_the_days_with_them_but_the_reasons() -> None:
    """engine.days leaves out the shortfall reasons (no KPI reads them): every other field of
    every day is the same to the bit, on the flagship with its quotas, claims and a disruption
    per sample; such records make no trace."""
    from borderflow.engine import Sampled
    from borderflow.studies.stresstest import targets

    hist = apply_variant(load("n95-2020"), "history")
    chosen = targets(hist, "cn-makers,us-distributor,CA>US", 14)
    s = hist._carry(hist.model_copy(update={"disruptions": chosen}))
    net = compile_network(s)
    picked = np.array([-1, 0, 1, 2], dtype=np.intp)
    both = [Simulator(net, 4, Sampled(disruption=picked), reasons=r) for r in (True, False)]
    seen = 0
    while not both[0].done:
        full, lean = (sim.step() for sim in both)
        assert lean.reason is None and full.reason is not None
        seen += int((full.reason >= 0).sum())
        for f in fields(DayRecord):
            if f.name != "reason":
                np.testing.assert_array_equal(getattr(lean, f.name), getattr(full, f.name))
    assert seen > 0  # some arcs were short, for reasons the lean run skipped
    lean_sim = Simulator(net, 4, Sampled(disruption=picked), reasons=False)
    with pytest.raises(ValueError, match="reasons"):
        lean_sim.run()
    with pytest.raises(ValueError, match="reasons"):
        Trace.stack([lean_sim.step()])


def test_step_after_the_horizon_raises(two_country: borderflow.Scenario) -> None:
    net = compile_network(two_country.model_copy(update={"days": 3}))
    sim = Simulator(net)
    assert [sim.step().day for _ in range(3)] == [0, 1, 2]
    assert sim.done
    with pytest.raises(RuntimeError, match="horizon"):
        sim.step()
    with pytest.raises(RuntimeError):
        sim.step()  # and it stays over


def test_day_records_and_traces_are_read_only(two_country: borderflow.Scenario) -> None:
    net = compile_network(two_country)
    sim = Simulator(net)
    record = sim.step()
    for f in fields(DayRecord):
        value = getattr(record, f.name)
        if isinstance(value, np.ndarray):
            assert not value.flags.writeable, f.name
            with pytest.raises(ValueError, match="read-only"):
                value[...] = 0.0
    with pytest.raises(dataclasses.FrozenInstanceError):
        record.day = 5  # type: ignore[misc]
    stock_before = record.stock.copy()
    sim.step()  # the next day must not write into the record handed out before
    assert np.array_equal(record.stock, stock_before)
    trace = Simulator(net).run()
    for f in fields(Trace):
        array = getattr(trace, f.name)
        assert not array.flags.writeable, f.name
        with pytest.raises(ValueError, match="read-only"):
            array[...] = 0.0


def test_trace_shapes(two_country: borderflow.Scenario) -> None:
    net = compile_network(two_country)
    T, B, N, C = 60, 2, 8, 2
    R = 2  # media at the mill, n95 at the mask plant
    A = 7  # seven lanes, one commodity each (media on the mill's lane, n95 on the others)
    assert (net.days, *net.shape) == (T, N, C)
    assert (net.rec_node.size, net.arc_src.size) == (R, A)
    trace = Simulator(net, batch=B).run()
    for name in ("stock", "in_transit", "demand", "served"):
        assert getattr(trace, name).shape == (T, B, N, C), name
    assert trace.produced.shape == (T, B, R)
    assert trace.requested.shape == trace.shipped.shape == (T, B, A)
    assert trace.unmet.shape == (T, B, N, C)
    assert np.array_equal(trace.unmet, trace.demand - trace.served)
    record = Simulator(net, batch=B).step()
    assert record.stock.shape == (B, N, C) and record.shipped.shape == (B, A)


def test_builtin_scenarios_and_their_variants_compile_without_errors() -> None:
    names = builtin_names()
    assert "two-country" in names
    for name in names:
        scenario = load(name)
        assert check(scenario) == [], name
        for variant in [None, *scenario.variants]:
            s = apply_variant(scenario, variant)
            assert check(s) == [], (name, variant)
            net = compile_network(s)
            assert violations(net, Simulator(net).run()) == [], (name, variant)


def test_days_shortens_the_horizon_without_changing_the_days_it_keeps() -> None:
    full = borderflow.simulate("two-country")
    short = borderflow.simulate("two-country", days=10)
    assert short.days == 10 and short.scenario.days == 10
    assert full.days == 60
    for f in fields(Trace):
        assert np.array_equal(getattr(short.trace, f.name), getattr(full.trace, f.name)[:10]), f.name
    assert short.sites["day"].max() == 9
    early = full.flows[full.flows["day"] < 10].reset_index(drop=True)
    assert early.equals(short.flows)
    assert list(short.kpis.columns) == KPI_COLUMNS
    assert short.kpis["demand"].sum() < full.kpis["demand"].sum()
    for bad in (0, 61, -3):
        with pytest.raises(ScenarioError, match="days"):
            borderflow.simulate("two-country", days=bad)


def test_narrow_border_leaves_ontario_worse_off_than_as_written() -> None:
    base = borderflow.simulate("two-country")
    written = borderflow.simulate("two-country", variant="as-written")
    narrow = borderflow.simulate("two-country", variant="narrow-border")
    bigger = borderflow.simulate("two-country", variant="bigger-plant")
    # as-written changes nothing
    for f in fields(Trace):
        assert np.array_equal(getattr(base.trace, f.name), getattr(written.trace, f.name)), f.name
    # the narrower lane binds, and Ontario (across the border) is short of more
    cross = narrow.flows[(narrow.flows["from"] == "mask-plant") & (narrow.flows["to"] == "on-distributor")]
    assert cross["quantity"].max() == pytest.approx(1500)
    assert (cross["quantity"] <= 1500 + 1e-9).all()
    wide = base.flows[(base.flows["from"] == "mask-plant") & (base.flows["to"] == "on-distributor")]
    assert wide["quantity"].max() > 1500
    assert _ontario_unmet(narrow) > _ontario_unmet(written) > 0
    # a bigger plant never leaves Ontario short of more
    assert _ontario_unmet(bigger) <= _ontario_unmet(written) + 1e-9
    assert bigger.trace.produced.sum() >= base.trace.produced.sum()  # media (60 kg/day) binds
    for r in (base, narrow, bigger):
        assert r.violations() == []
        assert r.balance_error <= 1e-9 * 1e6


def test_result_tables_have_the_contracted_columns(two_country: borderflow.Scenario) -> None:
    r = borderflow.simulate(two_country, days=5)
    assert list(r.flows.columns) == ["day", "date", "from", "to", "commodity", "quantity",
                                     "rejected"]
    assert list(r.stocks.columns) == ["day", "node", "commodity", "stock", "in_transit"]
    assert list(r.sites.columns) == ["day", "node", "region", "commodity", "demand", "served", "unmet",
                                     "backlog", "normal_demand", "substituted", "stock", "days_of_supply"]
    assert list(r.kpis.columns) == KPI_COLUMNS
    assert (r.flows["quantity"] > 0).all()


def test_an_unknown_allocator_is_refused(two_country: borderflow.Scenario) -> None:
    with pytest.raises(ValueError, match="allocator"):
        borderflow.simulate(two_country, allocator="clairvoyant")


TINY = """\
format: 1
name: tiny
start: 2020-04-01
days: 2
commodities: {x: {unit: u}}
regions: {r: {country: US}}
nodes:
  w: {kind: warehouse, region: r, stock: {x: 1}}
  s: {kind: site, region: r, demand: {x: 1.0e-310}}
lanes:
  - {from: w, to: s, lead_time: 1}
"""


def test_tiny_quantities_raise_no_warning() -> None:
    """A site asking for 7 x 1e-310 of a supplier holding 1: the shipment is the request (no
    scarcity), but np.where evaluates 1 / 7e-310 and numpy warns of an overflow."""
    scenario = loads(TINY)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = borderflow.simulate(scenario)
    assert float(result.trace.shipped[0, 0, 0]) == pytest.approx(7e-310, rel=1e-6, abs=0)


SHORT_VARIANT = """\
format: 1
name: short
start: 2020-04-01
days: 30
commodities: {x: {unit: u}}
regions: {r: {country: US}}
nodes:
  s: {kind: site, region: r, stock: {x: 100}, demand: {x: 10}}
variants:
  short: {set: {days: 5}}
"""


def test_days_cannot_lengthen_a_variants_horizon() -> None:
    scenario = loads(SHORT_VARIANT)
    assert borderflow.simulate(scenario, variant="short").days == 5
    with pytest.raises(ScenarioError, match="days"):
        borderflow.simulate(scenario, variant="short", days=20)


def test_a_sample_alone_is_bit_for_bit_the_same_in_a_batch() -> None:
    """Sweeps promise sample k the same whatever the chunk size: no sum may pair days up
    differently for a batch of one (the flagship's moving averages once did)."""
    from borderflow.engine import Sampled

    net = compile_network(load("n95-2020"))
    rng = np.random.default_rng(1)
    demand = net.demand[None] * rng.uniform(0.8, 1.2, size=(3, 1, 1, 1))
    batch = Simulator(net, 3, Sampled(demand=demand)).run()
    for b in range(3):
        alone = Simulator(net, 1, Sampled(demand=demand[b:b + 1])).run()
        for name in ("stock", "in_transit", "served", "requested", "allowed", "shipped"):
            assert np.array_equal(getattr(alone, name)[:, 0], getattr(batch, name)[:, b]), name
