"""Stress-test folders: stress.parquet (one row per target), stress_regions.parquet (each
target's impact per region and commodity), stress.json (the `stress --json` document) and
manifest.json, written atomically."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ..studies import StressResult
from . import manifest
from .folders import write_study

TABLE, REGIONS, DOCUMENT = "stress.parquet", "stress_regions.parquet", "stress.json"


def write_stress(result: StressResult, out: Path,
                 finish: Callable[[Path], None] | None = None) -> Path:
    worst = result.rows.iloc[0]["target"] if len(result.rows) else "nothing"
    m = manifest.manifest("stress", result.scenario, [result.variant], result.allocator,
                          summary=f"{len(result.rows)} targets; most exposed: {worst}")
    return write_study(out, m, {TABLE: result.rows, REGIONS: result.regions},
                       {DOCUMENT: result.to_json()}, finish)
