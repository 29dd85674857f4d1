"""The stress test (issue 14, items 2-3): golden cases worked by hand, one batch equal to one
run per target, and the interface."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import borderflow
from borderflow.model import Scenario, UsageError, apply_variant, loads
from test_policies import HEAD

DATA = Path(__file__).parent / "data"


def scenario(*parts: str, days: int = 30) -> Scenario:
    return loads(HEAD.format(days=days) + "".join(textwrap.dedent(p) for p in parts))


def row(result: borderflow.studies.StressResult, target: str) -> dict[str, object]:
    rows = result.rows.set_index("target")
    return rows.loc[target].to_dict()  # type: ignore[no-any-return]


SINGLE = """
nodes:
  p: {kind: plant, region: us, produce: {n95: {capacity: 10}}}
  s: {kind: site, region: us, stock: {n95: 100}, demand: {n95: 10}}
lanes:
  - {from: p, to: s, lead_time: 1}
"""


@pytest.mark.parametrize("allocator", ["priority", "optimal"])
def test_a_single_source_survives_its_stock_over_its_demand(allocator: str) -> None:
    """The plant is the site's only source. Out from day 0 for 20 days, the site's 100 units
    at 10 a day last days 0-9: day 10 is the first short day, TTS = 100 / 10 = 10 days. It is
    short 10 a day on days 10-19 and the plant's first shipment after recovery (made on day
    20) arrives on day 21: 11 days x 10 = 110 units lost, of 300 demanded (36.67%)."""
    r = borderflow.stress(scenario(SINGLE), target_spec="p", ttr=20, allocator=allocator,
                          optimal_tts=False)
    got = row(r, "p")
    assert got["tts_days"] == 10
    assert got["impact_units"] == pytest.approx(110.0)
    assert got["impact_pct"] == pytest.approx(100 * 110 / 300)
    assert got["exposure_index"] == 1.0
    assert got["worst_region"] == "us"


def test_a_later_start_counts_from_the_disruption() -> None:
    """Out from day 5: the site still holds its 100 units (the plant kept it full), so TTS
    is again 10 days (first short day 15)."""
    r = borderflow.stress(scenario(SINGLE), target_spec="p", ttr=20, start=5, optimal_tts=False)
    assert row(r, "p")["tts_days"] == 10


DUAL = """
nodes:
  a: {kind: plant, region: us, produce: {n95: {capacity: 20}}}
  b: {kind: plant, region: us, produce: {n95: {capacity: 20}}}
  s: {kind: site, region: us, stock: {n95: 20}, target_days: 1, demand: {n95: 10}}
lanes:
  - {from: a, to: s, lead_time: 1}
  - {from: b, to: s, lead_time: 1}
"""


def test_dual_sourcing_survives_optimally_but_not_by_the_rules() -> None:
    """Either plant alone could feed the site (20 a day for 10). The site orders up to one
    day of use (10), split over its two lanes. Day 0 it uses 10 of its 20 and needs nothing;
    day 1 it uses its last 10 and asks 5 of each plant, but plant a makes nothing: only b's 5
    arrive, on day 2, which is short by 5. TTS 2 by the rules. The optimal allocation takes
    it all from b and is never short."""
    r = borderflow.stress(scenario(DUAL), target_spec="a", ttr=20)
    got = row(r, "a")
    assert got["tts_days"] == 2
    assert pd.isna(got["tts_optimal_days"])  # survives the horizon


BAN = """
nodes:
  us-plant: {kind: plant, region: us, produce: {n95: {capacity: 50}}}
  cn-plant: {kind: plant, region: cn, produce: {n95: {capacity: 50}}}
  h: {kind: site, region: ca, stock: {n95: 30}, demand: {n95: 10}}
lanes:
  - {from: us-plant, to: h, lead_time: 1}
  - {from: cn-plant, to: h, lead_time: 1}
policies:
  - {id: ban, type: export_control, commodities: [n95], from_country: US, enabled: false}
variants:
  ban: {enable: [ban]}
"""


def test_a_border_closure_matters_only_because_of_an_export_ban() -> None:
    """China -> Canada closed for 20 days: without the ban the US plant takes over (the closed
    lane gets no orders), no shortage; with the US ban Canada has no other source and its 30
    units last 3 days."""
    free = borderflow.stress(scenario(BAN), target_spec="CN>CA", ttr=20, optimal_tts=False)
    assert row(free, "CN>CA")["impact_units"] == pytest.approx(0.0)
    assert pd.isna(row(free, "CN>CA")["tts_days"])
    banned = borderflow.stress(scenario(BAN), variant="ban", target_spec="CN>CA", ttr=20,
                               optimal_tts=False)
    got = row(banned, "CN>CA")
    assert got["tts_days"] == 3
    assert got["impact_units"] == pytest.approx(10 * 18)  # days 3-20, the next arrival day 21
    assert got["worst_region"] == "ca"


RELEASE = """
nodes:
  p: {{kind: plant, region: us, produce: {{n95: {{capacity: 10}}}}}}
  sns: {{kind: stockpile, region: us, stock: {{n95: 1000}}}}
  s: {{kind: site, region: us, stock: {{n95: 20}}, demand: {{n95: 10}}}}
lanes:
  - {{from: p, to: s, lead_time: 1}}
  - {{from: sns, to: s, lead_time: 1}}
policies:
  - {{id: release, type: stockpile_release, stockpile: sns, max_per_day: {rate}}}
"""


@pytest.mark.parametrize(("rate", "tts"), [(5, 3), (10, None)])
def test_a_stockpiles_release_sets_the_time_to_survive(rate: int, tts: int | None) -> None:
    """The plant out for 20 days, the stockpile releasing `rate` a day. At 5 a day: day 0
    uses 10 of 20 (10 left), days 1 and 2 get 5 each and use 10 (5, then 0 left), day 3 has 5
    for 10: TTS 3. At 10 a day the stockpile alone keeps the site whole: it survives."""
    r = borderflow.stress(scenario(RELEASE.format(rate=rate)), target_spec="p", ttr=20,
                          optimal_tts=False)
    got = row(r, "p")["tts_days"]
    assert (pd.isna(got) if tts is None else got == tts)


def test_one_batch_equals_one_run_per_target() -> None:
    """Every default target of the flagship (nodes and borders) in one priority batch gives,
    region by region, the unmet demand and unstaffed patient-days of a separate run of the
    scenario with that one disruption enabled."""
    s = borderflow.load("n95-2020")
    r = borderflow.stress(s, variant="history", ttr=21, optimal_tts=False)
    hist = apply_variant(s, "history")
    base = borderflow.simulate(hist).kpis.set_index(["region", "commodity"])["unmet"]
    base_care = borderflow.simulate(hist).care["unstaffed"].sum()
    regions = r.regions.set_index(["target", "region", "commodity"])["impact_units"]
    for d in r.targets:
        on = hist._carry(hist.model_copy(update={"disruptions": [
            d.model_copy(update={"enabled": True})]}))
        alone = borderflow.simulate(on)
        label = d.description or d.id
        want = alone.kpis.set_index(["region", "commodity"])["unmet"] - base
        got = regions.loc[label]
        np.testing.assert_allclose(got.reindex(want.index).to_numpy(), want.to_numpy(),
                                   rtol=1e-9, atol=1e-6, err_msg=label)
        assert row(r, label)["unstaffed_patient_days"] == pytest.approx(
            alone.care["unstaffed"].sum() - base_care, abs=1e-6)


def test_targets_reduced_as_their_days_come_give_what_their_traces_give(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """With the invariant check on, a batch runs through engine.run and is measured from its
    trace; without it, its days are reduced as they come (`engine.days`): the same numbers."""
    from borderflow.engine import allocators

    s = apply_variant(borderflow.load("n95-2020"), "history")
    checked = borderflow.stress(s, ttr=21, optimal_tts=False)
    monkeypatch.setattr(allocators, "CHECK", False)

    def no_run(*args: object, **kwargs: object) -> None:
        raise AssertionError("engine.run is on this path")

    monkeypatch.setattr(allocators, "run", no_run)
    streamed = borderflow.stress(s, ttr=21, optimal_tts=False)
    pd.testing.assert_frame_equal(streamed.rows, checked.rows, check_exact=True)
    pd.testing.assert_frame_equal(streamed.regions, checked.regions, check_exact=True)


def test_the_json_document_and_the_ranking() -> None:
    r = borderflow.stress(scenario(DUAL), target_spec="nodes,lanes", ttr=20)
    doc = r.to_json()
    assert set(doc) >= {"scenario", "variant", "allocator", "ttr_days", "rows"}
    assert doc["allocator"] == "priority" and doc["ttr_days"] == 20
    keys = {"target", "kind", "tts_days", "impact_units", "impact_pct", "exposure_index",
            "worst_region"}
    assert all(keys <= set(x) for x in doc["rows"])
    index = [x["exposure_index"] for x in doc["rows"]]
    assert index == sorted(index, reverse=True) and max(index) == 1.0
    assert {x["kind"] for x in doc["rows"]} == {"node", "lane"}


@pytest.mark.parametrize(("spec", "message"), [
    ("plant-x", "unknown target 'plant-x'"),
    ("US>XX", "unknown target 'US>XX'"),
    ("", "names no target"),
])
def test_unknown_targets_are_usage_errors(spec: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        borderflow.stress(scenario(DUAL), target_spec=spec)


def test_a_scenario_disruption_is_a_target_with_its_own_ttr() -> None:
    """Named by id, a disruption of the scenario runs as written (7 days from day 2, the
    plant at half capacity), switched off in the undisrupted run."""
    s = scenario(SINGLE, """
    disruptions:
      - {id: fire, node: p, start: 2, days: 7, capacity_factor: 0}
    """)
    r = borderflow.stress(s, target_spec="fire", optimal_tts=False)
    got = row(r, "fire")
    assert got["ttr_days"] == 7
    assert pd.isna(got["tts_days"])  # 100 units last the 7 days
    assert r.ttr_days is None


def bf(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "borderflow.cli", *args], capture_output=True,
                          text=True, cwd=cwd, timeout=300)


def test_cli_table_json_folder_report_and_catalogue(tmp_path: Path) -> None:
    path = tmp_path / "dual.yaml"
    path.write_text(HEAD.format(days=30) + textwrap.dedent(DUAL))
    proc = bf("stress", str(path), "--ttr", "20", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "stress test, TTR 20 days from day 0" in proc.stdout
    assert "survives" in proc.stdout  # the optimal allocation's TTS when a goes down
    doc = json.loads(bf("stress", str(path), "--ttr", "20", "--json", cwd=tmp_path).stdout)
    assert doc["scenario"] == "golden" and doc["allocator"] == "priority"
    assert [r["target"] for r in doc["rows"]][:2] in (["a", "b"], ["b", "a"])
    assert doc["rows"][0]["tts_days"] == 2 and doc["rows"][0]["tts_optimal_days"] is None
    folder = tmp_path / "st"
    proc = bf("stress", str(path), "--ttr", "20", "--out", str(folder), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert {p.name for p in folder.iterdir()} == {"stress.parquet", "stress_regions.parquet",
                                                   "stress.json", "report.html", "manifest.json"}
    html = (folder / "report.html").read_text()
    assert "Targets, most exposed first" in html and "Who is hurt" in html
    before = (folder / "report.html").read_bytes()
    rebuilt = bf("report", str(folder), cwd=tmp_path)
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert (folder / "report.html").read_bytes() == before  # rebuilt from the folder alone
    rows = bf("query", "select target, exposure_index from stress order by target",
              "--format", "json", cwd=tmp_path)
    assert rows.returncode == 0, rows.stderr
    assert [r["target"] for r in json.loads(rows.stdout)] == ["a", "b"]
    bad = bf("stress", str(path), "--targets", "c", cwd=tmp_path)
    assert bad.returncode == 2 and "--targets" in bad.stderr and "Traceback" not in bad.stderr


def test_the_published_disruption_risk_case_is_reproduced() -> None:
    """acedesci/scanalytics_cases, Case 3.1 (tests/data/scanalytics-case3-1.yaml says how the
    case is laid out): losses 0 (no disruption, our undisrupted run), 0 (S1 down), 125,000
    (S2) and 275,000 (S3); exposure 0, 0.455 and 1.000; every lost unit is P1, the cheaper.
    Their TTS in periods of demand is 2.25, 1.29 and 0.9: the whole periods survived are 2
    (beyond the TTR: survives), 1 and 0, here counted after the two days without demand."""
    r = borderflow.stress(DATA / "scanalytics-case3-1.yaml", target_spec="s1,s2,s3", ttr=2,
                          allocator="optimal")
    assert r.basis == "cost"
    rows = r.rows.set_index("target")
    assert rows["impact_cost"].to_dict() == pytest.approx({"s1": 0.0, "s2": 125_000.0,
                                                           "s3": 275_000.0}, abs=1e-3)
    assert rows["exposure_index"].round(3).to_dict() == {"s1": 0.0, "s2": 0.455, "s3": 1.0}
    assert rows["impact_units"].to_dict() == pytest.approx({"s1": 0, "s2": 25, "s3": 55},
                                                           abs=1e-6)
    lost = r.regions.set_index(["target", "commodity"])["impact_units"]
    assert lost[("s3", "p2")] == pytest.approx(0.0, abs=1e-6)
    assert pd.isna(rows.loc["s1", "tts_days"])
    assert [int(rows.loc[t, "tts_days"]) - 2 for t in ("s2", "s3")] == [1, 0]


def _same_rows(a: pd.DataFrame, b: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True),
                                  check_exact=False, rtol=1e-7, atol=1e-6)


@pytest.mark.parametrize("case", ["dual", "ban", "scanalytics", "flagship"])
def test_warm_started_lps_give_what_fresh_ones_give(case: str) -> None:
    """Each target's LP re-solved from the undisrupted basis (engine.warm) gives the table
    fresh builds and solves give. On the flagship, conservation days move with some targets
    (us-distributor, fema): those LPs are built afresh, the others (cn-makers, CA>US) warm.
    There the optimum is not unique: which region loses the units lost is one of several
    equally good answers, so the flagship's totals agree and their split may not (the warm
    one stays closer to the undisrupted split: docs/stress.md)."""
    args: dict[str, object] = {"allocator": "optimal"}
    if case == "dual":
        s: Scenario | Path = scenario(DUAL)
        args.update(target_spec="nodes,lanes", ttr=20)
    elif case == "ban":
        s = scenario(BAN)
        args.update(target_spec="nodes,borders", ttr=20)
    elif case == "scanalytics":
        s = DATA / "scanalytics-case3-1.yaml"
        args.update(target_spec="s1,s2,s3", ttr=2)
    else:
        s = apply_variant(borderflow.load("n95-2020"), "history")
        args.update(target_spec="us-distributor,fema,cn-makers,CA>US", ttr=21)
    warm = borderflow.stress(s, **args)  # type: ignore[arg-type]
    fresh = borderflow.stress(s, warm_start=False, **args)  # type: ignore[arg-type]
    if case != "flagship":
        _same_rows(warm.rows, fresh.rows)
        _same_rows(warm.regions, fresh.regions)
        return
    _same_rows(warm.rows.drop(columns="worst_region"), fresh.rows.drop(columns="worst_region"))
    by_target = [r.regions.groupby("target")["impact_units"].sum() for r in (warm, fresh)]
    pd.testing.assert_series_equal(*by_target, rtol=1e-7, atol=1e-3)


def test_the_warm_model_solves_only_what_differs_in_bounds() -> None:
    """engine.warm: the objective of a fresh solve where only bounds differ; None where the
    disruption moves the conservation days the LP's demand is fixed by."""
    from borderflow.engine import compile_network, warm
    from borderflow.engine.optimal import build, solve
    from borderflow.studies.stresstest import _enabled, targets

    hist = apply_variant(borderflow.load("n95-2020"), "history")
    chosen = targets(hist, "cn-makers,us-distributor", 21)
    s = hist._carry(hist.model_copy(update={"disruptions": chosen}))
    model = warm(compile_network(s))
    assert model.base is not None
    makers, distributor = (compile_network(_enabled(s, d)) for d in chosen)
    got = model.solve(makers)
    assert got is not None and got.objective > model.base.objective * (1 + 1e-6)
    assert got.objective == pytest.approx(solve(build(makers), makers).objective, rel=1e-9)
    assert model.solve(distributor) is None
    again = model.solve(compile_network(s))  # the bounds went back: the undisrupted optimum
    assert again is not None and again.objective == pytest.approx(model.base.objective, rel=1e-12)


def test_a_shorter_horizon_has_the_whole_horizons_demand() -> None:
    """The time to survive's h-day LPs serve the demand of the scenario's first h days: an
    epidemic CHIME fits over the horizon (the flagship's) keeps the whole horizon's fit."""
    from borderflow.engine import compile_network
    from borderflow.studies.stresstest import _cut

    hist = apply_variant(borderflow.load("n95-2020"), "history")
    whole = compile_network(hist).demand
    for h in (10, 45):
        assert np.array_equal(compile_network(_cut(hist, h)).demand, whole[:h])
    assert not np.array_equal(compile_network(hist.model_copy(update={"days": 10})).demand,
                              whole[:10])  # what a plain cut would serve


ORDERED = """
nodes:
  a: {kind: plant, region: us, produce: {n95: {capacity: 20}}}
  b: {kind: plant, region: us, produce: {n95: {capacity: 20}}}
  s: {kind: site, region: us, stock: {n95: 20}, target_days: 1, demand: {n95: 10}}
  f: {kind: stockpile, region: us}
lanes:
  - {from: a, to: s, lead_time: 1}
  - {from: b, to: s, lead_time: 1}
  - {from: a, to: f, lead_time: 2}
  - {from: b, to: f, lead_time: 1}
policies:
  - {id: now, type: rated_order, supplier: a, buyer: f, commodity: n95, quantity: 150,
     rating: DO, due: 12, schedule: asap}
  - {id: later, type: rated_order, supplier: b, buyer: f, commodity: n95, quantity: 300,
     rating: DX, start: 3, due: 40, schedule: even}
"""


def test_the_warm_model_stands_for_every_shorter_horizon() -> None:
    """engine.warm's whole-horizon LP, with the costs from day h on set to 0 and the rated
    orders asked for what an h-day LP asks of them, has the h-day LP's optimum (what the time
    to survive's bisection asks): the same objective for every h, in any order, undisrupted
    and with a plant out. The orders: one due within the horizon (all of it within h days
    when h comes first), one due after it (an even share)."""
    from borderflow.engine import compile_network, warm
    from borderflow.engine.optimal import build, solve
    from borderflow.studies.stresstest import _cut, _enabled, targets

    base = scenario(ORDERED, days=30)
    chosen = targets(base, "a", 15, start=4)
    s = base._carry(base.model_copy(update={"disruptions": chosen}))
    model = warm(compile_network(s))
    out = _enabled(s, chosen[0])
    cases = [(s, compile_network(s)), (out, compile_network(out))]
    hs = list(range(1, s.days + 1))
    for h in hs[::-1] + hs:  # each from the whole horizon's basis, whichever came before
        for scen, own in cases:
            got = model.solve(own, h)
            cut = compile_network(_cut(scen, h))
            assert got is not None
            assert got.objective == pytest.approx(solve(build(cut), cut).objective, rel=1e-9,
                                                  abs=1e-9), (scen.name, h)
    with pytest.raises(ValueError, match="cannot stand for"):
        model.solve(cases[0][1], s.days + 1)


@pytest.mark.parametrize("allocator", ["priority", "optimal"])
def test_two_workers_give_what_one_gives(allocator: str) -> None:
    s = apply_variant(borderflow.load("n95-2020"), "history")
    spec = "nodes,borders" if allocator == "priority" else "3m-aberdeen,cn-makers,CN>US,fema"
    one = borderflow.stress(s, target_spec=spec, allocator=allocator, optimal_tts=False)
    two = borderflow.stress(s, target_spec=spec, allocator=allocator, optimal_tts=False,
                            workers=2)
    pd.testing.assert_frame_equal(one.rows, two.rows, check_exact=True)
    pd.testing.assert_frame_equal(one.regions, two.regions, check_exact=True)


def test_a_cut_network_takes_its_conservation_days_from_the_whole_run() -> None:
    """What `optimal.conservation_from` gives an h-day network's LP is what running it gives;
    a network that is not the first days of the other is refused."""
    from borderflow.engine import compile_network
    from borderflow.engine.optimal import conservation_from, lp_demand
    from borderflow.studies.stresstest import _cut

    hist = apply_variant(borderflow.load("n95-2020"), "history")
    whole = compile_network(hist)
    conserving = lp_demand(whole)[1]
    assert conserving.any() and not conserving.all()  # (the LP's demand depends on the run)
    for h in (20, 60):
        ran, given = compile_network(_cut(hist, h)), compile_network(_cut(hist, h))
        conservation_from(given, whole)
        for a, b in zip(lp_demand(ran), lp_demand(given), strict=True):
            assert np.array_equal(a, b)
        assert np.array_equal(lp_demand(given)[1], conserving[:h])
    other = compile_network(hist.model_copy(update={"days": 20}))  # CHIME re-fit over 20 days
    with pytest.raises(ValueError, match="not the first days"):
        conservation_from(other, whole)
