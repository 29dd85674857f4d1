"""Which exemptions of a ban would have helped most (`borderflow exempt`): the K destination
countries (or lanes) whose exemption cuts total unmet demand most while protected regions
stay within a limit of their own unmet demand.

Solved exactly as a mixed-integer program on HiGHS: the horizon LP of the optimal allocator
(`engine.optimal`), with the lane-days the ban alone closes kept as shipments, each bounded by
its lane's capacity times a binary "this candidate is exempted" (Σ binaries <= K), and one row
per protected region and commodity (its unmet demand over the horizon at most the given share
of its demand). Exact rather than greedy on the LP's duals: the candidates of a ban are a few
countries or lanes, and a duals-guided greedy choice can miss a pair that only pays together
(two lanes into one region), which the MILP cannot. The chosen set is then applied to the
scenario (as exemptions of the ban) and run by the priority allocator, shown beside the
optimum: the optimum is what the best allocation makes of the exemptions, the priority run
what the network's own ordering rules make of them.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import highspy
import numpy as np
import pandas as pd

from ..engine import compile_network, lane_limits, resolve
from ..engine.optimal import _csc, _new_highs, build, owes
from ..model import Scenario, UsageError, apply_variant
from ..model.messages import did_you_mean
from ..model.policies.export_control import ExportControl
from ..results import simulate
from ..results.simulation import as_scenario

BY = ("country", "lane")


@dataclass(frozen=True, eq=False)
class Exempted:
    """The chosen exemptions and what they do: `candidates` (every candidate, its share of the
    ban's closed lane-days, chosen or not), `regions` (unmet per region and commodity: the
    priority run without exemptions, with the chosen ones, and the optimum with them)."""

    scenario: Scenario
    variant: str | None
    policy: str
    by: str
    budget: int
    protect: dict[str, float]
    chosen: list[str]
    candidates: pd.DataFrame  # candidate, closed_lane_days, chosen
    regions: pd.DataFrame  # region, commodity, demand, unmet_none, unmet_chosen, unmet_optimal
    optimal_unmet: float  # the MILP's total unmet (priority-weighted), with the chosen set
    solve_seconds: float
    gap: float  # the MILP's relative optimality gap at the end

    def summary(self) -> dict[str, Any]:
        """The `exempt --json` document."""
        def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
            return list(json.loads(frame.to_json(orient="records")))

        r = self.regions
        return {"scenario": self.scenario.name, "variant": self.variant or "",
                "policy": self.policy, "by": self.by, "budget": self.budget,
                "protect": self.protect, "chosen": self.chosen, "method": "milp",
                "gap": self.gap, "solve_seconds": self.solve_seconds,
                "unmet": {"priority_none": float(r["unmet_none"].sum()),
                          "priority_chosen": float(r["unmet_chosen"].sum()),
                          "optimal_chosen": float(r["unmet_optimal"].sum())},
                "candidates": records(self.candidates), "regions": records(r)}


def parse_protect(items: list[str] | None, s: Scenario) -> dict[str, float]:
    """REGION:MAX_UNMET_PCT entries, checked against the scenario's regions."""
    out: dict[str, float] = {}
    for item in items or []:
        region, sep, pct = item.partition(":")
        try:
            value = float(pct)
        except ValueError:
            value = -1.0
        if not sep or not 0 <= value <= 100:
            raise UsageError("--protect", f"{item!r}: give REGION:MAX_UNMET_PCT, a percentage "
                             "from 0 to 100 (e.g. us:10)")
        if region not in s.regions:
            raise UsageError("--protect", f"no region {region!r} in {s.name}"
                             f"{did_you_mean(region, list(s.regions))}")
        out[region] = value
    return out


def _with(s: Scenario, policy: str, by: str, chosen: list[str]) -> Scenario:
    """The scenario with the chosen candidates exempted from the ban."""
    if not chosen:
        return s
    key = "to_countries" if by == "country" else "lanes"
    policies: list[Any] = []
    for p in s.policies:
        if p.id == policy and isinstance(p, ExportControl):
            extra = [{key: [c]} for c in chosen]
            p = ExportControl.model_validate({**p.model_dump(), "exemptions": [
                *[e.model_dump(exclude_none=True) for e in p.exemptions], *extra]})
        policies.append(p)
    return s._carry(s.model_copy(update={"policies": policies}))


def exempt(scenario: Scenario | str | Path, policy: str, variant: str | None = None,
           budget: int = 1, protect: dict[str, float] | None = None, by: str = "country",
           time_limit: float = 300.0) -> Exempted:
    """The `budget` exemptions of ban `policy` that cut total unmet demand most, with every
    region of `protect` at most its percentage of unmet demand (module docstring)."""
    s = apply_variant(as_scenario(scenario), variant)
    protect = protect or {}
    found = next((p for p in s.policies if p.id == policy), None)
    if found is None:
        raise UsageError("--policy", f"no policy {policy!r} in {s.name}"
                         f"{did_you_mean(policy, [p.id for p in s.policies])}")
    if found.type != "export_control" or getattr(found, "action", "") != "ban":
        raise UsageError("--policy", f"{policy} is not a ban (an export control with action: "
                         "ban); a quota's value of relaxing is in `borderflow prices`")
    if not found.enabled:
        raise UsageError("--policy", f"{policy} is not enabled in this variant")
    if by not in BY:
        raise UsageError("--by", f"give one of {', '.join(BY)}")
    if budget < 0:
        raise UsageError("--budget", "must be 0 or more")

    net = resolve(compile_network(s))
    free = lane_limits(resolve(compile_network(s.without_policies({policy})))).blocked
    limits = lane_limits(net)
    reason = net.policies.reasons.index(f"{found.reason_kind}:{policy}")
    # the lane-days this ban closes and nothing else would (not a retaliation it triggers:
    # an exemption of the ban does not lift that)
    closed = (limits.blocker == reason) & ~free
    a_c = np.nonzero(closed)[1]
    dst_country = np.array([s.regions[s.nodes[net.nodes[d]].region].country
                            for d in net.arc_dst.tolist()], dtype=object)
    names = np.asarray(net.arc_names, dtype=object)
    label = dst_country[a_c] if by == "country" else names[a_c]
    candidates = sorted(set(label.tolist()))
    chosen, objective, seconds, gap, candidate_days, optimum = _solve(
        net, s, closed, label, candidates, budget, protect, time_limit)

    table = pd.DataFrame({"candidate": candidates,
                          "closed_lane_days": [candidate_days[c] for c in candidates],
                          "chosen": [c in chosen for c in candidates]})
    with_chosen = _with(s, policy, by, chosen)
    none = simulate(s).kpis.set_index(["region", "commodity"])
    mine = simulate(with_chosen).kpis.set_index(["region", "commodity"])
    regions = pd.DataFrame({"demand": none["demand"], "unmet_none": none["unmet"],
                            "unmet_chosen": mine["unmet"]}).reset_index()
    # the MILP's own allocation: the optimum with the chosen set, within the protections
    regions["unmet_optimal"] = [optimum.get((g, c), 0.0) for g, c in
                                zip(regions["region"], regions["commodity"], strict=True)]
    return Exempted(s, variant, policy, by, budget, protect, chosen, table, regions,
                    objective, seconds, gap)


def _solve(net: Any, s: Scenario, closed: np.ndarray[Any, Any], label: np.ndarray[Any, Any],
           candidates: list[str], budget: int, protect: dict[str, float], time_limit: float
           ) -> tuple[list[str], float, float, float, dict[str, int],
                      dict[tuple[str, str], float]]:
    """The MILP: the LP with the ban's closed lane-days reopened under their candidate's
    binary, the budget row and the protected regions' rows."""
    lp = build(net, keep_blocked=True)
    x = lp.variables["shipments"]
    t_c, a_c = np.nonzero(closed)
    cols = x.index[t_c, a_c]
    keep = cols >= 0  # a closed lane-day with any capacity kept its variable (bound 0)
    a_c, cols, label = a_c[keep], cols[keep], label[keep]
    n, J = lp.cost.size, len(candidates)
    which = np.array([candidates.index(c) for c in label.tolist()], dtype=np.intp)
    # big M: a lane's capacity, or everything that could ever exist of its commodity
    everything = float(net.stock0.sum() + net.transit0.sum() + net.rec_cap.sum() +
                       net.policies.deliveries.sum()) + 1.0
    cap = np.where(np.isfinite(net.arc_cap[a_c]), net.arc_cap[a_c], everything)
    col_upper = lp.col_upper.copy()
    col_upper[cols] = cap

    # existing matrix as COO, then the new rows
    counts = np.diff(lp.start)
    coo_col = np.repeat(np.arange(n), counts)
    rows, colz, vals = [lp.index.astype(np.intp)], [coo_col], [lp.value]
    R = lp.row_lower.size
    lower, upper = [lp.row_lower], [lp.row_upper]
    link = R + np.arange(cols.size)  # x - cap e_j <= 0
    rows += [link, link]
    colz += [cols, n + which]
    vals += [np.ones(cols.size), -cap]
    lower.append(np.full(cols.size, -np.inf))
    upper.append(np.zeros(cols.size))
    R += cols.size
    rows.append(np.full(J, R))
    colz.append(n + np.arange(J))
    vals.append(np.ones(J))
    lower.append(np.array([-np.inf]))
    upper.append(np.array([float(budget)]))
    R += 1
    every = _unmet_columns(net, s, lp, list(s.regions))
    guarded = [(cols_u, protect[g] / 100 * d) for g, _, cols_u, d in every if g in protect]
    for row, (cols_u, limit) in enumerate(guarded):
        rows.append(np.full(cols_u.size, R + row))
        colz.append(cols_u)
        vals.append(np.ones(cols_u.size))
        lower.append(np.array([-np.inf]))
        upper.append(np.array([limit]))
    R = sum(x.size for x in lower)
    start, index, value = _csc(np.concatenate(rows), np.concatenate(colz),
                               np.concatenate(vals), n + J)
    h = _new_highs()
    h.setOptionValue("time_limit", float(time_limit))
    h.setOptionValue("mip_rel_gap", 1e-6)
    integrality = np.concatenate([np.zeros(n, dtype=np.int32), np.ones(J, dtype=np.int32)])
    h.passModel(n + J, R, int(value.size), int(highspy.MatrixFormat.kColwise),
                int(highspy.ObjSense.kMinimize), 0.0,
                np.concatenate([lp.cost, np.zeros(J)]),
                np.concatenate([lp.col_lower, np.zeros(J)]),
                np.concatenate([col_upper, np.ones(J)]),
                np.concatenate(lower), np.concatenate(upper), start[:-1], index, value,
                integrality)
    began = time.perf_counter()
    h.run()
    seconds = time.perf_counter() - began
    status = h.getModelStatus()
    M = highspy.HighsModelStatus
    if status == M.kInfeasible:
        raise UsageError("--protect", "no choice of exemptions keeps every protected region "
                         "within its limit (even the best allocation cannot): loosen a limit")
    if status not in (M.kOptimal, M.kTimeLimit) or h.getInfo().primal_solution_status != 2:
        raise RuntimeError(f"the exemption MILP ended {h.modelStatusToString(status)}")
    values = np.asarray(h.getSolution().col_value, dtype=float)
    chosen = [c for c, v in zip(candidates, values[n:].tolist(), strict=True) if v > 0.5]
    days = {c: int((label == c).sum()) for c in candidates}
    gap = float(h.getInfo().mip_gap) if status == M.kTimeLimit else 0.0
    unmet = {(g, c): float(values[cols_u].sum()) for g, c, cols_u, _ in every}
    return chosen, float(h.getInfo().objective_function_value), seconds, gap, days, unmet


def _unmet_columns(net: Any, s: Scenario, lp: Any, regions: list[str]
                   ) -> list[tuple[str, str, np.ndarray[Any, Any], float]]:
    """Per region and commodity with demand: the LP's columns whose sum is its unmet demand
    over the horizon (lost demand summed over the days; at sites that owe it, the backlog at
    the end), and its demand."""
    out = []
    u = lp.variables["unmet"]
    T, C = net.days, net.shape[1]
    keeps = owes(net)
    region_of = np.repeat(np.array([s.nodes[n].region for n in net.nodes], dtype=object), C)
    for region in regions:
        for c in range(C):
            pairs = np.flatnonzero((region_of == region) & (np.arange(region_of.size) % C == c))
            demand = float(lp.demand[:, pairs].sum())
            if demand <= 0:
                continue
            cols: list[int] = []
            for p in pairs.tolist():
                days = [T - 1] if keeps[p] else list(range(T))
                cols += [int(u.index[t, p]) for t in days if u.index[t, p] >= 0]
            out.append((region, net.commodities[c], np.array(cols, dtype=np.intp), demand))
    return out
