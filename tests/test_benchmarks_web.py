"""The dashboard benchmark (benchmarks/web.py) runs and reports the flagship's answer time
against `simulate` and whether it is within a second (issue 7's target), and the attribution
page's against `attribute` with its 5 s verdict (issue 13's). Times are not asserted here
(machines are noisy); benchmarks/README.md records them."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_the_dashboard_benchmark_reports_the_flagship_answer(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "web.py"), "--quick"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-4000:]
    doc = json.loads(proc.stdout)  # stdout is exactly one JSON document
    for key in ("simulate_seconds", "web_seconds", "web_over_simulate"):
        assert math.isfinite(doc[key]) and doc[key] > 0, key
    assert isinstance(doc["within_a_second"], bool)
    att = doc["attribution"]
    assert att["target_seconds"] == 5.0 and att["verdict"] in ("PASS", "FAIL")
    assert [c["variant"] for c in att["cases"]] == ["(as written)", "ban-and-retaliation"]
    for case in att["cases"]:
        assert case["policies"] == 4 and case["coalitions"] == 16  # --quick
        for key in ("attribute_seconds", "web_seconds", "web_over_attribute"):
            assert math.isfinite(case[key]) and case[key] > 0, key
        assert case["verdict"] == ("PASS" if case["web_seconds"] < 5.0 else "FAIL")
    assert att["verdict"] == ("PASS" if all(c["verdict"] == "PASS" for c in att["cases"])
                              else "FAIL")
