"""The loading benchmark (benchmarks/tables.py) runs in quick mode and its JSON document keeps
its shape. No speed is asserted (machines are noisy; the script prints PASS/FAIL against its
target): what must hold anywhere is that every form loads the same scenario and every figure
is a finite positive number."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_quick_loading_figures(tmp_path: Path) -> None:
    out = tmp_path / "figures.json"
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "tables.py"), "--quick",
                           "--out", str(out)], cwd=ROOT, capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
    doc = json.loads(proc.stdout)
    assert json.loads(out.read_text()) == doc
    t = doc["tables"]
    assert t["same_scenario"] is True
    for form in ("csv", "workbook", "yaml"):
        for what in ("load", "export"):
            x = t[f"{form}_{what}_seconds"]
            assert isinstance(x, float) and math.isfinite(x) and x > 0
    assert "PASS tables" in proc.stderr or "FAIL tables" in proc.stderr
