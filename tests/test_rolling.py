"""The optimal allocator over a rolling horizon (engine/rolling.py): solve W days, keep K, roll.

What is proved here. Every rolling allocation is a feasible point of the full-horizon LP (its
flows obey every capacity, block and quota; its stock is re-derived from them; the rated-order
and airlift slacks take the residual shortfalls), so the full-horizon LP is a relaxation of the
rolling plan and its optimum is a lower bound on the rolling plan's *objective* (priority-
weighted unmet demand plus penalised shortfalls plus transport cost). Unmet demand alone is
not ordered that way: a rolling plan can leave less demand unmet by falling short on a rated
order, or less unweighted demand by serving a low-priority site.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import borderflow
from borderflow.engine import compile_network
from borderflow.engine import optimal as lp
from borderflow.engine import rolling as rl
from borderflow.model import Scenario, ScenarioError
from strategies import scenarios_with_policies
from test_cli import bf


def full_optimum(net: borderflow.engine.Network) -> float:
    return lp.solve(lp.build(net), net).objective


@pytest.fixture(scope="module")
def flagship() -> borderflow.engine.Network:
    return compile_network(borderflow.load("n95-2020"))


def test_a_window_covering_the_horizon_is_the_full_optimum(flagship: borderflow.engine.Network) -> None:
    best = full_optimum(flagship)
    for window in (flagship.days, 500):
        stats = rl.Stats()
        trace = rl.rolling(flagship, window, 7, stats=stats)
        assert stats.windows == 1
        assert lp.objective(flagship, trace)["total"] == pytest.approx(best, rel=1e-9)
    rolled = borderflow.simulate("n95-2020", allocator="optimal", window=500, commit=7)
    full = borderflow.simulate("n95-2020", allocator="optimal")
    assert rolled.rolling == (98, 7)
    # the total, not each region's: regions of equal priority can share a shortage either way
    assert rolled.kpis["unmet"].sum() == pytest.approx(full.kpis["unmet"].sum(), rel=1e-9)


def test_flagship_at_30_7_matches_the_full_horizon(flagship: borderflow.engine.Network) -> None:
    # the figure benchmarks/README.md reports: no gap at W=30, K=7 (9e-8 relative)
    r = borderflow.simulate("n95-2020", allocator="optimal", window=30, commit=7)
    assert r.violations() == []
    # the DPA orders on pace: the one due within the horizon on time, the other still pending
    assert set(r.orders["status"]) == {"on_time", "pending"}
    assert r.orders.loc[r.orders["status"] == "on_time", "shortfall"].sum() == \
        pytest.approx(0.0, abs=1e-3)
    best = full_optimum(flagship)
    ours = lp.objective(flagship, r.trace)["total"]
    assert best - 1e-6 * best <= ours <= best * (1 + 1e-4)
    assert r.summary()["rolling"] == {"window": 30, "commit": 7}


def test_updating_one_model_solves_the_same_windows_as_fresh_models(
        flagship: borderflow.engine.Network, monkeypatch: pytest.MonkeyPatch) -> None:
    # Each window of the updated model is also loaded into a fresh HiGHS from the same state
    # and solved cold: the same optimum, so the updates set every bound, right-hand side and
    # cost a fresh model gets.
    pairs: list[tuple[float, float]] = []
    solve = rl._solve

    def both(h: Any, tpl: rl.Template, bounds: Any, net: Any, t0: int, options: Any,
             stats: rl.Stats) -> Any:
        sol = solve(h, tpl, bounds, net, t0, options, stats)
        last = t0 + tpl.net.days >= net.days
        fresh = rl._load(tpl, tpl.lp.cost if last else rl.terminal_cost(net, tpl), bounds,
                         options)
        fresh.run()
        pairs.append((h.getInfo().objective_function_value,
                      fresh.getInfo().objective_function_value))
        return sol

    monkeypatch.setattr(rl, "_solve", both)
    stats = rl.Stats()
    rl.rolling(flagship, 21, 7, stats=stats)
    assert len(pairs) == stats.windows == 12
    for updated, fresh in pairs:
        assert updated == pytest.approx(fresh, rel=1e-9)
    assert stats.retries == 0  # no window needed a second attempt
    monkeypatch.undo()
    cold = rl.Stats()
    rl.rolling(flagship, 21, 7, reuse=False, stats=cold)
    assert stats.iterations < cold.iterations  # the warm start is what the reuse buys


# --- golden case: a ban beyond the window ----------------------------------------------------


def ban_ahead() -> Scenario:
    """A US depot holds 100; a Canadian clinic uses 10 a day for 12 days, 1 day away; a US
    export ban closes the lane from day 5. The best plan ships everything on days 0-4: the
    clinic is served on days 1-10, 20 unmet (day 0, and day 11 when the 100 are gone)."""
    return Scenario.model_validate({
        "format": 1, "name": "ban-ahead", "start": dt.date(2020, 4, 1), "days": 12,
        "commodities": {"n95": {"unit": "respirator"}},
        "regions": {"us": {"country": "US"}, "ca": {"country": "CA"}},
        "nodes": {"depot": {"kind": "warehouse", "region": "us", "stock": {"n95": 100}},
                  "clinic": {"kind": "site", "region": "ca", "demand": {"n95": 10}}},
        "lanes": [{"from": "depot", "to": "clinic", "lead_time": 1}],
        "policies": [{"id": "ban", "type": "export_control", "start": 5, "from_country": "US",
                      "to_countries": ["CA"], "commodities": "*", "action": "ban"}]})


@pytest.mark.parametrize(("window", "commit", "unmet"), [
    # K=1: the last window before the ban starts on day 4 and sees demand up to day 3+W, so it
    # ships for days 5..3+W only: served days 1..3+W, unmet 120 - 10(3+W) = 90 - 10W (W <= 7)
    (3, 1, 60.0), (5, 1, 40.0), (6, 1, 30.0), (7, 1, 20.0), (12, 1, 20.0),
    # K=W=3: windows [0,3), [3,6), ...: the first ships nothing on day 2 (it would land on day
    # 3, after the window), so day 3 goes unmet; the second ships for days 4-5; served 1,2,4,5
    (3, 3, 80.0),
])
def test_a_myopic_window_does_not_stock_up_before_a_ban(window: int, commit: int,
                                                         unmet: float) -> None:
    net = compile_network(ban_ahead())
    assert full_optimum(net) == pytest.approx(20 + 100 * lp.EPS, rel=1e-12)
    got = lp.objective(net, rl.rolling(net, window, commit))
    assert got["weighted_unmet"] == pytest.approx(unmet, abs=1e-9)
    assert got["total"] == pytest.approx(unmet + (120 - unmet) * lp.EPS, rel=1e-12)


# --- errors ----------------------------------------------------------------------------------


def test_an_infeasible_window_names_the_constraint_family() -> None:
    net = compile_network(ban_ahead())
    broken = replace(net, stock0=np.full(net.stock0.shape, -5.0))  # negative stock: impossible
    with pytest.raises(lp.OptimalError, match="stock balance") as e:
        rl.rolling(broken, 3, 1)
    assert "rolling window from day 0" in str(e.value)
    assert "Infeasible" not in str(e.value)  # never a raw solver status


@pytest.mark.parametrize(("options", "field"), [
    ({"window": 0}, "window"), ({"window": 10, "commit": 0}, "commit"),
    ({"window": 10, "commit": 11}, "commit"), ({"commit": 3}, "commit")])
def test_bad_window_or_commit_is_bad_input(options: dict[str, int], field: str) -> None:
    with pytest.raises(ScenarioError, match=f"^--{field}: "):  # a usage error: the flag, no file
        borderflow.simulate("two-country", allocator="optimal", **options)
    with pytest.raises(ScenarioError, match="needs --allocator optimal"):
        borderflow.simulate("two-country", window=10)


def test_cli_rolling_run_and_its_errors() -> None:
    proc = bf("run", "two-country", "--allocator", "optimal", "--window", "20", "--commit", "5",
              "--json")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["rolling"] == {"window": 20, "commit": 5} and doc["allocator"] == "optimal"
    default = json.loads(bf("run", "two-country", "--allocator", "optimal", "--window", "20",
                            "--json").stdout)
    assert default["rolling"] == {"window": 20, "commit": 5}  # a quarter of the window
    long = bf("run", "two-country", "--allocator", "optimal", "--window", "1000", "--json")
    assert long.returncode == 0 and "beyond the" in long.stderr
    assert json.loads(long.stdout)["rolling"]["window"] == json.loads(long.stdout)["days"]
    for args, words in ((["--window", "0"], "--window: must be at least 1"),
                        (["--window", "5", "--commit", "9"], "--commit: must be between 1 and --window (5)"),
                        (["--commit", "2"], "--commit: needs --window")):
        bad = bf("run", "two-country", "--allocator", "optimal", *args)
        assert bad.returncode == 2 and words in bad.stderr and "Traceback" not in bad.stderr
    bad = bf("run", "two-country", "--window", "5")
    assert bad.returncode == 2 and "needs --allocator optimal" in bad.stderr


def test_cli_compare_rolls_every_optimal_run() -> None:
    rolled = bf("compare", "two-country", "--allocator", "optimal", "--window", "20", "--commit",
                "5", "--json")
    full = bf("compare", "two-country", "--allocator", "optimal", "--window", "1000", "--json")
    assert rolled.returncode == 0 and full.returncode == 0, rolled.stderr + full.stderr
    a, b = json.loads(rolled.stdout), json.loads(full.stdout)
    assert a["variants"] == b["variants"] and len(a["rows"]) == len(b["rows"])
    # with a window beyond the horizon every variant is its full-horizon optimum
    direct = json.loads(bf("compare", "two-country", "--allocator", "optimal", "--json").stdout)
    def totals(doc: dict[str, Any]) -> dict[str, float]:
        out: dict[str, float] = {}
        for r in doc["rows"]:
            out[r["variant"]] = out.get(r["variant"], 0.0) + r["unmet"]
        return out

    assert totals(b) == pytest.approx(totals(direct), rel=1e-9)
    assert all(totals(a)[v] >= totals(b)[v] * (1 - 1e-9) for v in a["variants"])


# --- property: the full horizon bounds every rolling plan ------------------------------------


@settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck),
          derandomize=True, database=None)
@given(scenarios_with_policies(), st.data())
def test_rolling_is_never_better_than_the_full_horizon(s: Scenario, data: st.DataObject) -> None:
    net = compile_network(s)
    window = data.draw(st.integers(1, net.days), label="window")
    commit = data.draw(st.integers(1, window), label="commit")
    trace = borderflow.engine.run(net, "optimal", (window, commit))  # checks every invariant
    assert borderflow.engine.violations(net, trace) == []
    best = full_optimum(net)
    ours = lp.objective(net, trace)["total"]
    # the rolling plan is feasible for the full-horizon LP; slack for the solvers' tolerances
    assert ours >= best - max(1e-5, 1e-6 * abs(best)), (ours, best)
    if window == net.days:
        assert ours == pytest.approx(best, rel=1e-6, abs=1e-5)


def test_the_longest_supply_path_is_counted_by_hand(flagship: borderflow.engine.Network) -> None:
    # two-country: mask-plant -> on-distributor (2 days) -> a hospital (1); the media mill's
    # lane carries media, which no site needs, so it does not lengthen an n95 path
    assert rl.supply_path(compile_network(borderflow.load("two-country"))) == 3
    # n95-2020: cn-makers -> latam-distributor by air (14) -> latam-hospitals (2)
    assert rl.supply_path(flagship) == 16


def test_cli_says_when_a_window_looks_ahead_less_than_supply_takes() -> None:
    short = bf("run", "two-country", "--allocator", "optimal", "--window", "3", "--commit", "2",
               "--no-save")
    assert short.returncode == 0, short.stderr
    note = " ".join(short.stderr.split())  # rich wraps lines
    assert "looks 1 day ahead, less than the longest supply path (3 days" in note
    enough = bf("run", "two-country", "--allocator", "optimal", "--window", "6", "--commit", "3",
                "--no-save")
    assert enough.returncode == 0 and "supply path" not in enough.stderr
