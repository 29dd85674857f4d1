"""Sensitivity folders: sensitivity.parquet (each assumption's effect on each output),
sensitivity.json (the `sensitivity --json` document) and manifest.json, written atomically."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from ..studies.perturbation import Sensitivity
from . import manifest
from .files import write_folder

TABLE, DOCUMENT = "sensitivity.parquet", "sensitivity.json"


def write_sensitivity(sens: Sensitivity, out: Path,
                      finish: Callable[[Path], None] | None = None) -> Path:
    """The study's files, then `finish(folder)` if given, before the folder is moved in."""
    top = sens.ranking.iloc[0]["assumption"] if len(sens.ranking) else "nothing"
    m = manifest.manifest("sensitivity", sens.scenario, [sens.variant], "priority",
                          summary=f"{len(sens.ranking)} assumptions x +-{sens.factor:.0%}; "
                                  f"first: {top}")

    def fill(tmp: Path) -> None:
        sens.table.to_parquet(tmp / TABLE, index=False)
        (tmp / DOCUMENT).write_text(json.dumps(sens.summary(), indent=2) + "\n")
        (tmp / manifest.FILE).write_text(json.dumps(m, indent=2) + "\n")
        if finish is not None:
            finish(tmp)

    return write_folder(out, fill, manifest.FILE)
