"""Loading figures (issue 15, item 6): a generated network of 2,000 nodes and 10,000 lanes
(benchmarks/synthetic.py) read and validated from a folder of CSV tables, from an Excel
workbook and from YAML, in the same run. Target: the CSV tables load in under 5 s on this
machine; the ratio to YAML is printed beside it (the peer measured in the same run).

    python benchmarks/tables.py [--quick] [--out FILE]

Each time is the best of `repeats` calls of `borderflow.load` (parse, validate, check), in
`time.perf_counter` seconds. Prints one JSON document on stdout and a PASS/FAIL line on
stderr; full mode exits 1 when the target fails, both modes when a form loads a different
scenario.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import borderflow
import synthetic
from borderflow.model.export import export
from run import sig

TARGET_SECONDS = 5.0
FULL = {"regions": 100, "nodes": 2000, "lanes": 10000, "commodities": 5, "days": 365,
        "repeats": 3}
QUICK = {"regions": 10, "nodes": 200, "lanes": 1000, "commodities": 3, "days": 60,
         "repeats": 1}


def _best(repeats: int, path: Path) -> tuple[float, borderflow.Scenario]:
    best, scenario = float("inf"), None
    for _ in range(repeats):
        t0 = time.perf_counter()
        scenario = borderflow.load(path)
        best = min(best, time.perf_counter() - t0)
    assert scenario is not None
    return best, scenario


def run(plan: dict[str, int]) -> dict[str, Any]:
    size = {k: plan[k] for k in ("regions", "nodes", "lanes", "commodities", "days")}
    base = synthetic.build(**size)
    out: dict[str, Any] = {"size": size}
    with tempfile.TemporaryDirectory() as tmp:
        loaded = {}
        for form, name in (("csv", "net"), ("workbook", "net.xlsx"), ("yaml", "net.yaml")):
            t0 = time.perf_counter()
            path = export(base, Path(tmp) / name)
            out[f"{form}_export_seconds"] = sig(time.perf_counter() - t0)
            seconds, loaded[form] = _best(plan["repeats"], path)
            out[f"{form}_load_seconds"] = sig(seconds)
    same = base.model_dump()
    out["same_scenario"] = all(s.model_dump() == same for s in loaded.values())
    out["csv_over_yaml"] = sig(out["csv_load_seconds"] / out["yaml_load_seconds"])
    out["target_seconds"] = TARGET_SECONDS
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="a small network (what the test runs)")
    ap.add_argument("--out", help="also write the JSON document to this file")
    args = ap.parse_args(argv)
    doc = {"meta": {"mode": "quick" if args.quick else "full", "cpus": os.cpu_count(),
                    "loadavg_at_start": os.getloadavg()[0]},
           "tables": run(QUICK if args.quick else FULL)}
    doc["meta"]["loadavg_at_end"] = os.getloadavg()[0]
    text = json.dumps(doc, indent=2)
    print(text)
    if args.out:
        Path(args.out).write_text(text + "\n", encoding="utf-8")
    t = doc["tables"]
    ok = t["csv_load_seconds"] < TARGET_SECONDS
    print(f"{'PASS' if ok else 'FAIL'} tables: CSV tables load in {t['csv_load_seconds']} s "
          f"(target under {TARGET_SECONDS} s; YAML {t['yaml_load_seconds']} s, workbook "
          f"{t['workbook_load_seconds']} s){'' if t['same_scenario'] else '; SCENARIOS DIFFER'}",
          file=sys.stderr)
    if not t["same_scenario"]:
        return 1
    return 1 if not ok and not args.quick else 0


if __name__ == "__main__":
    sys.exit(main())
