"""The optimal allocator's tight LP (`build(net, tight=True)`: without the shipments that
cannot be of use) has the optimum of the full LP, on random scenarios with policies and with
inventory decisions, and on hand-made cases where a shipment into a dead end pays (it leaves a
node that charges for holding stock) or is worthless (it lands after the last demand)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from borderflow.engine import compile_network, violations
from borderflow.engine import optimal as O
from borderflow.model import Scenario
from strategies import inventory_scenarios, scenarios_with_policies

SETTINGS = settings(max_examples=40, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def both(s: Scenario) -> tuple[O.LP, O.Solution, O.LP, O.Solution]:
    net = compile_network(s)
    full, tight = O.build(net), O.build(net, tight=True)
    return full, O.solve(full, net), tight, O.solve(tight, net)


def same_optimum(s: Scenario) -> None:
    full, a, tight, b = both(s)
    assert tight.cost.size <= full.cost.size and tight.row_lower.size <= full.row_lower.size
    assert b.objective == pytest.approx(a.objective, rel=1e-7, abs=1e-7)
    net = compile_network(s)
    assert violations(net, O.assign(net, tight, b)) == []


@SETTINGS
@given(scenarios_with_policies())
def test_the_tight_lp_has_the_full_optimum_under_policies(s: Scenario) -> None:
    same_optimum(s)


@SETTINGS
@given(inventory_scenarios)
def test_the_tight_lp_has_the_full_optimum_with_inventory_decisions(s: Scenario) -> None:
    same_optimum(s)


def scenario(nodes: dict[str, Any], lanes: list[dict[str, Any]], days: int = 6) -> Scenario:
    return Scenario.model_validate({
        "format": 1, "name": "tight", "start": dt.date(2020, 4, 1), "days": days,
        "commodities": {"n95": {"unit": "respirator"}},
        "regions": {"us": {"country": "US"}}, "nodes": nodes, "lanes": lanes})


def test_a_shipment_after_the_last_demand_is_dropped() -> None:
    # the clinic's demand ends on day 2: what leaves the depot after day 1 lands too late
    s = scenario(
        {"depot": {"kind": "warehouse", "region": "us", "stock": {"n95": 100}},
         "spare": {"kind": "warehouse", "region": "us"},
         "clinic": {"kind": "site", "region": "us",
                    "demand": {"n95": [{"from": 0, "value": 10}, {"from": 3, "value": 0}]}}},
        [{"from": "depot", "to": "clinic", "lead_time": 1},
         {"from": "depot", "to": "spare", "lead_time": 1}])
    full, a, tight, b = both(s)
    x = tight.variables["shipments"]
    assert (x.index[:, 0] >= 0).tolist() == [True, True, False, False, False, False]
    assert (x.index[:, 1] < 0).all()  # the spare warehouse is a dead end
    assert full.variables["shipments"].size == 12
    assert b.objective == pytest.approx(a.objective, rel=1e-12)


def test_a_dead_end_that_saves_holding_cost_is_kept() -> None:
    # the depot charges 1 a unit and day, the spare warehouse nothing: the optimum moves the
    # stock there on day 0, so the tight LP must keep that shipment
    s = scenario(
        {"depot": {"kind": "warehouse", "region": "us", "stock": {"n95": 100},
                   "holding_cost": 1.0},
         "spare": {"kind": "warehouse", "region": "us"},
         "clinic": {"kind": "site", "region": "us", "demand": {"n95": 1}}},
        [{"from": "depot", "to": "clinic", "lead_time": 1},
         {"from": "depot", "to": "spare", "lead_time": 1}])
    _, a, tight, b = both(s)
    assert (tight.variables["shipments"].index[:, 1] >= 0).all()
    assert b.objective == pytest.approx(a.objective, rel=1e-12)
    assert a.objective < 100  # shipping the stock away beats holding it six days
