"""The peer case: one network simulated by borderflow and by SupplyNetPy, equal totals served.

The network: one plant -> `distributors` distributors -> `hospitals` hospitals (each hospital
buys from one distributor), one commodity, lane lead times 1-5 days, constant demand per
hospital, order-up-to replenishment every day (hospitals up to 7 days of demand, distributors
up to 14 days of their hospitals' demand), the plant making `utilisation`⁻¹ x total demand a
day. Initial stocks are the order-up-to levels and cover every lead time, so neither tool
runs out: both must serve exactly the total demand, and the benchmark checks that they do.

How each tool expresses it, and what had to be simplified for SupplyNetPy (0.5):
- plant: borderflow `kind: plant` with `produce: {capacity}`; SupplyNetPy has no plant that
  makes a fixed amount per day without raw materials (its `Manufacturer` makes only what has
  been ordered, in batches, from raw materials), so the plant is a raw-material `Supplier`
  that "mines" the capacity every day (`extraction_quantity`, `extraction_time=1`), which is
  what borderflow's plant does;
- distributors and hospitals: `InventoryNode` with `SSReplenishment(s=S, period=1)`, i.e. a
  daily review of the inventory position up to S = 14 (7) days of demand; borderflow's
  warehouse orders up to 14 x the requests it received that day, on its position after
  those requests (stock + in transit - what it owes that day: docs/engine.md), so with steady
  demand both hold S on hand and on the way once the day's orders are out. (Before borderflow
  counted a warehouse's position before its day's shipments, its target of 14 covered 13
  days.) The benchmark compares totals served, not stock paths: SupplyNetPy's review and its
  customers' orders are simultaneous SimPy events whose order it does not promise;
- demand: a `Demand` with one order of d units a day and `consume_available=True` (serve what
  is there, lose the rest), which is borderflow's site rule;
- lanes: SupplyNetPy links have no capacity and a supplier ships an order only when it can
  ship all of it; borderflow caps flows and shares short stock pro rata. With stock never
  short, neither rule comes into play, so the case has no lane capacities;
- inventory capacity: SupplyNetPy needs one; it is set well above anything held (3 x S).
"""

from __future__ import annotations

import contextlib
import io
import logging
import time
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

HOSPITAL_DAYS = 7.0  # borderflow's default target_days for a site
DISTRIBUTOR_DAYS = 14.0  # ... and for a warehouse


@dataclass(frozen=True)
class PeerCase:
    days: int
    plant_capacity: float
    plant_stock: float
    dist_lead: list[int]  # per distributor: plant -> distributor
    hosp_dist: list[int]  # per hospital: its distributor
    hosp_lead: list[int]  # per hospital: distributor -> hospital
    hosp_demand: list[float]  # per hospital: units per day

    @property
    def dist_demand(self) -> list[float]:
        out = [0.0] * len(self.dist_lead)
        for k, d in zip(self.hosp_dist, self.hosp_demand, strict=True):
            out[k] += d
        return out

    @property
    def total_demand(self) -> float:
        return self.days * sum(self.hosp_demand)

    def describe(self) -> dict[str, Any]:
        return {"plants": 1, "distributors": len(self.dist_lead), "hospitals": len(self.hosp_demand),
                "lanes": len(self.dist_lead) + len(self.hosp_demand), "commodities": 1,
                "days": self.days, "plant_capacity_per_day": self.plant_capacity,
                "demand_per_day": sum(self.hosp_demand)}


def make_case(distributors: int, hospitals: int, days: int, seed: int = 0,
              utilisation: float = 0.8) -> PeerCase:
    rng = np.random.default_rng(seed)
    demand = rng.integers(20, 200, hospitals).astype(float)
    plant_capacity = float(np.ceil(demand.sum() / utilisation))
    return PeerCase(
        days=days,
        plant_capacity=plant_capacity,
        plant_stock=plant_capacity,
        dist_lead=rng.integers(1, 6, distributors).tolist(),
        hosp_dist=(np.arange(hospitals) % distributors).tolist(),
        hosp_lead=rng.integers(1, 6, hospitals).tolist(),
        hosp_demand=demand.tolist(),
    )


def borderflow_dict(case: PeerCase) -> dict[str, Any]:
    nodes: dict[str, Any] = {
        "plant": {"kind": "plant", "region": "r", "stock": {"x": case.plant_stock},
                  "produce": {"x": {"capacity": case.plant_capacity}}},
    }
    lanes: list[dict[str, Any]] = []
    for k, (lead, dd) in enumerate(zip(case.dist_lead, case.dist_demand, strict=True)):
        nodes[f"d{k}"] = {"kind": "warehouse", "region": "r", "target_days": DISTRIBUTOR_DAYS,
                          "stock": {"x": DISTRIBUTOR_DAYS * dd}}
        lanes.append({"from": "plant", "to": f"d{k}", "lead_time": lead})
    for h, (k, lead, d) in enumerate(zip(case.hosp_dist, case.hosp_lead, case.hosp_demand, strict=True)):
        nodes[f"h{h}"] = {"kind": "site", "region": "r", "target_days": HOSPITAL_DAYS,
                          "stock": {"x": HOSPITAL_DAYS * d}, "demand": {"x": d}}
        lanes.append({"from": f"d{k}", "to": f"h{h}", "lead_time": lead})
    return {"format": 1, "name": "peer", "start": "2020-04-01", "days": case.days,
            "commodities": {"x": {"unit": "unit"}}, "regions": {"r": {"country": "US"}},
            "nodes": nodes, "lanes": lanes}


def run_borderflow(case: PeerCase) -> tuple[dict[str, float], float]:
    """Seconds for (validate, compile, run) from the plain description, and the total served."""
    from borderflow.engine import ALLOCATORS, compile_network
    from borderflow.model import Scenario

    data = borderflow_dict(case)
    t0 = time.perf_counter()
    scenario = Scenario.model_validate(data)
    t1 = time.perf_counter()
    net = compile_network(scenario)
    t2 = time.perf_counter()
    trace = ALLOCATORS["priority"].run(net)
    t3 = time.perf_counter()
    return {"build": t1 - t0 + t2 - t1, "run": t3 - t2}, float(trace.served.sum())


def run_supplynetpy(case: PeerCase) -> tuple[dict[str, float], float]:
    """Seconds for (build, run) in SupplyNetPy, silenced, and the total served to customers."""
    sink = io.StringIO()
    with warnings.catch_warnings(), contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
        warnings.simplefilter("ignore")
        import simpy
        import SupplyNetPy.Components as scm

        scm.global_logger.disable_logging()
        logging.getLogger("sim_trace").disabled = True
        t0 = time.perf_counter()
        env = simpy.Environment()
        big = case.plant_stock + case.plant_capacity * (case.days + 2)
        material = scm.RawMaterial(ID="x", name="x", extraction_quantity=case.plant_capacity,
                                   extraction_time=1, mining_cost=0, cost=1)
        plant = scm.Supplier(env=env, ID="plant", name="plant", node_type="supplier", capacity=big,
                             initial_level=case.plant_stock, raw_material=material, logging=False)
        dists = []
        for k, dd in enumerate(case.dist_demand):
            level = DISTRIBUTOR_DAYS * dd
            dists.append(scm.InventoryNode(
                env=env, ID=f"d{k}", name=f"d{k}", node_type="distributor", capacity=3 * level,
                initial_level=level, inventory_holding_cost=0, replenishment_policy=scm.SSReplenishment,
                policy_param={"s": level, "S": level, "period": 1}, product_sell_price=1,
                product_buy_price=1, logging=False))
            scm.Link(env=env, ID=f"l-d{k}", source=plant, sink=dists[-1], cost=0,
                     lead_time=case.dist_lead[k])
        demands = []
        for h, (k, lead, d) in enumerate(zip(case.hosp_dist, case.hosp_lead, case.hosp_demand,
                                             strict=True)):
            level = HOSPITAL_DAYS * d
            hosp = scm.InventoryNode(
                env=env, ID=f"h{h}", name=f"h{h}", node_type="retailer", capacity=3 * level,
                initial_level=level, inventory_holding_cost=0, replenishment_policy=scm.SSReplenishment,
                policy_param={"s": level, "S": level, "period": 1}, product_sell_price=1,
                product_buy_price=1, logging=False)
            scm.Link(env=env, ID=f"l-h{h}", source=dists[k], sink=hosp, cost=0, lead_time=lead)
            demands.append(scm.Demand(env=env, ID=f"c{h}", name=f"c{h}", order_arrival_model=1,
                                      order_quantity_model=d, demand_node=hosp, consume_available=True,
                                      logging=False))
        t1 = time.perf_counter()
        env.run(until=case.days)  # customer orders at t = 0 .. days-1, as borderflow's days
        t2 = time.perf_counter()
    served = float(sum(dem.stats.fulfillment_received[1] for dem in demands))
    return {"build": t1 - t0, "run": t2 - t1}, served
