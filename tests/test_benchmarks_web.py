"""The dashboard benchmark (benchmarks/web.py) runs and keeps issue 7's promise: the flagship's
charts are back within a second of pressing Run."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_the_flagship_answers_within_a_second(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "web.py"), "--repeats", "3"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-4000:]
    doc = json.loads(proc.stdout)  # stdout is exactly one JSON document
    assert math.isfinite(doc["web_over_simulate"]) and doc["web_over_simulate"] > 1
    assert doc["within_a_second"] is True, doc
