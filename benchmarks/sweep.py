"""Sweep figures for the flagship (n95-2020): the batch engine against one sample at a time,
10,000 samples on 2 cores (against the batch's own speed on 2 cores), and peak memory as the
number of samples grows (KPIs only, and with the daily series of one region). Every sweep runs
in chunks of `studies.CHUNK_SIZE`.

    python benchmarks/sweep.py            # full sizes (a few minutes on a quiet 2-core machine)
    python benchmarks/sweep.py --quick    # small sizes (what the test runs)
    python benchmarks/sweep.py --out figures.json

Prints one JSON document on stdout and a PASS/FAIL line per target on stderr. Full mode
exits 1 when a target fails; both modes exit 1 when the batch and the one-at-a-time runs
disagree. Times are `time.perf_counter` seconds; the invariant check (BORDERFLOW_CHECK) is off.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq

from borderflow import sweep
from borderflow.model import load
from borderflow.studies import CHUNK_SIZE, Chunk, run_chunk
from run import peak_rss_mb, sig

SCENARIO = "n95-2020"
SPEEDUP_TARGET = 10.0  # batch samples/s over one-at-a-time samples/s
SECONDS_TARGET = 20.0  # for `scale.samples` samples on 2 workers
MEMORY_SLACK_MB = 50.0  # peak RSS at the largest N over the smallest, at most
DAILY_REGION = "on"  # the daily series of the second memory figure


@dataclass(frozen=True)
class Plan:
    one_at_a_time: int  # samples run one by one (chunks of 1)
    batch: int  # samples run as one chunk (CHUNK_SIZE in full mode)
    scale: int  # samples of the end-to-end sweep on 2 workers
    memory: tuple[int, ...]  # sample counts of the memory probes


FULL = Plan(one_at_a_time=40, batch=CHUNK_SIZE, scale=10_000, memory=(1_000, 5_000, 10_000))
QUICK = Plan(one_at_a_time=4, batch=32, scale=2 * CHUNK_SIZE, memory=(64, 128, 256))


def batch_speedup(plan: Plan, seed: int = 1) -> dict[str, Any]:
    """Samples per second, one at a time (chunks of 1: compile, run, KPIs per sample) and as one
    batch, in the same process; and the first samples' KPIs agree between the two."""
    s = load(SCENARIO)
    run_chunk(s, Chunk(None, 0, 0, 2), seed)  # warm-up: first-call costs are not the speed
    t0 = time.perf_counter()
    single = pd.concat([run_chunk(s, Chunk(None, k, k, k + 1), seed).kpis
                        for k in range(plan.one_at_a_time)], ignore_index=True)
    t_single = time.perf_counter() - t0
    t0 = time.perf_counter()
    batch = run_chunk(s, Chunk(None, 0, 0, plan.batch), seed).kpis
    t_batch = time.perf_counter() - t0
    head = batch[batch["sample"] < plan.one_at_a_time].reset_index(drop=True)
    cols = ["demand", "served", "unmet"]
    same = bool(head[["variant", "sample", "region", "commodity", "stockout_days"]]
                .equals(single[["variant", "sample", "region", "commodity", "stockout_days"]])
                and ((head[cols] - single[cols]).abs().to_numpy()
                     <= 1e-9 * (1 + single[cols].abs().to_numpy())).all())
    one_rate, batch_rate = plan.one_at_a_time / t_single, plan.batch / t_batch
    return {"one_at_a_time": {"samples": plan.one_at_a_time, "seconds": sig(t_single),
                              "samples_per_second": sig(one_rate)},
            "batch": {"samples": plan.batch, "seconds": sig(t_batch),
                      "samples_per_second": sig(batch_rate)},
            "speedup": sig(batch_rate / one_rate, 3), "target": SPEEDUP_TARGET,
            "pass": batch_rate / one_rate >= SPEEDUP_TARGET, "same_results": same}


def scale(plan: Plan, batch_rate: float) -> dict[str, Any]:
    """`plan.scale` samples end to end through sweep(): 2 local workers, Parquet written; and
    against `reference_seconds`, the same samples at `batch_rate` (samples per second of one
    chunk in this process, measured in the same run) on each of 2 cores: what is left beyond
    the chunks' own work (starting workers, sending chunks, writing files, the summary, other
    jobs on the machine) is the ratio's excess over 1."""
    load = os.getloadavg()[0]  # the shared machine's load just before (1-minute average)
    with tempfile.TemporaryDirectory() as tmp:
        cpu0 = _cpu_seconds()
        t0 = time.perf_counter()
        r = sweep(SCENARIO, samples=plan.scale, seed=2, workers=2, out=Path(tmp) / "sweep",
                  chunk_size=CHUNK_SIZE)
        summary = r.summary()
        seconds = time.perf_counter() - t0
        cpu = _cpu_seconds() - cpu0
        files = len(list((Path(tmp) / "sweep").glob("chunk-*.parquet")))
    reference = plan.scale / (2 * batch_rate)
    return {"samples": plan.scale, "workers": 2, "executor": "local", "chunk_size": CHUNK_SIZE,
            "chunk_files": files, "summary_rows": len(summary), "seconds": sig(seconds),
            "samples_per_second": sig(plan.scale / seconds), "reference_seconds": sig(reference),
            "ratio_to_reference": sig(seconds / reference, 3), "loadavg_before": round(load, 2),
            "target_seconds": SECONDS_TARGET,
            "pass": seconds < SECONDS_TARGET, "cpu_seconds": sig(cpu),
            "cpu_note": "user + system seconds of this process and its (finished) workers: "
                        "cpu_seconds / 2 is the wall time on 2 otherwise idle cores"}


def _cpu_seconds() -> float:
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def probe(samples: int, daily: bool) -> dict[str, float]:
    """In this (fresh) process: a sweep of `samples` to Parquet (with `--daily DAILY_REGION` if
    `daily`), its summary and fan, in process (workers=1, so every byte is counted here)."""
    before = peak_rss_mb()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "sweep"
        r = sweep(SCENARIO, samples=samples, seed=3, out=out, chunk_size=CHUNK_SIZE,
                  daily=[DAILY_REGION] if daily else None)
        rows, fan_rows = len(r.summary()), len(r.fan())
        kpi_rows = sum(pq.ParquetFile(f).metadata.num_rows for f in out.glob("chunk-*.parquet"))
        daily_rows = sum(pq.ParquetFile(f).metadata.num_rows for f in out.glob("daily-*.parquet"))
    return {"maxrss_mb": peak_rss_mb(), "maxrss_before_sweep_mb": before,
            "kpi_rows": float(kpi_rows), "daily_rows": float(daily_rows),
            "summary_rows": float(rows), "fan_rows": float(fan_rows)}


def memory(plan: Plan, daily: bool) -> dict[str, Any]:
    runs = []
    for n in plan.memory:
        cmd = [sys.executable, str(Path(__file__).resolve()), "--memory-probe", str(n)]
        out = subprocess.run(cmd + (["--daily"] if daily else []), capture_output=True,
                             text=True, check=True).stdout
        runs.append({"samples": n, **{k: sig(v) for k, v in json.loads(out).items()}})
    growth = runs[-1]["maxrss_mb"] - runs[0]["maxrss_mb"]
    per_sample = 1024 * growth / (plan.memory[-1] - plan.memory[0])
    return {"daily": [DAILY_REGION] if daily else [], "runs": runs, "growth_mb": sig(growth),
            "growth_kb_per_sample": sig(per_sample), "slack_mb": MEMORY_SLACK_MB,
            "pass": growth <= MEMORY_SLACK_MB,
            "chunk_size": CHUNK_SIZE,
            "method": "peak resident set size (VmHWM) of a fresh process that sweeps N samples "
                      "in process to Parquet and computes their summary and fan (over the "
                      "folder's files, in DuckDB); growth_mb: at the largest N minus at the "
                      "smallest. kpi_rows and daily_rows count the rows written, none of which "
                      "the sweep holds in memory"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes")
    parser.add_argument("--out", type=Path, help="also write the JSON document to this file")
    parser.add_argument("--memory-probe", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--daily", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.memory_probe:
        print(json.dumps(probe(args.memory_probe, args.daily)))
        return 0
    os.environ.pop("BORDERFLOW_CHECK", None)  # the check is measured nowhere here
    plan = QUICK if args.quick else FULL
    t0 = time.perf_counter()
    figures: dict[str, Any] = {
        "meta": {"mode": "quick" if args.quick else "full", "scenario": SCENARIO,
                 "machine_cpus": os.cpu_count(),
                 "loadavg_at_start": [round(x, 2) for x in os.getloadavg()]},
        "batch": batch_speedup(plan)}
    figures["scale"] = scale(plan, figures["batch"]["batch"]["samples_per_second"])
    figures["memory"] = memory(plan, daily=False)
    figures["memory_daily"] = memory(plan, daily=True)
    figures["meta"]["total_seconds"] = sig(time.perf_counter() - t0, 3)
    figures["meta"]["loadavg_at_end"] = [round(x, 2) for x in os.getloadavg()]
    text = json.dumps(figures, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")
    b, s = figures["batch"], figures["scale"]
    lines = [(b["pass"], f"batch engine {b['speedup']}x one sample at a time (target >= "
                         f"{SPEEDUP_TARGET:g}x)"),
             (s["pass"], f"{s['samples']:,} samples on 2 workers in {s['seconds']} s, "
                         f"{s['cpu_seconds']} CPU s, {s['ratio_to_reference']}x the batch's "
                         f"speed on 2 cores (target < {SECONDS_TARGET:g} s)")]
    for key, what in (("memory", "KPIs only"), ("memory_daily", f"with --daily {DAILY_REGION}")):
        m = figures[key]
        lines.append((m["pass"], f"peak memory grows {m['growth_mb']} MB from {plan.memory[0]:,} "
                                 f"to {plan.memory[-1]:,} samples, {what} (target <= "
                                 f"{MEMORY_SLACK_MB:g} MB)"))
    for ok, line in lines:
        print(("PASS " if ok else "FAIL ") + line, file=sys.stderr)
    if not b["same_results"]:
        print("FAIL the batch and one-at-a-time runs disagree", file=sys.stderr)
        return 1
    return 0 if args.quick or all(ok for ok, _ in lines) else 1


if __name__ == "__main__":
    sys.exit(main())
