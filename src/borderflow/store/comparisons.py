"""Comparison folders: compare.parquet (the table), compare.json (the `compare --json`
document) and manifest.json, written atomically."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ..results import Comparison
from . import manifest
from .folders import write_study

TABLE, DOCUMENT = "compare.parquet", "compare.json"


def write_comparison(comparison: Comparison, out: Path,
                     finish: Callable[[Path], None] | None = None) -> Path:
    """The comparison's files, then `finish(folder)` if given, before the folder is moved in."""
    names = list(comparison.results)
    m = manifest.manifest("compare", comparison.scenario, list(names),
                          next(iter(comparison.results.values())).allocator,
                          summary=f"{len(names)} variants against {comparison.baseline}")

    return write_study(out, m, {TABLE: comparison.table}, {DOCUMENT: comparison.summary()},
                       finish)
