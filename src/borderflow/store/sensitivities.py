"""Sensitivity folders: sensitivity.parquet (each assumption's effect on each output),
sensitivity.json (the `sensitivity --json` document) and manifest.json, written atomically."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ..studies.perturbation import Sensitivity
from . import manifest
from .folders import write_study

TABLE, DOCUMENT = "sensitivity.parquet", "sensitivity.json"


def write_sensitivity(sens: Sensitivity, out: Path,
                      finish: Callable[[Path], None] | None = None) -> Path:
    """The study's files, then `finish(folder)` if given, before the folder is moved in."""
    top = sens.ranking.iloc[0]["assumption"] if len(sens.ranking) else "nothing"
    m = manifest.manifest("sensitivity", sens.scenario, [sens.variant], "priority",
                          summary=f"{len(sens.ranking)} assumptions x +-{sens.factor:.0%}; "
                                  f"first: {top}")

    return write_study(out, m, {TABLE: sens.table}, {DOCUMENT: sens.summary()}, finish)
