"""A study's folder: its tables as Parquet, its `--json` document and its manifest, written
atomically (comparisons, sensitivity studies, stress tests)."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from . import manifest
from .files import write_folder


def write_study(out: Path, m: dict[str, Any], tables: Mapping[str, pd.DataFrame],
                documents: Mapping[str, dict[str, Any]],
                finish: Callable[[Path], None] | None = None) -> Path:
    """`tables` (file name -> frame) and `documents` (file name -> JSON), the manifest `m`,
    then `finish(folder)` if given, before the folder is moved in."""

    def fill(tmp: Path) -> None:
        for name, frame in tables.items():
            frame.to_parquet(tmp / name, index=False)
        for name, doc in documents.items():
            (tmp / name).write_text(json.dumps(doc, indent=2) + "\n")
        (tmp / manifest.FILE).write_text(json.dumps(m, indent=2) + "\n")
        if finish is not None:
            finish(tmp)

    return write_folder(out, fill, manifest.FILE)
