"""Write a run's tables atomically: everything goes to a temporary folder beside the target,
which is renamed into place only once complete. A failed run leaves nothing behind."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from ..model import Problem, ScenarioError
from .compare import Comparison
from .result import Result

TABLES = ("flows", "stocks", "sites", "kpis")
MARKER = "summary.json"


def write_atomic(out: Path, fill: Callable[[Path], None], marker: str = MARKER) -> Path:
    """Create or replace folder `out` with what `fill(tmp)` writes into a fresh folder.

    An existing folder is replaced only if it is empty or holds `marker` (our own output)."""
    out = out.resolve()
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not (out / marker).exists())):
        raise ScenarioError([Problem(str(out), 1, ("--out",), "exists and is not a borderflow "
                                     "results folder; choose another folder")])
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent))
    try:
        fill(tmp)
        if out.exists():
            old = tmp.with_suffix(".old")
            os.replace(out, old)
            os.replace(tmp, out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out


def write_run(result: Result, out: Path) -> Path:
    """flows/stocks/sites/kpis.parquet and summary.json (the `--json` document)."""

    def fill(tmp: Path) -> None:
        for name in TABLES:
            getattr(result, name).to_parquet(tmp / f"{name}.parquet", index=False)
        (tmp / MARKER).write_text(json.dumps(result.summary(), indent=2) + "\n")

    return write_atomic(out, fill)


def write_comparison(comparison: Comparison, out: Path) -> Path:
    """compare.parquet (the table) and compare.json (the `compare --json` document)."""

    def fill(tmp: Path) -> None:
        comparison.table.to_parquet(tmp / "compare.parquet", index=False)
        (tmp / "compare.json").write_text(json.dumps(comparison.summary(), indent=2) + "\n")

    return write_atomic(out, fill, marker="compare.json")
