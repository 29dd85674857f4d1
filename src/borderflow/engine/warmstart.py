"""The horizon LP re-solved from its last basis after bounds tighten: what a stress test with
the optimal allocator does once per target. A disruption only lowers what may flow on arcs and
what plants may make, so each target's LP is the undisrupted one with smaller column bounds,
and the dual simplex takes it from the undisrupted optimum in a few pivots where a fresh build
and solve starts from nothing.
"""

from __future__ import annotations

import time
from typing import Any

import highspy
import numpy as np

from .allocators import check
from .limits import alone, lane_limits
from .network import Network
from .optimal import LP, RETRIES, Solution, _highs, assign, build, lp_demand
from .records import Trace

IntArray = np.ndarray[Any, np.dtype[np.int32]]


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
        self.base: Solution | None = None
        for options in RETRIES:  # as a fresh solve would, but the simplex's only
            if options.get("solver", "simplex") != "simplex":
                continue
            for key, value in options.items():
                self._h.setOptionValue(key, value)
            self.base = self._run()
            if self.base is not None:
                break
        # no basis to start from when the simplex cannot solve the undisrupted LP: every
        # target is then solved afresh (`solve` says None)
        self._basis = None if self.base is None else self._h.getBasis()

    def _run(self) -> Solution | None:
        began = time.perf_counter()
        self._h.run()
        if self._h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return None  # numerical trouble from this basis: the caller solves afresh
        values = np.asarray(self._h.getSolution().col_value, dtype=float)
        return Solution(float(self._h.getInfo().objective_function_value), values,
                        time.perf_counter() - began)

    def run(self, own: Network, what: str = "optimal (warm start)") -> Trace | None:
        """`solve(own)` as a trace of `own` (its care, its claims), checked like any run."""
        solution = self.solve(own)
        if solution is None:
            return None
        trace = assign(own, self.lp, solution)
        check(own, trace, what)
        return trace

    def solve(self, own: Network) -> Solution | None:
        """The optimum under `own`'s arc limits (what an arc may carry alone: blocks, lane
        capacity, quotas of one arc) and plant capacities, from the last basis; the bounds go
        back to the undisrupted ones afterwards. None when `own`'s LP differs in more than
        those bounds (other conservation days, a retaliation's quota on other days, or an
        arc-day `net` closes and `own` opens: it has no column), or when the simplex runs into
        numerical trouble from this basis: build and solve that afresh."""
        if self._basis is None or not self._same_rows(own):
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
        self._h.clearSolver()
        self._h.setBasis(self._basis)
        try:
            return self._run()
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
