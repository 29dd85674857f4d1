"""The benchmark suite runs (small sizes) and its JSON document keeps its shape.

No absolute times are asserted: machines are noisy. What must hold anywhere: every figure is a
finite positive number, the headline run breaks no invariant, the SupplyNetPy peer serves the
same total as borderflow, and the scaling slopes are finite.
"""

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


@pytest.fixture(scope="module")
def figures(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("bench") / "figures.json"
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "run.py"), "--quick", "--out", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
    printed = json.loads(proc.stdout)  # stdout is exactly one JSON document
    assert json.loads(out.read_text()) == printed
    return printed


@pytest.mark.slow
def test_headline_figures(figures: dict[str, Any]) -> None:
    assert figures["meta"]["mode"] == "quick"
    h = figures["headline"]
    for key in ("regions", "nodes", "lanes", "commodities", "days", "arcs"):
        assert _positive(h["size"][key]), key
    assert h["allocator"] == "priority"
    for key in ("generate", "validate", "load_yaml", "compile", "run"):
        assert _positive(h["seconds"][key]), key
    assert h["engine_seconds"] == h["seconds"]["run"]
    assert isinstance(h["under_target"], bool)
    for key in ("tracemalloc_peak_mb", "maxrss_mb", "maxrss_before_engine_mb"):
        assert _positive(h["memory"][key]), key
    assert h["memory"]["method"]
    assert _positive(h["demand_total"]) and _positive(h["served_total"])
    assert h["served_total"] <= h["demand_total"] * (1 + 1e-9)
    assert h["invariant_violations"] == []
    loading = h["loading"]
    assert loading["same_scenario"] is True
    assert _positive(loading["run_seconds"]) and loading["target_ratio"] == 1.0
    for form in ("yaml", "tables"):
        f = loading[form]
        assert _positive(f["seconds"]) and f["verdict"] in ("PASS", "FAIL")
        assert math.isclose(f["ratio_to_run"], f["seconds"] / loading["run_seconds"], rel_tol=0.01)


@pytest.mark.slow
def test_scaling_figures(figures: dict[str, Any]) -> None:
    for axis in ("nodes", "days"):
        s = figures["scaling"][axis]
        sizes, runs = s[axis], s["run_seconds"]
        assert len(sizes) == len(runs) >= 3 and sizes == sorted(sizes)
        assert all(_positive(t) for t in runs + s["compile_seconds"])
        assert math.isfinite(s["loglog_slope"])


@pytest.mark.slow
def test_peer_serves_the_same_total(figures: dict[str, Any]) -> None:
    p = figures["peer"]
    assert p["tool"] == "SupplyNetPy"
    bf, sn = p["borderflow"], p["supplynetpy"]
    assert p["served_equal"] is True
    assert math.isclose(bf["served"], sn["served"], rel_tol=1e-9)
    assert math.isclose(bf["served"], p["demand_total"], rel_tol=1e-9)
    for side in (bf, sn):
        for key in ("build_seconds", "run_seconds", "seconds", "served"):
            assert _positive(side[key]), key
    assert _positive(p["time_ratio"]) and _positive(p["time_ratio_run_only"])
    assert math.isclose(p["time_ratio"], sn["seconds"] / bf["seconds"], rel_tol=0.01)
    assert p["simplifications"]


@pytest.mark.slow
def test_kernel_reference(figures: dict[str, Any]) -> None:
    k = figures["kernel"]
    assert k["same_outputs"] is True and k["outputs_differing"] == []
    assert {"stock", "served", "shipped"} <= set(k["outputs_compared"])
    assert _positive(k["engine_seconds"]) and _positive(k["kernel_seconds"])
    assert k["verdict"] == ("PASS" if k["ratio"] <= k["target_ratio"] else "FAIL")
    largest = figures["scaling"]["nodes"]["largest"]
    assert largest["nodes"] == max(figures["scaling"]["nodes"]["nodes"])
    assert _positive(largest["maxrss_mb"])


def test_kernel_refuses_what_it_does_not_compute() -> None:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import kernel
    finally:
        sys.path.pop(0)
    from borderflow import load
    from borderflow.engine import compile_network

    assert not kernel.supported(compile_network(load("n95-2020")))  # policies, care, claims
