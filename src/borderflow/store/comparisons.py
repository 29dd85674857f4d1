"""Comparison folders: compare.parquet (the table), compare.json (the `compare --json`
document) and manifest.json, written atomically."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from ..results import Comparison
from . import manifest
from .files import write_folder

TABLE, DOCUMENT = "compare.parquet", "compare.json"


def write_comparison(comparison: Comparison, out: Path,
                     finish: Callable[[Path], None] | None = None) -> Path:
    """The comparison's files, then `finish(folder)` if given, before the folder is moved in."""
    names = list(comparison.results)
    m = manifest.manifest("compare", comparison.scenario, list(names),
                          next(iter(comparison.results.values())).allocator,
                          summary=f"{len(names)} variants against {comparison.baseline}")

    def fill(tmp: Path) -> None:
        comparison.table.to_parquet(tmp / TABLE, index=False)
        (tmp / DOCUMENT).write_text(json.dumps(comparison.summary(), indent=2) + "\n")
        (tmp / manifest.FILE).write_text(json.dumps(m, indent=2) + "\n")
        if finish is not None:
            finish(tmp)

    return write_folder(out, fill, manifest.FILE)
