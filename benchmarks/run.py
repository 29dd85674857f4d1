"""borderflow's benchmark suite: prints one JSON document of figures (see benchmarks/README.md).

    python benchmarks/run.py            # full sizes (about a minute)
    python benchmarks/run.py --quick    # small sizes (a few seconds; what the test runs)
    python benchmarks/run.py --out figures.json

Times are `time.perf_counter` seconds, the best of a few repeats, on one core (the process is
pinned to one CPU where the OS allows). Nothing but the JSON goes to stdout.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields, replace
from importlib import metadata
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

import kernel
import peer
import synthetic
from borderflow.engine import ALLOCATORS, Network, Trace, compile_network, violations
from borderflow.model import Scenario, load, loads
from borderflow.model.export import dump_yaml, export, scenario_data
from synthetic import Size

T = TypeVar("T")
ALLOCATOR = "priority"
TARGET_RUN_SECONDS = 1.0
MEMORY_TARGET_MB = 4096  # peak memory at the largest size of the scaling in nodes
KERNEL_RATIO_TARGET = 3.0  # the engine at most this many times the bare numpy kernel
TARGET_LOAD_RATIO = 1.0  # issue 16, item 2: loading and compiling no slower than one run
PEER_TOLERANCE = 1e-9  # relative


@dataclass(frozen=True)
class Plan:
    headline: Size
    nodes: list[int]  # node counts for the scaling in nodes (lanes = lanes_per_node x nodes)
    days: list[int]  # horizons for the scaling in days (at the headline's size)
    lanes_per_node: int
    peer: tuple[int, int, int]  # distributors, hospitals, days
    repeats: int
    peer_repeats: int


FULL = Plan(headline=Size(regions=50, nodes=500, lanes=2000, commodities=5, days=365),
            nodes=[250, 500, 1000, 2000, 5000], days=[91, 182, 365, 730], lanes_per_node=4,
            peer=(20, 200, 365), repeats=5, peer_repeats=3)
QUICK = Plan(headline=Size(regions=5, nodes=60, lanes=240, commodities=3, days=60),
             nodes=[30, 60, 120], days=[30, 60, 120], lanes_per_node=4,
             peer=(4, 20, 60), repeats=2, peer_repeats=2)


def best_of(repeats: int, fn: Callable[[], T]) -> tuple[float, T]:
    """The shortest of `repeats` timed calls, and the last call's result."""
    best = math.inf
    result: T
    for _ in range(max(1, repeats)):
        gc.collect()
        t0 = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t0)
    return best, result


def engine_run(net: Network) -> Trace:
    """The priority allocator without the optional invariant check (that is measured apart)."""
    return ALLOCATORS[ALLOCATOR].run(net)


def sig(x: float, digits: int = 4) -> float:
    return float(f"{x:.{digits}g}")


def loglog_slope(x: list[int], y: list[float]) -> float:
    """Slope of log(y) against log(x) by least squares: 1 = linear growth."""
    return float(np.polyfit(np.log(x), np.log(y), 1)[0])


def headline(size: Size, repeats: int) -> dict[str, Any]:
    rss = memory_probe(size)  # first, while this process is still small
    args = (size.regions, size.nodes, size.lanes, size.commodities, size.days, size.seed)
    t_gen, data = best_of(repeats, lambda: synthetic.scenario_dict(*args))
    t_val, scenario = best_of(repeats, lambda: synthetic.validate(data))
    text = synthetic.to_yaml(data)
    t_yaml, _ = best_of(1, lambda: loads(text))
    t_compile, net = best_of(repeats, lambda: compile_network(scenario))
    engine_run(net)  # warm-up: first-call costs are not the engine's steady speed
    t_run, trace = best_of(repeats, lambda: engine_run(net))
    broken = violations(net, trace)
    del trace
    gc.collect()
    # the same network with the inventory decisions switched on, timed in the same run
    decided = compile_network(synthetic.validate(synthetic.with_decisions(data)))
    engine_run(decided)
    t_decided, trace = best_of(repeats, lambda: engine_run(decided))
    broken += violations(decided, trace)
    del trace
    gc.collect()

    loaded = loading(scenario, t_run, repeats)

    tracemalloc.start()
    net2 = compile_network(scenario)
    trace = engine_run(net2)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    demand, served = float(trace.demand.sum()), float(trace.served.sum())
    return {
        "size": {**asdict(size), "arcs": int(net.arc_src.size), "recipes": int(net.rec_node.size),
                 "levels": len(net.level_pairs)},
        "allocator": ALLOCATOR,
        "repeats": repeats,
        "seconds": {"generate": sig(t_gen), "validate": sig(t_val), "load_yaml": sig(t_yaml),
                    "compile": sig(t_compile), "run": sig(t_run)},
        "engine_seconds": sig(t_run),
        "with_decisions": {"run_seconds": sig(t_decided), "ratio_to_default": sig(t_decided / t_run, 3),
                           "what": "synthetic.with_decisions: 7-day moving averages, (s, S) at a "
                                   "third of the warehouses, backlogs at half the sites, sharing "
                                   "by forecast use at a quarter of the warehouses"},
        "target_seconds": TARGET_RUN_SECONDS,
        "under_target": t_run < TARGET_RUN_SECONDS,
        "loading": loaded,
        "memory": {
            "tracemalloc_peak_mb": sig(peak / 2**20),
            "maxrss_mb": rss["maxrss_mb"],
            "maxrss_before_engine_mb": rss["maxrss_before_engine_mb"],
            "method": "tracemalloc_peak_mb: peak of the memory allocated (Python objects and numpy "
                      "buffers) during one compile + run, traced apart from the timed runs; "
                      "maxrss_mb: peak resident set size of a fresh process that builds the "
                      "scenario, compiles and runs it once (interpreter, numpy, pandas and pydantic "
                      "included), read as VmHWM from /proc/self/status (the ru_maxrss of "
                      "resource.getrusage for this process image alone; ru_maxrss itself where "
                      "/proc is missing); maxrss_before_engine_mb: the same process just before "
                      "compiling",
        },
        "trace_mb": sig(sum(getattr(trace, f).nbytes for f in (x.name for x in fields(Trace))) / 2**20),
        "demand_total": sig(demand, 10),
        "served_total": sig(served, 10),
        "served_pct": sig(100 * served / demand if demand else 100.0),
        "invariant_violations": broken,
    }


def kernel_reference(size: Size, repeats: int) -> dict[str, Any]:
    """The engine against the bare numpy kernel (kernel.py) on the headline network, timed
    alternately in the same process (so both see the same load), best of the repeats each."""
    net = compile_network(synthetic.build(size.regions, size.nodes, size.lanes, size.commodities,
                                          size.days, size.seed))
    if not kernel.supported(net):
        raise SystemExit("the headline network uses what the kernel does not compute")
    trace, ours = engine_run(net), kernel.run(net)  # warm-up, and the outputs compared
    differ = kernel.differences(ours, trace)
    del trace, ours
    t_engine = t_kernel = math.inf
    for _ in range(max(3, repeats)):
        t_engine = min(t_engine, best_of(1, lambda: engine_run(net))[0])
        t_kernel = min(t_kernel, best_of(1, lambda: kernel.run(net))[0])
    ratio = t_engine / t_kernel
    return {
        "engine_seconds": sig(t_engine), "kernel_seconds": sig(t_kernel),
        "ratio": sig(ratio, 3), "target_ratio": KERNEL_RATIO_TARGET,
        "verdict": "PASS" if ratio <= KERNEL_RATIO_TARGET else "FAIL",
        "same_outputs": not differ, "outputs_differing": differ,
        "outputs_compared": sorted(kernel.OUTPUTS),
        "what": "benchmarks/kernel.py: the same day's arithmetic in plain numpy for a network "
                "without policies (arrive, produce, consume, request level by level, cap by lane, "
                "share stock pro rata, dispatch), recording stock, in transit, served, made, "
                "requested and shipped; the engine also records demand, backlog, conservation, "
                "substitutes, claims, care, what the lane limits allowed and each shortfall's reason",
        "timing": "engine and kernel alternately, best of the repeats each",
    }


def loading(scenario: Scenario, t_run: float, repeats: int) -> dict[str, Any]:
    """The headline scenario loaded (parse, validate, check) and compiled, from the YAML and
    from the folder of CSV tables `borderflow export` writes, each as a ratio to one engine
    run of it (`t_run`, measured in this process)."""
    text = dump_yaml(scenario_data(scenario))
    with tempfile.TemporaryDirectory() as tmp:
        folder = export(scenario, Path(tmp) / "tables")
        t_yaml, _ = best_of(repeats, lambda: compile_network(loads(text)))
        t_tables, _ = best_of(repeats, lambda: compile_network(load(folder)))
        same = loads(text).model_dump() == load(folder).model_dump() == scenario.model_dump()
    out: dict[str, Any] = {"run_seconds": sig(t_run), "target_ratio": TARGET_LOAD_RATIO,
                           "same_scenario": same}
    for form, seconds in (("yaml", t_yaml), ("tables", t_tables)):
        ratio = seconds / t_run
        out[form] = {"seconds": sig(seconds), "ratio_to_run": sig(ratio, 3),
                     "verdict": "PASS" if ratio <= TARGET_LOAD_RATIO and same else "FAIL"}
    out["what"] = ("seconds: borderflow.model.loads of the YAML text `borderflow export` writes "
                   "(yaml) or borderflow.load of its folder of CSV tables (tables), then "
                   "compile_network, best of the repeats; ratio_to_run: over one engine run of "
                   "the same network (run_seconds); PASS at most target_ratio")
    return out


def memory_probe(size: Size) -> dict[str, float]:
    """ru_maxrss of a fresh process around one compile + run (see `probe`)."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--memory-probe", json.dumps(asdict(size))]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    return {k: sig(v) for k, v in json.loads(out).items()}


def peak_rss_mb() -> float:
    """This process's peak resident set size: VmHWM where /proc has it, else ru_maxrss.

    On Linux ru_maxrss survives fork + exec (a child starts with its parent's high-water mark),
    so a fresh process reading it after a big parent would report the parent's peak; VmHWM is
    the same peak for this process image alone.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def probe(size: Size) -> dict[str, float]:
    scenario = synthetic.build(size.regions, size.nodes, size.lanes, size.commodities, size.days,
                               size.seed)
    before = peak_rss_mb()
    trace = engine_run(compile_network(scenario))
    after = peak_rss_mb()
    assert trace.served.size
    return {"maxrss_mb": after, "maxrss_before_engine_mb": before}


def _scaled(size: Size, repeats: int) -> dict[str, float]:
    scenario: Scenario = synthetic.build(size.regions, size.nodes, size.lanes, size.commodities,
                                         size.days, size.seed)
    t_compile, net = best_of(repeats, lambda: compile_network(scenario))
    engine_run(net)
    t_run, _ = best_of(repeats, lambda: engine_run(net))
    return {"compile": t_compile, "run": t_run, "arcs": float(net.arc_src.size)}


def scaling(plan: Plan) -> dict[str, Any]:
    h = plan.headline
    by_nodes = [_scaled(Size(h.regions, n, plan.lanes_per_node * n, h.commodities, h.days, h.seed),
                        plan.repeats) for n in plan.nodes]
    by_days = [_scaled(Size(h.regions, h.nodes, h.lanes, h.commodities, d, h.seed), plan.repeats)
               for d in plan.days]
    node_runs = [r["run"] for r in by_nodes]
    day_runs = [r["run"] for r in by_days]
    n = max(plan.nodes)
    largest = memory_probe(Size(h.regions, n, plan.lanes_per_node * n, h.commodities, h.days, h.seed))
    return {
        "nodes": {
            "nodes": plan.nodes,
            "lanes": [plan.lanes_per_node * n for n in plan.nodes],
            "arcs": [int(r["arcs"]) for r in by_nodes],
            "fixed": {"regions": h.regions, "commodities": h.commodities, "days": h.days},
            "compile_seconds": [sig(r["compile"]) for r in by_nodes],
            "run_seconds": [sig(t) for t in node_runs],
            "loglog_slope": sig(loglog_slope(plan.nodes, node_runs), 3),
            "largest": {"nodes": n, "maxrss_mb": largest["maxrss_mb"],
                        "target_mb": MEMORY_TARGET_MB,
                        "verdict": "PASS" if largest["maxrss_mb"] < MEMORY_TARGET_MB else "FAIL",
                        "what": "peak resident set size of a fresh process building, compiling "
                                "and running the largest network once (as headline.memory)"},
        },
        "days": {
            "days": plan.days,
            "fixed": {"regions": h.regions, "nodes": h.nodes, "lanes": h.lanes,
                      "commodities": h.commodities},
            "compile_seconds": [sig(r["compile"]) for r in by_days],
            "run_seconds": [sig(t) for t in day_runs],
            "loglog_slope": sig(loglog_slope(plan.days, day_runs), 3),
        },
        "repeats": plan.repeats,
        "note": "slope of log(run seconds) on log(size) by least squares; 1 means linear",
    }


def _best_run(repeats: int, fn: Callable[[], tuple[dict[str, float], float]]
              ) -> tuple[dict[str, float], float]:
    best: tuple[dict[str, float], float] | None = None
    for _ in range(max(1, repeats)):
        gc.collect()
        times, served = fn()
        if best is None or sum(times.values()) < sum(best[0].values()):
            best = (times, served)
    assert best is not None
    return best


def peer_figures(plan: Plan) -> dict[str, Any]:
    case = peer.make_case(*plan.peer)
    peer.run_borderflow(case)  # warm-up (imports, first calls)
    bf_t, bf_served = _best_run(plan.repeats, lambda: peer.run_borderflow(case))
    peer.run_supplynetpy(peer.make_case(2, 4, 5))  # warm-up: the import of SupplyNetPy is not timed
    sn_t, sn_served = _best_run(plan.peer_repeats, lambda: peer.run_supplynetpy(case))
    bf_s, sn_s = sum(bf_t.values()), sum(sn_t.values())
    scale = max(1.0, abs(case.total_demand))
    equal = abs(bf_served - sn_served) <= PEER_TOLERANCE * scale
    return {
        "tool": "SupplyNetPy",
        "version": metadata.version("supplynetpy"),
        "case": "one plant -> distributors -> hospitals, one commodity, daily order-up-to "
                "replenishment, lead times 1-5 days, plant capacity above demand and initial stocks "
                "covering every lead time: both tools must serve all demand",
        "network": case.describe(),
        "demand_total": sig(case.total_demand, 10),
        "borderflow": {"build_seconds": sig(bf_t["build"]), "run_seconds": sig(bf_t["run"]),
                       "seconds": sig(bf_s), "served": sig(bf_served, 10),
                       "build_is": "pydantic validation + compile to arrays"},
        "supplynetpy": {"build_seconds": sig(sn_t["build"]), "run_seconds": sig(sn_t["run"]),
                        "seconds": sig(sn_s), "served": sig(sn_served, 10),
                        "build_is": "creating the SimPy environment, nodes, links and demands",
                        "logging": "off (logging=False on every node, global logger disabled, "
                                   "warnings ignored, stdout/stderr captured)"},
        "served_equal": equal,
        "tolerance_rel": PEER_TOLERANCE,
        "time_ratio": sig(sn_s / bf_s, 3),
        "time_ratio_run_only": sig(sn_t["run"] / bf_t["run"], 3),
        "ratio_is": "supplynetpy_seconds / borderflow_seconds, each from the same plain description "
                    "to the totals (build + run), best of the repeats",
        "repeats": {"borderflow": plan.repeats, "supplynetpy": plan.peer_repeats},
        "simplifications": [
            "SupplyNetPy's plant is a raw-material Supplier mining the plant capacity every day "
            "(its Manufacturer makes only what is ordered, from raw materials, in batches)",
            "no lane capacities: SupplyNetPy links have none",
            "stock is never short, so SupplyNetPy's all-or-nothing shipping and borderflow's "
            "pro-rata sharing never come into play",
            "SupplyNetPy needs a storage capacity per node: set to 3 x the order-up-to level",
            "borderflow's distributors order up to 14 x the requests received that day; "
            "SupplyNetPy's up to a fixed S = 14 x their hospitals' daily demand (equal in steady state)",
        ],
    }


def pin_to_one_cpu() -> list[int] | None:
    if not hasattr(os, "sched_setaffinity"):
        return None
    cpu = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cpu})
    return sorted(os.sched_getaffinity(0))


def meta(plan: Plan, quick: bool, cpus: list[int] | None) -> dict[str, Any]:
    return {
        "mode": "quick" if quick else "full",
        "borderflow": metadata.version("borderflow"),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "platform": platform.platform(),
        "machine_cpus": os.cpu_count(),
        "pinned_cpus": cpus,
        "timer": "time.perf_counter, best of the repeats, garbage collected before each",
        "loadavg_at_start": [round(x, 2) for x in os.getloadavg()],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, a few seconds in total")
    parser.add_argument("--out", type=Path, help="also write the JSON document to this file")
    parser.add_argument("--repeats", type=int, help="override the number of repeats")
    parser.add_argument("--memory-probe", metavar="SIZE_JSON", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.memory_probe:
        print(json.dumps(probe(Size(**json.loads(args.memory_probe)))))
        return 0
    plan = QUICK if args.quick else FULL
    if args.repeats:
        plan = replace(plan, repeats=args.repeats, peer_repeats=args.repeats)
    cpus = pin_to_one_cpu()
    t0 = time.perf_counter()
    figures: dict[str, Any] = {"meta": meta(plan, args.quick, cpus)}
    figures["headline"] = headline(plan.headline, plan.repeats)
    figures["kernel"] = kernel_reference(plan.headline, plan.repeats)
    figures["scaling"] = scaling(plan)
    figures["peer"] = peer_figures(plan)
    figures["meta"]["total_seconds"] = sig(time.perf_counter() - t0, 3)
    figures["meta"]["loadavg_at_end"] = [round(x, 2) for x in os.getloadavg()]
    text = json.dumps(figures, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")
    ok = figures["peer"]["served_equal"] and not figures["headline"]["invariant_violations"] \
        and figures["kernel"]["same_outputs"]
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
