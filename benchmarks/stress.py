"""Stress-test figures (issue 14, item 5): per target, the stress test against what a user
would do without it, in the same run.

- `priority`: the 500-node synthetic network (benchmarks/synthetic.py, the headline's), every
  non-site node out for 14 days: `borderflow.stress` (in batches) per target against one
  `borderflow.simulate` per target of the scenario with that disruption enabled, for
  `simulated` of the targets spread over the list (the same numbers checked for those).
  Target: the stress test at least 10x faster per target. `priority_flagship`: the same for
  n95-2020 (history), every default target (nodes and borders), each simulated.
  `per_target.simulate_run`: of a `simulate` call, the engine's run of the compiled network
  alone (what batching cannot save: benchmarks/README.md, "Stress tests").
- `optimal`: a smaller synthetic network (an LP per target): `stress(allocator="optimal")`
  with each target's LP re-solved from the undisrupted basis (`engine.warm`) against fresh
  builds and solves (`warm_start=False`). Target: at least 3x. The two runs' losses must agree.

    python benchmarks/stress.py [--quick] [--out FILE]

Prints one JSON document on stdout and a PASS/FAIL line per target on stderr; full mode exits
1 when a target fails, both modes when the two ways disagree. Times are `time.perf_counter`
seconds, the invariant check (BORDERFLOW_CHECK) off.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import dataclass
from typing import Any

os.environ["BORDERFLOW_CHECK"] = "0"  # before borderflow reads it

import numpy as np

import borderflow
import synthetic
from borderflow.engine import compile_network
from borderflow.engine import run as engine_run
from borderflow.studies.stresstest import targets
from run import sig

PRIORITY_TARGET = 10.0  # simulate seconds per target over the stress test's
OPTIMAL_TARGET = 3.0  # fresh LPs' seconds over warm-started ones'
TTR = 14


@dataclass(frozen=True)
class Plan:
    priority: tuple[int, int, int, int, int]  # regions, nodes, lanes, commodities, days
    simulated: int  # of the priority targets, those also run by `simulate`
    optimal: tuple[int, int, int, int, int]
    optimal_targets: int


FULL = Plan((50, 500, 2000, 5, 365), 12, (10, 60, 240, 3, 90), 12)
QUICK = Plan((10, 60, 240, 3, 60), 4, (5, 20, 60, 2, 30), 4)


def _spec(s: borderflow.Scenario, n: int) -> str:
    return ",".join(d.description for d in targets(s, "nodes", TTR)[:n])


def priority(plan: Plan, flagship: bool = False) -> dict[str, Any]:
    if flagship:
        s = borderflow.model.apply_variant(borderflow.load("n95-2020"), "history")
        spec = "nodes,borders"
    else:
        s = synthetic.build(*plan.priority)
        spec = "nodes"
    borderflow.simulate(s)  # warm-up: first-call costs are not the speed
    t0 = time.perf_counter()
    r = borderflow.stress(s, target_spec=spec, ttr=TTR, optimal_tts=False)
    stress_s = time.perf_counter() - t0
    n = len(r.targets)
    simulated = r.targets if flagship else \
        [r.targets[k] for k in np.linspace(0, n - 1, min(n, plan.simulated)).round().astype(int)]
    # each simulate call, and beside it (same load) its run of the compiled network alone:
    # the part of a call that batching cannot save (the rest: copying, validating, compiling,
    # tables)
    unmet, simulate_s, run_s = [], 0.0, 0.0
    for d in simulated:
        one = s._carry(s.model_copy(update={"disruptions": [d.model_copy(
            update={"enabled": True})]}))
        t0 = time.perf_counter()
        unmet.append(float(borderflow.simulate(one).kpis["unmet"].sum()))
        simulate_s += time.perf_counter() - t0
        net = compile_network(one)
        t0 = time.perf_counter()
        engine_run(net, "priority")
        run_s += time.perf_counter() - t0
    base = float(borderflow.simulate(s).kpis["unmet"].sum())
    impact = r.rows.set_index("target")["impact_units"]
    got = np.array([impact[d.description or d.id] for d in simulated])
    same = bool(np.allclose(got, np.array(unmet) - base, rtol=1e-9, atol=1e-6))
    per_stress, per_simulate = stress_s / n, simulate_s / len(simulated)
    size = {"scenario": "n95-2020", "variant": "history"} if flagship else \
        dict(zip(("regions", "nodes", "lanes", "commodities", "days"), plan.priority, strict=True))
    return {"size": size, "targets": n, "simulated": len(simulated),
            "stress_seconds": sig(stress_s), "simulate_seconds": sig(simulate_s),
            "per_target": {"stress": sig(per_stress), "simulate": sig(per_simulate),
                           "simulate_run": sig(run_s / len(simulated))},
            "speedup": sig(per_simulate / per_stress), "target": PRIORITY_TARGET,
            "same_results": same}


def optimal(plan: Plan) -> dict[str, Any]:
    s = synthetic.build(*plan.optimal)
    spec = _spec(s, plan.optimal_targets)
    timed, rows = {}, {}
    for warm in (True, False):
        t0 = time.perf_counter()
        r = borderflow.stress(s, target_spec=spec, ttr=TTR, allocator="optimal",
                              optimal_tts=False, warm_start=warm)
        timed[warm] = time.perf_counter() - t0
        rows[warm] = r.rows.set_index("target")["impact_units"]
    same = bool(np.allclose(rows[True].sort_index(), rows[False].sort_index(), rtol=1e-7,
                            atol=1e-4))
    return {"size": dict(zip(("regions", "nodes", "lanes", "commodities", "days"), plan.optimal,
                             strict=True)),
            "targets": len(rows[True]), "warm_seconds": sig(timed[True]),
            "fresh_seconds": sig(timed[False]), "speedup": sig(timed[False] / timed[True]),
            "target": OPTIMAL_TARGET, "same_results": same}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small sizes (what the test runs)")
    ap.add_argument("--out", help="also write the JSON document to this file")
    args = ap.parse_args(argv)
    plan = QUICK if args.quick else FULL
    doc = {"meta": {"mode": "quick" if args.quick else "full", "cpus": os.cpu_count(),
                    "loadavg_at_start": os.getloadavg()[0]},
           "priority": priority(plan), "priority_flagship": priority(plan, flagship=True),
           "optimal": optimal(plan)}
    doc["meta"]["loadavg_at_end"] = os.getloadavg()[0]
    text = json.dumps(doc, indent=2)
    print(text)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as f:
            f.write(text + "\n")
    failed = False
    for name in ("priority", "priority_flagship", "optimal"):
        part = doc[name]
        ok = part["speedup"] >= part["target"]
        failed |= not ok
        print(f"{'PASS' if ok else 'FAIL'} {name}: {part['speedup']}x (target "
              f"{part['target']}x){'' if part['same_results'] else '; RESULTS DIFFER'}",
              file=sys.stderr)
    if not all(doc[k]["same_results"] for k in ("priority", "priority_flagship", "optimal")):
        return 1
    return 1 if failed and not args.quick else 0


if __name__ == "__main__":
    sys.exit(main())
