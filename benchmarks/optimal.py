"""LP figures for the optimal allocator: LP size, model-build and HiGHS solve times (apart),
for the flagship and a synthetic 50-region network; and the same model built with linopy, in
the same run, for the ratio of build times. Then the rolling-horizon mode against the full
horizon: its gap (objective and unmet demand), its speed-up, and one updated HiGHS model
against a fresh model per window, timed in the same run.

    python benchmarks/optimal.py [--quick] [--large]    # prints one JSON document

`--large` adds a 60-region, 5-commodity network over 180 days whose full-horizon LP takes
minutes (the rolling runs take seconds).

Full mode (not `--quick`) also solves the headline network at 500 nodes x 180 days (50
regions, 2,000 lanes, 5 commodities) as the optimal allocator does (the tight LP, the method
`method_for` picks), against the 60 s target; then the other HiGHS methods on the same LP, and
PDLP on the full (untight) LP, each within TIME_LIMIT; and linopy's model of the same instance
built and solved on HiGHS by the allocator's method, within twice our time, for the ratio.

The linopy model is written with linopy's own modelling API (variables on labelled grids,
shifts for lead times, group-by sums onto pairs), not from our matrices; its optimum is
checked against ours so both builds are of the same model.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import sys
import time
import warnings
from collections.abc import Iterator
from typing import Any

import highspy
import numpy as np

import borderflow
import synthetic
from borderflow.engine import Network, compile_network, lane_limits, violations
from borderflow.engine import optimal as O
from borderflow.engine import rolling as R

FULL_SYNTHETIC = (50, 100, 400, 2, 180)  # regions, nodes, lanes, commodities, days
QUICK_SYNTHETIC = (50, 60, 180, 2, 30)
LARGE_SYNTHETIC = (60, 200, 800, 5, 180)
HEADLINE = (50, 500, 2000, 5, 180)
TARGET_SECONDS = 60.0  # issue 16: build + solve of the headline instance
TIME_LIMIT = 120.0  # seconds for each method the allocator does not pick, and for linopy's
PAIRS = ((30, 7), (60, 14))  # rolling (window, commit)
QUICK_PAIRS = ((10, 3),)  # for the 30-day quick synthetic case


@contextlib.contextmanager
def quiet_stdout() -> Iterator[None]:
    """Send file descriptor 1 to /dev/null: HiGHS's banner is printed from C, and nothing but
    the JSON document may reach stdout."""
    sys.stdout.flush()
    saved = os.dup(1)
    null = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(null, 1)
        yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(null)


def linopy_model(net: Network) -> Any:
    """The optimal allocator's LP, written in linopy (demand with conservation fixed as ours)."""
    import linopy
    import xarray as xr

    T, (N, C) = net.days, net.shape
    A, R, P = net.arc_src.size, net.rec_node.size, N * C
    pol = net.policies
    demand, _ = O.lp_demand(net)
    rated, airlift = O.penalties(net)
    day, arc, rec, pair = np.arange(T), np.arange(A), np.arange(R), np.arange(P)

    def grid(values: Any, dims: tuple[str, ...], coords: list[Any]) -> Any:
        return xr.DataArray(values, coords=coords, dims=dims)

    flights = O.flights_grid(net)
    upper = lane_limits(net).arc  # what may flow on each arc and day, as the LP has it
    x_ok = upper > 0
    m = linopy.Model()
    x = m.add_variables(lower=0, upper=grid(upper, ("day", "arc"), [day, arc]),
                        mask=grid(x_ok, ("day", "arc"), [day, arc]), name="x")
    made = m.add_variables(lower=0, upper=grid(net.rec_cap, ("day", "rec"), [day, rec]),
                           mask=grid(net.rec_cap > 0, ("day", "rec"), [day, rec]), name="made")
    s = m.add_variables(lower=0, coords=[day, pair], dims=["day", "pair"], name="s")
    u = m.add_variables(lower=0, upper=grid(demand, ("day", "pair"), [day, pair]),
                        mask=grid(demand > 0, ("day", "pair"), [day, pair]), name="u")

    def onto_pairs(expr: Any, by: np.ndarray[Any, Any], dim: str) -> Any:
        key = xr.DataArray(by, coords=[expr.coords[dim].values], dims=[dim], name="pair")
        return expr.groupby(key).sum()

    terms = [1 * s, -1 * s.shift(day=1), onto_pairs(1 * x, net.arc_src_pair, "arc"), -1 * u,
             -onto_pairs(1 * made, net.rec_node * C + net.rec_com, "rec")]
    for lead in np.unique(net.arc_lead):
        arcs = arc[net.arc_lead == lead]
        terms.append(-onto_pairs(x.isel(arc=arcs).shift(day=int(lead)), net.arc_dst_pair[arcs], "arc"))
    ri, ci = np.nonzero(net.rec_inputs > 0)
    if ri.size:
        used = made.isel(rec=ri) * xr.DataArray(net.rec_inputs[ri, ci], coords=[rec[ri]], dims=["rec"])
        used = used.assign_coords(rec=np.arange(ri.size)).rename(rec="entry")
        inputs = onto_pairs(used, net.rec_node[ri] * C + ci, "entry")
        terms.append(inputs)
    balance = linopy.merge(terms, dim="_term", join="outer")
    rhs = -demand.copy()
    rhs[0] += net.stock0.reshape(-1)
    m.add_constraints(balance == grid(rhs, ("day", "pair"), [day, pair]).sel(pair=balance.coords["pair"]),
                      name="balance")
    if ri.size:
        have = [1 * s.shift(day=1)]
        for lead in np.unique(net.arc_lead):
            arcs = arc[net.arc_lead == lead]
            have.append(onto_pairs(x.isel(arc=arcs).shift(day=int(lead)), net.arc_dst_pair[arcs], "arc"))
        avail = linopy.merge(have, dim="_term", join="outer")
        first = np.zeros((T, P))
        first[0] = net.stock0.reshape(-1)
        lhs = linopy.merge([inputs, -1 * avail.sel(pair=inputs.coords["pair"])], dim="_term",
                           join="left")
        m.add_constraints(lhs <= grid(first, ("day", "pair"), [day, pair]).sel(pair=inputs.coords["pair"]),
                          name="inputs")
    if pol.member_arc.size:
        member = (1 * x.isel(arc=pol.member_arc)).assign_coords(arc=np.arange(pol.member_arc.size))
        member = member.rename(arc="member")
        key = xr.DataArray(pol.member_group, coords=[np.arange(pol.member_arc.size)], dims=["member"],
                           name="group")
        total = member.groupby(key).sum()
        quota = grid(pol.group_quota, ("day", "group"), [day, np.arange(pol.group_quota.shape[1])])
        quota = quota.sel(group=total.coords["group"])
        m.add_constraints(total <= quota.fillna(0), mask=np.isfinite(quota), name="quota")
    objective = [(grid(np.repeat(net.priority, C), ("pair",), [pair]) * u).sum(),
                 (grid(net.arc_cost + O.EPS, ("arc",), [arc]) * x).sum()]
    ks, window = O._window(net)
    if ks:
        order = np.arange(len(ks))
        order_arc = np.array([pol.claims[k].arc for k in ks])
        ok = window & x_ok[:, order_arc]
        y = m.add_variables(lower=0, coords=[day, order], dims=["day", "order"],
                            mask=grid(ok, ("day", "order"), [day, order]), name="y")
        short = m.add_variables(lower=0, coords=[order], dims=["order"], name="short")
        qty = grid(np.array([O.due_within(net, pol.claims[k]) for k in ks]), ("order",), [order])
        m.add_constraints(y.sum("day") + short == qty, name="delivered")
        lanes = np.unique(order_arc)
        share = onto_pairs(1 * y, order_arc, "order").rename(pair="arc")
        m.add_constraints(share - x.sel(arc=share.coords["arc"]) <= 0, name="share")
        objective.append(rated * short.sum())
        del lanes
    air = arc[net.arc_lane < 0]
    if air.size:
        fly = flights[:, air]
        ok = (fly > 0) & x_ok[:, air]
        sa = m.add_variables(lower=0, upper=grid(fly, ("day", "arc"), [day, air]),
                             mask=grid(ok, ("day", "arc"), [day, air]), name="air_short")
        m.add_constraints(x.sel(arc=air) + sa == grid(fly, ("day", "arc"), [day, air]),
                          mask=grid(ok, ("day", "arc"), [day, air]), name="airlift")
        objective.append(airlift * sa.sum())
    m.add_objective(sum(objective))
    return m


def linopy_build(net: Network) -> tuple[float, Any]:
    """Seconds to build the linopy model down to the matrices a solver takes."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t0 = time.perf_counter()
        m = linopy_model(net)
        m.matrices.A  # noqa: B018  (the sparse matrix: where linopy's build ends)
        return time.perf_counter() - t0, m


def figures(net: Network, name: str, repeats: int, with_linopy: bool) -> dict[str, Any]:
    best_build = best_solve = np.inf
    for _ in range(repeats):
        gc.collect()
        lp = O.build(net)
        solution = O.solve(lp, net)
        best_build = min(best_build, lp.build_seconds)
        best_solve = min(best_solve, solution.solve_seconds)
    rows, cols, nnz = lp.shape
    out: dict[str, Any] = {
        "case": name, "rows": rows, "columns": cols, "nonzeros": nnz,
        "build_seconds": round(best_build, 4), "solve_seconds": round(best_solve, 4),
        "build_under_solve": bool(best_build < best_solve),
        "objective": solution.objective,
    }
    if with_linopy:
        seconds, m = min((linopy_build(net) for _ in range(repeats)), key=lambda r: r[0])
        out["linopy"] = {"build_seconds": round(seconds, 4),
                         "build_ratio": round(seconds / best_build, 2)}
        with warnings.catch_warnings(), quiet_stdout():
            warnings.simplefilter("ignore")
            # the tolerances ours uses: the transport cost is 1e-6 a unit, so HiGHS's default
            # dual tolerance (1e-7) would stop short of the optimum on large networks
            m.solve(solver_name="highs", io_api="direct", output_flag=False, progress=False,
                    primal_feasibility_tolerance=1e-10, dual_feasibility_tolerance=1e-10)
        value = float(m.objective.value)
        diff = abs(value - solution.objective) / max(1.0, abs(solution.objective))
        out["linopy"].update(objective=value, objective_rel_diff=float(f"{diff:.3g}"),
                             same_optimum=bool(diff <= 1e-6))
    return out


def _attempt(lp: O.LP, method: O.Method, limit: float) -> dict[str, Any]:
    """One HiGHS solve of `lp` by `method`, stopped at `limit` seconds."""
    h = O._highs(lp)
    for key, value in method.options.items():
        h.setOptionValue(key, value)
    h.setOptionValue("time_limit", limit)
    gc.collect()
    t0 = time.perf_counter()
    h.run()
    seconds = time.perf_counter() - t0
    optimal = h.getModelStatus() == highspy.HighsModelStatus.kOptimal
    info = h.getInfo()
    return {"status": h.modelStatusToString(h.getModelStatus()), "solve_seconds": round(seconds, 2),
            "objective": float(info.objective_function_value) if optimal else None,
            "gap": float(f"{info.primal_dual_objective_error:.3g}")
            if optimal and method.gap is not None else None}


def _shape(lp: O.LP) -> dict[str, Any]:
    rows, cols, nnz = lp.shape
    return {"rows": rows, "columns": cols, "nonzeros": nnz, "build_seconds": round(lp.build_seconds, 2)}


def headline(limit: float = TIME_LIMIT) -> dict[str, Any]:
    """The headline network at 500 nodes x 180 days: the allocator's own solve against the 60 s
    target, the other methods and the full LP within `limit`, and linopy's model."""
    net = compile_network(synthetic.build(*HEADLINE))
    gc.collect()
    tight = O.build(net, tight=True)
    chosen = O.method_for(tight)
    solution = O.solve(tight, net)
    trace = O.assign(net, tight, solution)
    ours = tight.build_seconds + solution.solve_seconds
    rows = [{"lp": "tight", "method": chosen.describe(), "picked": True, **_shape(tight),
             "status": "Optimal", "solve_seconds": round(solution.solve_seconds, 2),
             "objective": solution.objective,
             "gap": None if solution.gap is None else float(f"{solution.gap:.3g}"),
             "invariant_violations": violations(net, trace)}]
    for method in (O.SIMPLEX, O.IPM_CROSSOVER, O.IPM):
        rows.append({"lp": "tight", "method": method.describe(), "picked": False, **_shape(tight),
                     **_attempt(tight, method, limit)})
    del trace
    full = O.build(net)
    rows.append({"lp": "full", "method": chosen.describe(), "picked": False, **_shape(full),
                 **_attempt(full, chosen, limit)})
    del full
    return {"size": _size(HEADLINE), "time_limit": limit, "methods": rows,
            "seconds": round(ours, 2), "target_seconds": TARGET_SECONDS,
            "verdict": "PASS" if ours < TARGET_SECONDS and not rows[0]["invariant_violations"]
            else "FAIL",
            # at least twice our time, so that a cut-off solve still bounds the ratio by 2
            "linopy": _linopy_headline(net, chosen, max(limit, 2 * ours), ours,
                                       solution.objective)}


def _linopy_headline(net: Network, method: O.Method, limit: float, ours: float,
                     objective: float) -> dict[str, Any]:
    """linopy's model of the instance, built and solved on HiGHS by `method` within `limit`."""
    gc.collect()
    seconds, m = linopy_build(net)
    with warnings.catch_warnings(), quiet_stdout():
        warnings.simplefilter("ignore")
        t0 = time.perf_counter()
        _, condition = m.solve(solver_name="highs", io_api="direct", output_flag=False,
                               progress=False, time_limit=limit, **method.options)
        solve_seconds = time.perf_counter() - t0
    solved = condition == "optimal"
    value = float(m.objective.value) if solved else None
    out: dict[str, Any] = {
        "rows": int(m.matrices.A.shape[0]), "columns": int(m.matrices.A.shape[1]),
        "nonzeros": int(m.matrices.A.nnz), "build_seconds": round(seconds, 2),
        "solve_seconds": round(solve_seconds, 2), "status": str(condition), "time_limit": round(limit),
        "objective": value,
        "objective_rel_diff": None if value is None else
        float(f"{abs(value - objective) / max(1.0, abs(objective)):.3g}"),
        # linopy's time over ours; with its solve cut at the limit, a lower bound on it
        "ratio": round((seconds + solve_seconds) / ours, 2), "ratio_is_lower_bound": not solved,
    }
    return out


def rolling(net: Network, full: dict[str, Any], pairs: tuple[tuple[int, int], ...]) -> list[dict[str, Any]]:
    """Per (window, commit): the rolling plan's gap to the full-horizon optimum, its speed-up,
    and the one-model update against a fresh model per window."""
    best = full["objective"]
    full_seconds = full["build_seconds"] + full["solve_seconds"]
    demand = O.lp_demand(net)[0]
    lp = O.build(net)
    optimum = O.assign(net, lp, O.solve(lp, net))
    best_unmet = float((optimum.demand - optimum.served).sum())
    total_demand = float(demand.sum())
    out = []
    for window, commit in pairs:
        timed = {}
        for reuse in (True, False):
            stats = R.Stats()
            gc.collect()
            t0 = time.perf_counter()
            trace = R.rolling(net, window, commit, reuse=reuse, stats=stats)
            timed[reuse] = (time.perf_counter() - t0, stats, trace)
        seconds, stats, trace = timed[True]
        rebuild_seconds, rebuild, _ = timed[False]
        value = O.objective(net, trace, demand)["total"]
        unmet = float((trace.demand - trace.served).sum())
        out.append({
            "window": window, "commit": commit, "windows": stats.windows,
            "objective": value,
            "objective_gap": float(f"{(value - best) / max(1.0, abs(best)):.3g}"),
            "unmet": unmet, "full_unmet": best_unmet,
            "unmet_gap": None if best_unmet <= 0 else float(f"{(unmet - best_unmet) / best_unmet:.3g}"),
            "unmet_gap_of_demand": float(f"{(unmet - best_unmet) / max(1.0, total_demand):.3g}"),
            "seconds": round(seconds, 3), "speedup": round(full_seconds / seconds, 2),
            "update": {"seconds": round(seconds, 3), "build_seconds": round(stats.build_seconds, 3),
                       "solve_seconds": round(stats.solve_seconds, 3),
                       "iterations": stats.iterations, "retries": stats.retries},
            "rebuild": {"seconds": round(rebuild_seconds, 3),
                        "build_seconds": round(rebuild.build_seconds, 3),
                        "solve_seconds": round(rebuild.solve_seconds, 3),
                        "iterations": rebuild.iterations, "retries": rebuild.retries},
            "rebuild_over_update": round(rebuild_seconds / seconds, 2),
            "invariant_violations": violations(net, trace),
        })
    return out


def run(quick: bool, repeats: int = 3, large: bool = False, only_headline: bool = False
        ) -> dict[str, Any]:
    if only_headline:
        return {"headline": headline()}
    flagship = compile_network(borderflow.load("n95-2020"))
    size = QUICK_SYNTHETIC if quick else FULL_SYNTHETIC
    big = compile_network(synthetic.build(*size))
    flag = figures(flagship, "n95-2020", repeats, True)
    syn = figures(big, "synthetic", 1 if not quick else repeats, True)
    doc = {
        "flagship": {**flag, "full_run_seconds": round(_full_run(), 3),
                     "rolling": rolling(flagship, flag, PAIRS)},
        "synthetic": {**syn, "size": _size(size),
                      "rolling": rolling(big, syn, QUICK_PAIRS if quick else PAIRS)},
    }
    if not quick:
        doc["headline"] = headline()
    if large:
        net = compile_network(synthetic.build(*LARGE_SYNTHETIC))
        full = figures(net, "synthetic-large", 1, False)
        doc["large"] = {**full, "size": _size(LARGE_SYNTHETIC), "rolling": rolling(net, full, PAIRS)}
    return doc


def _size(size: tuple[int, ...]) -> dict[str, int]:
    return dict(zip(("regions", "nodes", "lanes", "commodities", "days"), size, strict=True))


def _full_run() -> float:
    """borderflow.simulate(n95-2020, allocator="optimal"): load, compile, priority run for
    conservation, build, solve, assign, tables."""
    t0 = time.perf_counter()
    borderflow.simulate("n95-2020", allocator="optimal").kpis  # noqa: B018
    return time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--large", action="store_true", help="add the 60-region x 5-commodity case")
    parser.add_argument("--headline", action="store_true",
                        help="only the 500-node x 180-day headline case")
    args = parser.parse_args(argv)
    print(json.dumps(run(args.quick, large=args.large, only_headline=args.headline), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
