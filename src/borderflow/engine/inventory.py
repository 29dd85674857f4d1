"""The nodes' inventory decisions as arrays: forecasts, replenishment rules, backlogs,
make-to-order, costs, and how each supplier shares scarce stock (engine/ordering.py and
engine/sharing.py use them in the daily step)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..model import Scenario
from ..model.inventory import Exponential, MovingAverage

Array = np.ndarray[Any, np.dtype[np.float64]]
IntArray = np.ndarray[Any, np.dtype[np.intp]]
BoolArray = np.ndarray[Any, np.dtype[np.bool_]]

RULES = ("order_up_to", "base_stock", "s_S", "r_Q")
ALLOCATIONS = ("pro_rata_requests", "pro_rata_use", "priority", "shares")
# what an arc's share of a custom supplier's stock is weighted by, within its tier
BY_REQUEST, BY_USE, BY_SHARE = 0, 1, 2
LAST = np.iinfo(np.intp).max  # the tier of buyers served only with what the others leave


def _frozen(a: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    a.setflags(write=False)
    return a


@dataclass(frozen=True, eq=False)
class Inventory:
    """Per node, or per pair (node * C + commodity) where it says so."""

    window: IntArray  # [N] days of a moving-average forecast (1: today's use); 0 if exponential
    alpha: Array  # [N] exponential smoothing constant; 0 for a moving average
    rule: IntArray  # [N] index into RULES
    level: Array  # [N*C] base_stock / s_S level S
    reorder: Array  # [N*C] s_S's s, r_Q's R
    quantity: Array  # [N*C] r_Q's Q
    review: IntArray  # [N] days between reviews
    safety_days: Array  # [N]
    safety_z: Array  # [N]
    backlog: BoolArray  # [N] sites whose unmet demand is owed
    to_order: BoolArray  # [N] plants that make to order
    holding_cost: Array  # [N] per unit and day
    shortage_cost: Array  # [N] sites' shortage_cost as written (0 where none: priority is a weight)
    allocation: IntArray  # [N] index into ALLOCATIONS
    arc_tier: IntArray  # [A] buyers of a custom supplier: served tier by tier (LAST: the rest)
    arc_by: IntArray  # [A] BY_REQUEST, BY_USE or BY_SHARE within the tier
    arc_share: Array  # [A] the share of BY_SHARE arcs

    @property
    def plain_forecast(self) -> bool:
        """Every node forecasts today's use (the default), with no safety term from it."""
        return bool((self.window == 1).all() and not self.safety_z.any())

    @property
    def plain_rules(self) -> bool:
        """Every node orders up to target_days x forecast every day, with no safety days."""
        return bool((self.rule == 0).all() and (self.review == 1).all()
                    and not self.safety_days.any())

    @property
    def custom_sharing(self) -> BoolArray:
        """[A] arcs whose supplier shares by a rule other than pro rata to requests."""
        return self.arc_tier >= 0


def _per_commodity(value: float | dict[str, float] | None, coms: tuple[str, ...],
                   default: float) -> list[float]:
    if value is None:
        return [default] * len(coms)
    if isinstance(value, dict):
        return [float(value.get(c, default)) for c in coms]
    return [float(value)] * len(coms)


def compile_inventory(s: Scenario, nodes: tuple[str, ...], coms: tuple[str, ...],
                      arc_src: IntArray, arc_dst: IntArray, on_lane: BoolArray) -> Inventory:
    N, A = len(nodes), arc_src.size
    window, alpha = np.ones(N, dtype=np.intp), np.zeros(N)
    rule, review = np.zeros(N, dtype=np.intp), np.ones(N, dtype=np.intp)
    safety_days, safety_z = np.zeros(N), np.zeros(N)
    level, reorder = np.zeros((N, len(coms))), np.zeros((N, len(coms)))
    quantity = np.ones((N, len(coms)))  # r_Q's Q; 1 where no rule divides by it
    allocation = np.zeros(N, dtype=np.intp)
    tier, by, share = np.full(A, -1, dtype=np.intp), np.zeros(A, dtype=np.intp), np.zeros(A)
    for n, name in enumerate(nodes):
        node = s.nodes[name]
        if isinstance(node.forecast, MovingAverage):
            window[n] = node.forecast.moving_average
        elif isinstance(node.forecast, Exponential):
            window[n], alpha[n] = 0, node.forecast.exponential
        r = node.replenishment
        if r is not None:
            rule[n], review[n] = RULES.index(r.rule), r.review_days
            safety_days[n], safety_z[n] = r.safety_days, r.safety_z
            level[n] = _per_commodity(r.level, coms, 0.0)
            reorder[n] = _per_commodity(r.reorder_point, coms, 0.0)
            quantity[n] = _per_commodity(r.quantity, coms, 1.0)
        a = node.allocation
        if a is None or a.rule == "pro_rata_requests":
            continue
        allocation[n] = ALLOCATIONS.index(a.rule)
        mine = np.flatnonzero((arc_src == n) & on_lane)
        buyers = np.asarray(nodes, dtype=object)[arc_dst[mine]]
        tier[mine] = 0 if a.rule == "pro_rata_use" else LAST
        if a.rule == "pro_rata_use":
            by[mine] = BY_USE
        for k, buyer in enumerate(a.order or []):
            tier[mine[buyers == buyer]] = k
        for buyer, weight in (a.shares or {}).items():
            tier[mine[buyers == buyer]], by[mine[buyers == buyer]] = 0, BY_SHARE
            share[mine[buyers == buyer]] = weight
    return Inventory(
        window=_frozen(window), alpha=_frozen(alpha), rule=_frozen(rule),
        level=_frozen(level.reshape(-1)), reorder=_frozen(reorder.reshape(-1)),
        quantity=_frozen(quantity.reshape(-1)), review=_frozen(review),
        safety_days=_frozen(safety_days), safety_z=_frozen(safety_z),
        backlog=_frozen(np.array([s.nodes[n].unmet == "backlog" for n in nodes], dtype=bool)),
        to_order=_frozen(np.array([s.nodes[n].make == "to_order" for n in nodes], dtype=bool)),
        holding_cost=_frozen(np.array([s.nodes[n].holding_cost for n in nodes], dtype=float)),
        shortage_cost=_frozen(np.array([s.nodes[n].shortage_cost or 0.0 for n in nodes],
                                       dtype=float)),
        allocation=_frozen(allocation), arc_tier=_frozen(tier), arc_by=_frozen(by),
        arc_share=_frozen(share))


def initial_transit(s: Scenario, nodes: tuple[str, ...], coms: tuple[str, ...],
                    max_lead: int) -> Array:
    """[max_lead, N*C]: what the lanes' `in_transit` lands on each of the first days."""
    out = np.zeros((max_lead, len(nodes) * len(coms)))
    ni, ci = {n: i for i, n in enumerate(nodes)}, {c: i for i, c in enumerate(coms)}
    for lane in s.lanes:
        for c, units in lane.in_transit.items():
            out[:lane.lead_time, ni[lane.to] * len(coms) + ci[c]] += units
    return _frozen(out)
