"""The sweep benchmark (benchmarks/sweep.py) runs in quick mode and its JSON document keeps its
shape. No speed is asserted here (machines are noisy; the script itself prints PASS/FAIL
against its targets): what must hold anywhere is that the batch and one-at-a-time runs agree,
every figure is a finite positive number, and the memory probes ran."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _positive(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x) and x > 0


@pytest.mark.slow
def test_quick_sweep_figures(tmp_path: Path) -> None:
    out = tmp_path / "figures.json"
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "sweep.py"), "--quick",
                           "--out", str(out)], cwd=ROOT, capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
    doc = json.loads(proc.stdout)  # stdout is exactly one JSON document
    assert json.loads(out.read_text()) == doc
    assert doc["meta"]["mode"] == "quick"
    b = doc["batch"]
    assert b["same_results"] is True
    for side in ("one_at_a_time", "batch"):
        assert _positive(b[side]["seconds"]) and _positive(b[side]["samples_per_second"])
    assert math.isclose(b["speedup"], b["batch"]["samples_per_second"] /
                        b["one_at_a_time"]["samples_per_second"], rel_tol=0.01)
    s = doc["scale"]
    assert s["workers"] == 2 and s["chunk_files"] == math.ceil(s["samples"] / s["chunk_size"])
    assert _positive(s["seconds"]) and s["summary_rows"] > 0
    for key in ("memory", "memory_daily"):
        runs = doc[key]["runs"]
        assert [r["samples"] for r in runs] == sorted(r["samples"] for r in runs) and len(runs) == 3
        for r in runs:
            assert _positive(r["maxrss_mb"]) and r["maxrss_mb"] >= r["maxrss_before_sweep_mb"]
            assert r["samples"] <= r["kpi_rows"] <= r["samples"] * r["summary_rows"]
        assert math.isclose(doc[key]["growth_mb"], runs[-1]["maxrss_mb"] - runs[0]["maxrss_mb"],
                            rel_tol=0.01, abs_tol=0.01)
    assert doc["memory"]["daily"] == [] and all(r["daily_rows"] == 0 and r["fan_rows"] == 0
                                                for r in doc["memory"]["runs"])
    for r in doc["memory_daily"]["runs"]:  # a row a sample and day of each region's commodity
        per_sample_day = r["daily_rows"] / (r["samples"] * 98)  # figures keep 4 digits
        assert round(per_sample_day) >= 1
        assert math.isclose(per_sample_day, round(per_sample_day), rel_tol=1e-3)
        assert r["fan_rows"] > 0 and r["fan_rows"] % (2 * 98) == 0
    for key in ("batch", "scale", "memory", "memory_daily"):
        verdict = "PASS" if doc[key]["pass"] else "FAIL"
        assert sum(line.startswith(verdict) for line in proc.stderr.splitlines()) >= 1
    assert len([x for x in proc.stderr.splitlines() if x[:4] in ("PASS", "FAIL")]) == 4
