"""The optimal allocator: one LP over the horizon, with the same physics as the daily engine."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

import numpy as np
import pytest

import borderflow
from borderflow.engine import ALLOCATORS, compile_network
from borderflow.engine import optimal as lp
from borderflow.model import Scenario


def test_optimal_is_registered_and_never_worse_on_the_flagship() -> None:
    assert "optimal" in ALLOCATORS
    s = borderflow.load("n95-2020")
    best = borderflow.simulate(s, allocator="optimal")
    rule = borderflow.simulate(s, allocator="priority")
    assert best.allocator == "optimal"
    assert best.violations() == []
    assert best.kpis["unmet"].sum() <= rule.kpis["unmet"].sum()
    # the DPA orders on pace: the one due within the horizon on time, the other still pending
    assert set(best.orders["status"]) == {"on_time", "pending"}
    due = best.orders["status"] == "on_time"
    assert best.orders.loc[due, "shortfall"].sum() == 0


# --- golden cases: small networks whose optimum is known by hand -----------------------------


def scenario(nodes: dict[str, Any], lanes: list[dict[str, Any]], days: int = 5,
             policies: list[dict[str, Any]] | None = None,
             regions: dict[str, Any] | None = None) -> Scenario:
    return Scenario.model_validate({
        "format": 1, "name": "golden", "start": dt.date(2020, 4, 1), "days": days,
        "commodities": {"n95": {"unit": "respirator"}},
        "regions": regions or {"us": {"country": "US"}}, "nodes": nodes, "lanes": lanes,
        "policies": policies or []})


def optimum(s: Scenario) -> tuple[borderflow.Result, float, dict[str, float]]:
    net = compile_network(s)
    model = lp.build(net)
    solution = lp.solve(model, net)
    return borderflow.simulate(s, allocator="optimal"), solution.objective, \
        lp.shortfalls(net, model, solution)


def unmet_by_site(r: borderflow.Result) -> dict[str, float]:
    return {str(k): float(v) for k, v in r.sites.groupby("node", observed=True)["unmet"].sum().items()}


def two_hospitals(priority_far: float = 1.0) -> Scenario:
    """One plant making 10 a day, two hospitals using 10 a day each, 1 and 3 days away (a unit
    costs 0.001 a day of the way to ship)."""
    return scenario(
        {"plant": {"kind": "plant", "region": "us", "produce": {"n95": {"capacity": 10}}},
         "near": {"kind": "site", "region": "us", "demand": {"n95": 10}},
         "far": {"kind": "site", "region": "us", "demand": {"n95": 10}, "priority": priority_far}},
        [{"from": "plant", "to": "near", "lead_time": 1, "cost_per_unit": 0.001},
         {"from": "plant", "to": "far", "lead_time": 3, "cost_per_unit": 0.003}])


def test_scarce_plant_serves_the_near_hospital_first() -> None:
    # Days 0-3's production (40) can arrive within the 5 days; the near hospital can use all of
    # it on days 1-4 at the lowest transport cost. 100 demanded, 40 served.
    r, objective, _ = optimum(two_hospitals())
    assert unmet_by_site(r) == pytest.approx({"near": 10.0, "far": 50.0})
    assert objective == pytest.approx(60 + 40 * (0.001 + lp.EPS), rel=1e-12)


def test_priority_sends_what_can_arrive_in_time_to_the_heavier_site() -> None:
    # Weight 2 on the far site: days 0-1's production reaches it on days 3-4; days 2-3's goes
    # to the near site for days 3-4.
    r, objective, _ = optimum(two_hospitals(priority_far=2.0))
    assert unmet_by_site(r) == pytest.approx({"near": 30.0, "far": 30.0})
    assert objective == pytest.approx(30 + 2 * 30 + 20 * 0.003 + 20 * 0.001 + 40 * lp.EPS,
                                      rel=1e-12)


def test_a_quota_caps_each_day() -> None:
    s = scenario(
        {"plant": {"kind": "warehouse", "region": "us", "stock": {"n95": 100}},
         "clinic": {"kind": "site", "region": "ca", "demand": {"n95": 10}}},
        [{"from": "plant", "to": "clinic", "lead_time": 1}],
        regions={"us": {"country": "US"}, "ca": {"country": "CA"}},
        policies=[{"id": "cap", "type": "export_control", "start": 0, "from_country": "US",
                   "to_countries": ["CA"], "commodities": "*", "action": "quota",
                   "quota_per_day": 4}])
    r, objective, _ = optimum(s)
    assert unmet_by_site(r) == pytest.approx({"clinic": 50 - 4 * 4})
    assert objective == pytest.approx(34 + 16 * lp.EPS, rel=1e-12)
    assert r.flows.groupby("day")["quantity"].sum().max() == pytest.approx(4)


def test_a_rated_order_short_of_capacity_reports_its_slack() -> None:
    # 5 a day for the days that can still arrive by day 5 (ship days 0-4): 25 of 100.
    s = scenario(
        {"plant": {"kind": "plant", "region": "us", "produce": {"n95": {"capacity": 5}}},
         "fema": {"kind": "warehouse", "region": "us"}},
        [{"from": "plant", "to": "fema", "lead_time": 1}], days=8,
        policies=[{"id": "dpa", "type": "rated_order", "supplier": "plant", "buyer": "fema",
                   "commodity": "n95", "quantity": 100, "rating": "DX", "start": 0, "due": 5}])
    r, objective, short = optimum(s)
    assert short == {"dpa": pytest.approx(75.0)}
    row = r.orders.iloc[0]
    assert (row["delivered"], row["shortfall"]) == (pytest.approx(25.0), pytest.approx(75.0))
    rated, _ = lp.penalties(compile_network(s))
    assert objective == pytest.approx(75 * rated + 25 * lp.EPS, rel=1e-12)


def test_an_infeasible_model_names_the_constraint_family() -> None:
    net = compile_network(two_hospitals())
    broken = replace(net, stock0=np.full(net.stock0.shape, -5.0))  # negative stock: impossible
    with pytest.raises(lp.OptimalError, match="stock balance") as e:
        lp.solve(lp.build(broken), broken)
    assert "n95 on day 0" in str(e.value)
    assert "Infeasible" not in str(e.value)  # never a raw solver status
