"""The horizon LP re-solved from its last basis after bounds tighten: what a stress test with
the optimal allocator does once per target. A disruption only lowers what may flow on arcs and
what plants may make, so each target's LP is the undisrupted one with smaller column bounds,
and the dual simplex takes it from the undisrupted optimum in a few pivots where a fresh build
and solve starts from nothing.

The same model also stands for the LP of a shorter horizon h (what a stress test's bisection
for the time to survive asks): the whole-horizon LP with every cost from day h on set to 0,
and each rated order asked for what the h-day LP asks of it by shipments before day h, has the
h-day LP's optimum over its first h days. Nothing after them then costs anything, and whatever
is left at the end of day h - 1 can be left alone (every later variable at 0, every unmet unit
unserved).
"""

from __future__ import annotations

import time
from typing import Any

import highspy
import numpy as np

from .allocators import check
from .limits import alone, lane_limits
from .network import Network
from .optimal import LP, RETRIES, Solution, _highs, assign, build, due_within, lp_demand
from .records import Trace

IntArray = np.ndarray[Any, np.dtype[np.int32]]

# a shortened horizon's second try (`Warm._from`): ten times the first's, a hundredth of
# HiGHS's default (the invariants, checked on these solves too, still hold)
CUT_TOLERANCE = 1e-9


class Warm:
    """The LP of `net` (the undisrupted network), solved once; `solve(own)` solves the same LP
    under `own`'s bounds (the same scenario compiled with a disruption enabled)."""

    def __init__(self, net: Network) -> None:
        self.net = net
        self.lp: LP = build(net)
        self._h = _highs(self.lp)
        self._h.setOptionValue("solver", "simplex")  # interior point cannot start from a basis
        x, m = self.lp.variables["shipments"], self.lp.variables["production"]
        self._x_on, self._m_on = x.index >= 0, m.index >= 0
        self._cols: IntArray = np.concatenate([x.index[self._x_on],
                                               m.index[self._m_on]]).astype(np.int32)
        self._upper = self.lp.col_upper[self._cols]
        self._lower = self.lp.col_lower[self._cols]
        limits = lane_limits(net)
        self._limit = alone(net, limits.arc, limits.quota)
        # each column's day (-1: a rated order's shortfall, which has none)
        self._day = np.full(self.lp.cost.size, -1, dtype=np.intp)
        for v in self.lp.variables.values():
            if v.index.ndim == 2:
                on = v.index >= 0
                self._day[v.index[on]] = np.nonzero(on)[0]
        self._all = np.arange(self.lp.cost.size, dtype=np.int32)
        # the rated orders' flows (column-wise) and their delivery rows (one per order)
        y = self.lp.variables["order_flows"].index
        self._flows = y[y >= 0].astype(np.int32)
        first = 0
        for c in self.lp.constraints.values():
            if c.name == "rated-order delivery":
                self._order_rows = np.arange(first, first + c.size, dtype=np.int32)
            first += c.size
        self._horizon = net.days  # the horizon the model stands for now (`_cut`)
        self.base: Solution | None = None
        for options in RETRIES:  # as a fresh solve would, but the simplex's only
            if options.get("solver", "simplex") != "simplex":
                continue
            for key, value in options.items():
                self._h.setOptionValue(key, value)
            self.base = self._run()
            if self.base is not None:
                break
        # per horizon, the undisrupted optimum's basis under that horizon's LP (None: the
        # simplex could not reach it, and `solve` says None: solve afresh)
        self._bases: dict[int, Any] = {net.days: None if self.base is None else self._h.getBasis()}

    def _cut(self, horizon: int) -> None:
        """Make the model stand for the `horizon`-day LP (module docstring)."""
        if horizon == self._horizon:
            return
        cost = np.where(self._day >= horizon, 0.0, self.lp.cost)
        self._h.changeColsCost(int(cost.size), self._all, cost)
        if self._flows.size:  # ascending, as changeColsBounds wants them
            upper = np.where(self._day[self._flows] >= horizon, 0.0, np.inf)
            self._h.changeColsBounds(int(upper.size), self._flows, np.zeros(upper.size), upper)
            due = np.array([due_within(self.net, c, horizon) for c in self.net.policies.claims
                            if c.is_order])
            self._h.changeRowsBounds(int(due.size), self._order_rows, due, due)
        self._horizon = horizon

    def _basis(self, horizon: int) -> Any:
        """The undisrupted optimum's basis under the `horizon`-day LP, re-solved from the whole
        horizon's the first time it is asked (from that one only, so that it does not depend on
        which horizons were asked before)."""
        if horizon not in self._bases:
            whole = self._bases[self.net.days]
            found = None
            if whole is not None:
                self._cut(horizon)
                if self._from(whole) is not None:
                    found = self._h.getBasis()
            self._bases[horizon] = found
        return self._bases[horizon]

    def _from(self, basis: Any) -> Solution | None:
        """`_run` from `basis`, with the solver's other state cleared. A shortened horizon's LP
        has many ties (every cost after it 0), on which the simplex can fail at the tight
        primal tolerance where the numbers are large (on the flagship's 10^8 units it reports
        the LP unbounded, which with no negative cost it cannot be): such a solve is tried once
        more at CUT_TOLERANCE."""
        self._h.clearSolver()
        self._h.setBasis(basis)
        found = self._run()
        if found is not None or self._horizon == self.net.days:
            return found
        _, tight = self._h.getOptionValue("primal_feasibility_tolerance")
        self._h.setOptionValue("primal_feasibility_tolerance", max(tight, CUT_TOLERANCE))
        try:
            self._h.clearSolver()
            self._h.setBasis(basis)
            return self._run()
        finally:
            self._h.setOptionValue("primal_feasibility_tolerance", tight)

    def _run(self) -> Solution | None:
        began = time.perf_counter()
        self._h.run()
        if self._h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return None  # numerical trouble from this basis: the caller solves afresh
        values = np.asarray(self._h.getSolution().col_value, dtype=float)
        return Solution(float(self._h.getInfo().objective_function_value), values,
                        time.perf_counter() - began)

    def run(self, own: Network, what: str = "optimal (warm start)",
            horizon: int | None = None) -> Trace | None:
        """`solve(own, horizon)` as a trace of `own` (its care, its claims), checked like any
        run (with a horizon, the days from it on are feasible but not optimised)."""
        solution = self.solve(own, horizon)
        if solution is None:
            return None
        trace = assign(own, self.lp, solution)
        check(own, trace, what)
        return trace

    def solve(self, own: Network, horizon: int | None = None) -> Solution | None:
        """The optimum under `own`'s arc limits (what an arc may carry alone: blocks, lane
        capacity, quotas of one arc) and plant capacities, from the undisrupted basis; the
        bounds go back to the undisrupted ones afterwards. With a `horizon` (1 to the
        network's days): the optimum of the LP of that many days, over its first `horizon`
        days. None when `own`'s LP differs in more than those bounds (other conservation days,
        a retaliation's quota on other days, or an arc-day `net` closes and `own` opens: it
        has no column), or when the simplex runs into numerical trouble from this basis: build
        and solve that afresh."""
        horizon = self.net.days if horizon is None else horizon
        if not 1 <= horizon <= self.net.days:
            raise ValueError(f"the {self.net.days}-day LP cannot stand for a {horizon}-day one")
        if not self._same_rows(own):
            return None
        basis = self._basis(horizon)
        if basis is None:
            return None
        limits = lane_limits(own)
        limit = alone(own, limits.arc, limits.quota)
        if (limit[~self._x_on] > self._limit[~self._x_on]).any():
            return None
        upper = np.concatenate([limit[self._x_on], own.rec_cap[self._m_on]])
        changed = upper != self._upper
        cols = self._cols[changed]
        self._h.changeColsBounds(int(cols.size), cols, self._lower[changed], upper[changed])
        # every target from the undisrupted optimum and nothing else of earlier solves (the
        # solver's other state, e.g. its pricing weights, cleared): its answer does not
        # depend on the targets solved before it, nor on which worker solves it
        self._cut(horizon)
        try:
            return self._from(basis)
        finally:
            self._h.changeColsBounds(int(cols.size), cols, self._lower[changed],
                                     self._upper[changed])

    def _same_rows(self, own: Network) -> bool:
        """Whether `own` has the rows and row bounds of `net`: the same network, demand and
        conservation days, and the same quota on every quota group `net` has."""
        net, a, b = self.net, self.net.policies, own.policies
        if own.shape != net.shape or own.arc_src.size != net.arc_src.size or \
                own.days != net.days or own.rec_node.size != net.rec_node.size:
            return False
        G = a.group_quota.shape[1]
        if b.group_quota.shape[1] < G or not np.array_equal(b.group_quota[:, :G], a.group_quota):
            return False
        ours = b.member_group < G
        if not np.array_equal(_members(b.member_group[ours], b.member_arc[ours]),
                              _members(a.member_group, a.member_arc)):
            return False
        extra = b.member_group[~ours]
        if np.unique(extra).size != extra.size:  # a group beyond net's must be one arc's bound
            return False
        demand, conserving = lp_demand(own)
        return np.array_equal(demand, self.lp.demand) and \
            np.array_equal(conserving, self.lp.conserving)


def _members(group: np.ndarray[Any, Any], arc: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """(group, arc) pairs in one order."""
    order = np.lexsort((arc, group))
    return np.stack([group[order], arc[order]])
