"""Properties of the priority engine over random valid scenarios (see strategies.py)."""

from __future__ import annotations

import json
from dataclasses import fields
from typing import Any

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import borderflow
from borderflow.engine import Network, Simulator, Trace, compile_network, mass_balance, violations
from borderflow.model import Scenario, loads
from strategies import inventory_scenarios, scenarios, scenarios_with_policies

SETTINGS = settings(max_examples=150, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
RTOL = 1e-9


def _scale(net: Network, trace: Trace) -> float:
    """Everything that entered the network: the yardstick of relative errors."""
    made = float(trace.produced.sum()) if trace.produced.size else 0.0
    return max(1.0, float(net.stock0.sum()) + made)


def _pair_flows(net: Network, trace: Trace) -> tuple[np.ndarray[Any, Any], ...]:
    """[T, B, N*C] arrivals (by due day; the lane's yield of what it carried), shipments out,
    made, inputs used, from the trace."""
    T, B = trace.shipped.shape[:2]
    N, C = net.shape
    arrive = np.zeros((T, B, N * C))
    out = np.zeros((T, B, N * C))
    made = np.zeros((T, B, N * C))
    used = np.zeros((T, B, N * C))
    for a in range(net.arc_src.size):
        src = net.arc_src[a] * C + net.arc_com[a]
        dst = net.arc_dst[a] * C + net.arc_com[a]
        lead = int(net.arc_lead[a])
        out[:, :, src] += trace.shipped[:, :, a]
        if lead < T:
            arrive[lead:, :, dst] += trace.shipped[: T - lead, :, a] * net.arc_yield[a]
    for r in range(net.rec_node.size):
        made[:, :, net.rec_node[r] * C + net.rec_com[r]] += trace.produced[:, :, r]
        for c in range(C):
            used[:, :, net.rec_node[r] * C + c] += trace.produced[:, :, r] * net.rec_inputs[r, c]
    return arrive, out, made, used


@SETTINGS
@given(scenarios)
def test_invariants_hold(scenario: Scenario) -> None:
    net = compile_network(scenario)
    trace = Simulator(net).run()
    assert violations(net, trace) == []
    tol = RTOL * _scale(net, trace)
    assert trace.stock.min(initial=0.0) >= -tol
    assert trace.in_transit.min(initial=0.0) >= -tol
    assert trace.shipped.min(initial=0.0) >= -tol
    # mass balance, computed here rather than trusted from the engine
    T = trace.stock.shape[0]
    C = len(net.commodities)
    made = trace.produced.sum(axis=0)  # [B, R]
    produced = np.zeros((1, C))
    inputs = np.zeros((1, C))
    for r in range(net.rec_node.size):
        produced[:, net.rec_com[r]] += made[:, r]
        inputs += made[:, r][:, None] * net.rec_inputs[r][None, :]
    rejected = np.zeros((1, C))  # what a lane's yield turned away on arrival
    for a in range(net.arc_src.size):
        rejected[:, net.arc_com[a]] += trace.shipped[:, :, a].sum(axis=0) * (1 - net.arc_yield[a])
    # what substitutes covered came from their `use`'s stock (ratio a unit), not `for`'s
    for q in range(net.sub_ratio.size):
        covered = trace.substituted[:, :, q].sum(axis=0)
        produced[:, net.sub_for[q]] += covered
        inputs[:, net.sub_use[q]] += covered * net.sub_ratio[q]
    balance = (net.stock0.sum(axis=0)[None, :] + produced - inputs - trace.served.sum(axis=(0, 2))
               - rejected - trace.stock[T - 1].sum(axis=1) - trace.in_transit[T - 1].sum(axis=1))
    assert np.abs(balance).max(initial=0.0) <= tol
    assert np.abs(mass_balance(net, trace)).max(initial=0.0) <= tol
    # no flow above a lane's capacity (nor a closed stockpile lane), never more than requested
    assert (trace.shipped - net.arc_cap[None, None, :]).max(initial=0.0) <= tol
    assert (trace.shipped - trace.requested).max(initial=0.0) <= tol
    stockpile = np.array([net.kinds[s] == "stockpile" for s in net.arc_src], dtype=bool)
    assert np.abs(trace.shipped[:, :, stockpile]).max(initial=0.0) == 0.0
    # sites serve what they can, never more than their demand
    assert (trace.served - trace.demand).max(initial=0.0) <= tol


@SETTINGS
@given(scenarios)
def test_every_pair_balances_every_day_and_arrives_on_lead_time(scenario: Scenario) -> None:
    """stock[t] = stock[t-1] + arrivals due t + made - inputs used - served - shipped out (what
    substitutes covered served from their commodity's stock, ratio a unit), and
    in_transit[t] is what was shipped towards the pair (less what its lane's yield rejects)
    and is not yet due."""
    net = compile_network(scenario)
    trace = Simulator(net).run()
    T, B = trace.stock.shape[:2]
    N, C = net.shape
    tol = RTOL * _scale(net, trace)
    arrive, out, made, used = _pair_flows(net, trace)
    stock = trace.stock.reshape(T, B, N * C)
    before = np.concatenate([net.stock0.reshape(1, 1, -1).repeat(B, axis=1), stock[:-1]])
    served = trace.served.reshape(T, B, N * C).copy()
    for q in range(net.sub_ratio.size):  # substitutes serve from their `use`'s stock
        served[:, :, net.sub_node[q] * C + net.sub_for[q]] -= trace.substituted[:, :, q]
        served[:, :, net.sub_node[q] * C + net.sub_use[q]] += \
            trace.substituted[:, :, q] * net.sub_ratio[q]
    expected = before + arrive + made - used - served - out
    assert np.abs(stock - expected).max(initial=0.0) <= tol
    shipped_in = np.zeros((T, B, N * C))
    for a in range(net.arc_src.size):
        shipped_in[:, :, net.arc_dst[a] * C + net.arc_com[a]] += trace.shipped[:, :, a] * \
            net.arc_yield[a]
    transit = np.cumsum(shipped_in, axis=0) - np.cumsum(arrive, axis=0)
    assert np.abs(trace.in_transit.reshape(T, B, N * C) - transit).max(initial=0.0) <= tol


def _assert_same(a: Trace, b: Trace) -> None:
    for f in fields(Trace):
        x, y = getattr(a, f.name), getattr(b, f.name)
        assert x.shape == y.shape, f.name
        assert np.array_equal(x, y), f.name


@SETTINGS
@given(scenarios)
def test_stepping_then_stacking_equals_run(scenario: Scenario) -> None:
    net = compile_network(scenario)
    sim = Simulator(net)
    records = []
    for day in range(net.days):
        record = sim.step()
        assert record.day == day
        records.append(record)
    assert sim.done
    _assert_same(Trace.stack(records), Simulator(net).run())


@SETTINGS
@given(scenarios)
def test_runs_are_deterministic_and_leave_the_scenario_alone(scenario: Scenario) -> None:
    before = scenario.model_dump()
    first = borderflow.simulate(scenario)
    assert scenario.model_dump() == before
    second = borderflow.simulate(scenario)
    assert scenario.model_dump() == before
    _assert_same(first.trace, second.trace)
    assert first.flows.equals(second.flows)
    assert first.kpis.equals(second.kpis)


@SETTINGS
@given(scenarios)
def test_a_batch_of_identical_samples_matches_one_sample(scenario: Scenario) -> None:
    net = compile_network(scenario)
    one = Simulator(net, batch=1).run()
    three = Simulator(net, batch=3).run()
    for f in fields(Trace):
        x, y = getattr(one, f.name), getattr(three, f.name)
        assert y.shape[1] == 3, f.name
        for b in range(3):
            assert np.array_equal(y[:, b], x[:, 0]), (f.name, b)


@settings(max_examples=40, deadline=None)
@given(scenarios)
def test_generated_scenarios_pass_the_yaml_loader(scenario: Scenario) -> None:
    """The strategy's scenarios are valid as files too (JSON is YAML), and load back the same."""
    text = json.dumps(scenario.model_dump(mode="json", by_alias=True, exclude_none=True))
    assert loads(text).model_dump() == scenario.model_dump()


@SETTINGS
@given(st.one_of(scenarios_with_policies(), inventory_scenarios), st.floats(0.0, 1.0),
       st.integers(0, 10_000), st.integers(0, 6), st.integers(1, 20))
def test_a_run_cut_short_is_the_first_days_of_the_whole_run(
        scenario: Scenario, cut: float, pick: int, start: int, ttr: int) -> None:
    """A day depends only on the days before it (retaliations, conservation, forecasts, rated
    orders' schedules, disruptions): the scenario cut to its first h days (as a stress test's
    horizons cut it) runs as the whole scenario's first h days, to the bit. The stress test
    takes an h-day LP's conservation days from the whole run on the strength of it
    (`optimal.conservation_from`)."""
    from borderflow.studies.stresstest import _cut, _enabled, targets

    chosen = targets(scenario, "nodes,lanes,borders", ttr, start % scenario.days)
    if chosen:  # one of them down, as in a stress test
        scenario = _enabled(scenario._carry(scenario.model_copy(update={"disruptions": chosen})),
                            chosen[pick % len(chosen)])
    h = max(1, round(cut * scenario.days))
    whole = Simulator(compile_network(scenario)).run()
    first = Simulator(compile_network(_cut(scenario, h))).run()
    for f in fields(Trace):
        assert np.array_equal(getattr(whole, f.name)[:h], getattr(first, f.name)), (f.name, h)
