"""Peer solvers for the headline LP (issue 16, item 3): the tight LP of the 500-node x
180-day synthetic network solved by OR-Tools' PDLP, which runs on several threads where
HiGHS's PDLP runs on one, and by COIN-OR's CLP (through cylp). Neither is a dependency of
borderflow (and OR-Tools' protobuf pin clashes with Ray's), so this runs in two steps and two
environments:

    .venv/bin/python benchmarks/lp_peers.py dump /tmp/headline_lp.npz
    python3 -m venv /tmp/ortv && /tmp/ortv/bin/pip install ortools cylp numpy scipy
    /tmp/ortv/bin/python benchmarks/lp_peers.py solve /tmp/headline_lp.npz
        [--solver ortools|clp] [--seconds 600] [--threads 2] [--gap 1e-4] [--primal 1e-9]
        [--polish]

`dump` builds the LP as `--allocator optimal` does (`optimal.build(net, tight=True)`) and
saves it. `solve` runs the solver in a child process cut after `--seconds`; OR-Tools stops at
the tolerances of borderflow's PDLP settings (`optimal.PDLP`: relative gap, primal residual
relative to the right-hand side's norm, dual residual 1e-5), CLP at an optimal vertex
(`initialSolve`: presolve, then its choice of simplex). It prints one JSON document: time,
status, objective, and the largest row violation of the solution returned.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from typing import Any

import numpy as np

HEADLINE = (50, 500, 2000, 5, 180)  # regions, nodes, lanes, commodities, days


def dump(path: str) -> dict[str, Any]:
    import os

    os.environ["BORDERFLOW_CHECK"] = "0"
    import synthetic
    from borderflow.engine import compile_network
    from borderflow.engine.optimal import build

    lp = build(compile_network(synthetic.build(*HEADLINE)), tight=True)
    np.savez(path, cost=lp.cost, col_lower=lp.col_lower, col_upper=lp.col_upper,
             row_lower=lp.row_lower, row_upper=lp.row_upper, start=lp.start, index=lp.index,
             value=lp.value)
    rows, cols, nonzeros = lp.shape
    return {"rows": rows, "columns": cols, "nonzeros": nonzeros, "saved": path}


def ortools(path: str, threads: int, gap: float, primal: float,
            polish: bool = False) -> dict[str, Any]:
    import scipy.sparse as sp
    from ortools.pdlp import solve_log_pb2, solvers_pb2
    from ortools.pdlp.python import pdlp

    d = np.load(path)
    m, n = d["row_lower"].size, d["cost"].size
    matrix = sp.csc_matrix((d["value"], d["index"], d["start"]), shape=(m, n))
    qp = pdlp.QuadraticProgram()
    qp.objective_vector = d["cost"]
    qp.constraint_matrix = matrix
    qp.constraint_lower_bounds, qp.constraint_upper_bounds = d["row_lower"], d["row_upper"]
    qp.variable_lower_bounds, qp.variable_upper_bounds = d["col_lower"], d["col_upper"]
    params = solvers_pb2.PrimalDualHybridGradientParams()
    params.num_threads = threads
    params.use_feasibility_polishing = polish
    if polish:  # which polishing requires
        params.handle_some_primal_gradients_on_finite_bounds_as_residuals = False
    c = params.termination_criteria.detailed_optimality_criteria
    c.eps_optimal_primal_residual_relative, c.eps_optimal_primal_residual_absolute = primal, 0.0
    c.eps_optimal_dual_residual_relative, c.eps_optimal_dual_residual_absolute = 1e-5, 0.0
    c.eps_optimal_objective_gap_relative, c.eps_optimal_objective_gap_absolute = gap, 0.0
    began = time.perf_counter()
    result = pdlp.primal_dual_hybrid_gradient(qp, params)
    seconds = time.perf_counter() - began
    x = result.primal_solution
    ax = matrix @ x
    violation = np.maximum(d["row_lower"] - ax, 0) + np.maximum(ax - d["row_upper"], 0)
    return {"solver": "OR-Tools PDLP", "threads": threads, "gap": gap, "primal": primal,
            "feasibility_polishing": polish,
            "seconds": round(seconds, 1),
            "status": solve_log_pb2.TerminationReason.Name(result.solve_log.termination_reason),
            "iterations": int(result.solve_log.iteration_count),
            "objective": float(d["cost"] @ x), "max_row_violation": float(violation.max())}


def clp(path: str) -> dict[str, Any]:
    from cylp.cy import CyClpSimplex
    from cylp.cy.CyCoinPackedMatrix import CyCoinPackedMatrix

    d = np.load(path)
    columns = np.repeat(np.arange(d["cost"].size, dtype=np.int32), np.diff(d["start"]))
    matrix = CyCoinPackedMatrix(True, d["index"].astype(np.int32), columns, d["value"])
    model = CyClpSimplex()

    def clip(a: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
        return np.clip(a, -1e30, 1e30)  # CLP's infinity

    model.loadProblem(matrix, clip(d["col_lower"]), clip(d["col_upper"]), d["cost"],
                      clip(d["row_lower"]), clip(d["row_upper"]))
    began = time.perf_counter()
    model.initialSolve()
    seconds = time.perf_counter() - began
    x = np.asarray(model.primalVariableSolution)
    ax = np.asarray(model.primalConstraintSolution)
    violation = np.maximum(d["row_lower"] - ax, 0) + np.maximum(ax - d["row_upper"], 0)
    return {"solver": "CLP", "seconds": round(seconds, 1), "status": model.getStatusString(),
            "objective": float(d["cost"] @ x), "max_row_violation": float(violation.max())}


def solve(a: argparse.Namespace) -> dict[str, Any]:
    """The solver in a child process, cut after a.seconds (cylp gives CLP no time limit, and
    neither solver's call returns to Python before it ends)."""
    cmd = [sys.executable, __file__, "child", a.path, "--solver", a.solver, "--threads",
           str(a.threads), "--gap", str(a.gap), "--primal", str(a.primal)]
    cmd += ["--polish"] if a.polish else []
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=a.seconds,
                              check=True)
    except subprocess.TimeoutExpired:
        return {"solver": a.solver, "status": f"cut after {a.seconds:g} s"}
    out: dict[str, Any] = json.loads(done.stdout)
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("step", choices=("dump", "solve", "child"))
    p.add_argument("path")
    p.add_argument("--solver", choices=("ortools", "clp"), default="ortools")
    p.add_argument("--seconds", type=float, default=600.0)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--gap", type=float, default=1e-4)
    p.add_argument("--primal", type=float, default=1e-9)
    p.add_argument("--polish", action="store_true", help="OR-Tools' feasibility polishing")
    a = p.parse_args(argv)
    if a.step == "dump":
        out = dump(a.path)
    elif a.step == "solve":
        out = solve(a)
    else:  # the child process of `solve`
        out = ortools(a.path, a.threads, a.gap, a.primal, a.polish) if a.solver == "ortools" \
            else clp(a.path)
    json.dump(out, sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
