"""The stress benchmark (benchmarks/stress.py) runs in quick mode and its JSON document keeps
its shape. No speed is asserted (machines are noisy; the script prints PASS/FAIL against its
targets): what must hold anywhere is that both ways of each comparison find the same losses and
every figure is a finite positive number."""

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
def test_quick_stress_figures(tmp_path: Path) -> None:
    out = tmp_path / "figures.json"
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "stress.py"), "--quick",
                           "--out", str(out)], cwd=ROOT, capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
    doc = json.loads(proc.stdout)  # stdout is exactly one JSON document
    assert json.loads(out.read_text()) == doc
    assert doc["meta"]["mode"] == "quick"
    o = doc["optimal"]
    assert o["same_results"] is True and o["targets"] == 4
    assert doc["priority"]["targets"] > doc["priority"]["simulated"] == 4  # every node
    assert doc["priority_flagship"]["targets"] == doc["priority_flagship"]["simulated"] > 20
    for p in (doc["priority"], doc["priority_flagship"]):
        assert p["same_results"] is True
        for key in ("stress_seconds", "simulate_seconds", "speedup"):
            assert _positive(p[key]), key
        per = p["per_target"]
        assert math.isclose(per["stress"], p["stress_seconds"] / p["targets"], rel_tol=0.01)
        assert math.isclose(per["simulate"], p["simulate_seconds"] / p["simulated"], rel_tol=0.01)
        assert math.isclose(p["speedup"], per["simulate"] / per["stress"], rel_tol=0.01)
        assert _positive(per["simulate_run"])
    for key in ("warm_seconds", "fresh_seconds", "speedup"):
        assert _positive(o[key]), key
    assert math.isclose(o["speedup"], o["fresh_seconds"] / o["warm_seconds"], rel_tol=0.01)
    lines = proc.stderr.splitlines()
    for name in ("priority", "priority_flagship", "optimal"):
        verdict = "PASS" if doc[name]["speedup"] >= doc[name]["target"] else "FAIL"
        assert any(line.startswith(f"{verdict} {name}") for line in lines), lines
