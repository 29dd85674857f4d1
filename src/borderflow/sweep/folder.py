"""Read a finished sweep folder back (for the report): its manifest, scenario.json and a result
over its chunk files (every file is checked, one at a time; no rows are kept in memory)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..model import Problem, ScenarioError
from ..results.store import INFO
from .result import SweepResult
from .run import MANIFEST, _read_chunk, _read_daily, chunk_files, plan_chunks


def is_sweep_folder(folder: Path) -> bool:
    return (Path(folder) / MANIFEST).is_file()


def read_sweep(folder: Path) -> tuple[SweepResult, dict[str, Any]]:
    """The sweep in `folder` and its scenario.json (see `run.sweep_info`); an unfinished or
    damaged sweep is bad input saying how to finish or repair it."""
    folder = Path(folder)

    def bad(message: str) -> ScenarioError:
        return ScenarioError([Problem(str(folder), 1, ("SWEEP_DIR",), message)])

    try:
        doc = json.loads((folder / MANIFEST).read_text())
        info = json.loads((folder / INFO).read_text())
    except FileNotFoundError as e:
        raise bad(f"not a complete borderflow sweep folder (missing {Path(str(e.filename)).name}); "
                  "write one with `borderflow sweep --out DIR`") from None
    except ValueError as e:
        raise bad(f"unreadable sweep.json or scenario.json ({e})") from None
    variants: list[str | None] = [v or None for v in doc["variants"]]
    regions = tuple(doc.get("daily", ()))
    chunks = plan_chunks(variants, int(doc["samples"]), int(doc["chunk_size"]), regions)
    missing = [c for c in chunks if not (folder / c.file).exists()]
    if missing:
        raise bad(f"the sweep is unfinished ({len(chunks) - len(missing)} of {len(chunks)} chunks "
                  "done); finish it with the same `borderflow sweep ... --out DIR --resume`")
    for c in chunks:  # a corrupt or foreign file is found here, not half way through a query
        _read_chunk(folder / c.file, c)
        if regions:
            _read_daily(folder, c)
    result = SweepResult(str(doc["scenario"]), int(doc["seed"]), int(doc["samples"]),
                         tuple(doc["variants"]), chunk_files(folder, chunks, regions))
    return result, info
