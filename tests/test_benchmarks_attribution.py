"""The attribution benchmark (benchmarks/attribution.py) runs in quick mode and its JSON
document keeps its shape. No speed is asserted (the script prints PASS/FAIL against its
targets): what must hold anywhere is that the attribution's totals equal the simulated
coalitions' and every time is a finite positive number."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_quick_attribution_figures(tmp_path: Path) -> None:
    out = tmp_path / "figures.json"
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "attribution.py"),
                           "--quick", "--out", str(out)], cwd=ROOT, capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
    doc = json.loads(proc.stdout)  # stdout is exactly one JSON document
    assert json.loads(out.read_text()) == doc
    e = doc["exact"]
    assert doc["meta"]["mode"] == "quick" and e["coalitions"] == 1 << len(e["policies"]) == 64
    assert e["same_results"] is True
    times = [*e["attribute_seconds"].values(), e["simulate_seconds_each"], e["speedup"]]
    assert all(isinstance(x, float) and math.isfinite(x) and x > 0 for x in times)
    best = min(e["attribute_seconds"].values())
    assert math.isclose(e["speedup"], e["simulate_seconds_64"] / best, rel_tol=0.01)
    verdict = "PASS" if e["speedup"] >= e["target"] else "FAIL"
    assert any(line.startswith(f"{verdict} exact speedup") for line in proc.stderr.splitlines())
