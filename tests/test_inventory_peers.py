"""The replenishment rules against stockpyl (Snyder's inventory library, on PyPI) on matched
single-stage cases: a site that owes unmet demand, ordering from a supplier that never runs
short, over a lead time, by each rule. Semantics matched: stockpyl's period is receive
shipments, meet demand (backorders first), then order on the inventory position (on hand +
on order - backorders), the order arriving `shipment_lead_time` periods later; borderflow's
day is arrive, consume (backlog first), then request on the same position, shipped at once
from the supplier's stock and arriving after the lane's lead time. So every period's order,
on-hand stock and backorders must be equal."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest

import borderflow
from borderflow.model import Scenario

RULES = [("BS", {"base_stock_level": 60}, {"rule": "base_stock", "level": 60}),
         ("sS", {"reorder_point": 25, "order_up_to_level": 70},
          {"rule": "s_S", "reorder_point": 25, "level": 70}),
         ("rQ", {"reorder_point": 30, "order_quantity": 45},
          {"rule": "r_Q", "reorder_point": 30, "quantity": 45})]


def stockpyl_run(policy: str, params: dict[str, Any], demand: list[float], lead: int,
                 start: float) -> tuple[list[float], list[float], list[float]]:
    from stockpyl.sim import simulation
    from stockpyl.supply_chain_network import single_stage_system

    net = single_stage_system(index=1, demand_type="D", demand_list=demand, policy_type=policy,
                              shipment_lead_time=lead, initial_inventory_level=start,
                              holding_cost=1, stockout_cost=1, **params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        simulation(net, len(demand), rand_seed=1, progress_bar=False)
    node = net.nodes_by_index[1]
    sv = [node.state_vars[t] for t in range(len(demand))]
    level = [float(v.inventory_level[next(iter(v.inventory_level))]) for v in sv]
    order = [float(next(iter(next(iter(v.order_quantity.values())).values()))) for v in sv]
    return order, [max(0.0, x) for x in level], [max(0.0, -x) for x in level]


def borderflow_run(rule: dict[str, Any], demand: list[float], lead: int,
                   start: float) -> tuple[list[float], list[float], list[float]]:
    s = Scenario.model_validate({
        "format": 1, "name": "peer", "start": "2020-01-01", "days": len(demand),
        "commodities": {"x": {"unit": "u"}}, "regions": {"r": {"country": "US"}},
        "nodes": {"supplier": {"kind": "warehouse", "region": "r", "stock": {"x": 1e9},
                               "target_days": 0},
                  "s": {"kind": "site", "region": "r", "stock": {"x": start},
                        "demand": {"x": [{"from": t, "value": v} for t, v in enumerate(demand)]},
                        "unmet": "backlog", "replenishment": rule}},
        "lanes": [{"from": "supplier", "to": "s", "lead_time": lead}]})
    r = borderflow.simulate(s)
    c = r.constraints[r.constraints["lane"] == "supplier->s"]
    order = [0.0] * len(demand)
    for d, q in zip(c["day"], c["requested"], strict=True):
        order[int(d)] = float(q)
    stock = r.stocks[r.stocks["node"] == "s"].sort_values("day")["stock"].tolist()
    owed = r.sites[r.sites["node"] == "s"].sort_values("day")["backlog"].tolist()
    return order, stock, owed


@pytest.mark.parametrize(("policy", "theirs", "ours"), RULES)
@pytest.mark.parametrize("lead", [1, 3])
def test_each_rule_agrees_with_stockpyl_period_by_period(policy: str, theirs: dict[str, Any],
                                                         ours: dict[str, Any], lead: int) -> None:
    rng = np.random.default_rng(7 + lead)
    demand = [float(x) for x in rng.integers(0, 60, size=60)]
    a = stockpyl_run(policy, theirs, demand, lead, 40.0)
    b = borderflow_run(ours, demand, lead, 40.0)
    for name, x, y in zip(("orders", "on hand", "backorders"), a, b, strict=True):
        np.testing.assert_allclose(y, x, atol=1e-9, err_msg=name)
    assert max(a[2]) > 0 and sum(a[0]) > 0  # the case runs short and orders
