"""Write a run's tables atomically: everything goes to a temporary folder beside the target,
which is renamed into place only once complete. A failed run leaves nothing behind."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from ..model import Problem, Scenario, ScenarioError
from .compare import Comparison
from .result import Result

TABLES = ("flows", "stocks", "sites", "kpis", "supply", "care", "constraints", "policies")
MARKER = "summary.json"
INFO = "scenario.json"


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


def write_file(path: Path, write: Callable[[Path], object]) -> Path:
    """Create or replace file `path` with what `write(tmp)` writes into a fresh temporary file
    beside it (a unique name, so two writers never rename each other's half-written file),
    renamed into place once complete; a failed write leaves nothing behind."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def content_hash(s: Scenario) -> str:
    """SHA-256 of the validated scenario (as JSON): equal hashes, equal scenarios."""
    return hashlib.sha256(s.model_dump_json(by_alias=True).encode()).hexdigest()


def scenario_info(s: Scenario) -> dict[str, Any]:
    """The scenario's name, description, content hash and regions (names and countries)."""
    return {
        "scenario": s.name, "description": s.description, "start": s.start.isoformat(),
        "scenario_sha256": content_hash(s),
        "regions": {rid: {"name": r.name or rid, "country": r.country} for rid, r in s.regions.items()},
    }


def run_info(result: Result) -> dict[str, Any]:
    """What a report says about the scenario beyond the tables: names and descriptions
    (the hash is of the scenario as run, variant applied)."""
    s = result.scenario
    variant = s.variants.get(result.variant) if result.variant else None
    return {
        **scenario_info(s), "days": result.days, "variant": result.variant,
        "variant_description": variant.description if variant else "",
    }


def write_run(result: Result, out: Path, finish: Callable[[Path], None] | None = None) -> Path:
    """The tables of TABLES as Parquet, summary.json (the `--json` document) and scenario.json
    (names and descriptions, see `run_info`); then `finish(folder)`, if given, adds its own
    files (e.g. the HTML report, built by a layer above this one from the folder just written),
    all before the folder is moved into place."""

    def fill(tmp: Path) -> None:
        for name in TABLES:
            getattr(result, name).to_parquet(tmp / f"{name}.parquet", index=False)
        (tmp / MARKER).write_text(json.dumps(result.summary(), indent=2) + "\n")
        (tmp / INFO).write_text(json.dumps(run_info(result), indent=2) + "\n")
        if finish is not None:
            finish(tmp)

    return write_atomic(out, fill)


@dataclass(frozen=True)
class RunTables:
    """A run folder read back: the tables by name, summary.json and scenario.json."""

    tables: dict[str, pd.DataFrame]
    summary: dict[str, Any]
    info: dict[str, Any]

    def __getattr__(self, name: str) -> pd.DataFrame:
        try:
            return self.__dict__["tables"][name]
        except KeyError:
            raise AttributeError(name) from None


def run_tables(result: Result) -> RunTables:
    """A run's tables in memory, as `read_run` returns them from its folder."""
    return RunTables({name: getattr(result, name) for name in TABLES}, result.summary(),
                     run_info(result))


def read_run(folder: Path) -> RunTables:
    """Read a folder written by `write_run`; a missing file is bad input naming the file."""
    folder = Path(folder)
    missing = [n for n in (*[f"{t}.parquet" for t in TABLES], MARKER, INFO)
               if not (folder / n).is_file()]
    if missing:
        raise ScenarioError([Problem(str(folder), 1, ("RUN_DIR",), "not a complete borderflow "
                                     f"run folder (missing {', '.join(missing)}); write one with "
                                     "`borderflow run --out DIR`")])
    tables = {name: pd.read_parquet(folder / f"{name}.parquet") for name in TABLES}
    return RunTables(tables, json.loads((folder / MARKER).read_text()),
                     json.loads((folder / INFO).read_text()))


def write_comparison(comparison: Comparison, out: Path,
                     finish: Callable[[Path], None] | None = None) -> Path:
    """compare.parquet (the table), compare.json (the `compare --json` document), scenario.json
    (see `scenario_info`, plus the variants and allocator), then `finish(folder)` if given."""
    info = {**scenario_info(comparison.scenario), "variants": list(comparison.results),
            "allocator": next(iter(comparison.results.values())).allocator}

    def fill(tmp: Path) -> None:
        comparison.table.to_parquet(tmp / "compare.parquet", index=False)
        (tmp / "compare.json").write_text(json.dumps(comparison.summary(), indent=2) + "\n")
        (tmp / INFO).write_text(json.dumps(info, indent=2) + "\n")
        if finish is not None:
            finish(tmp)

    return write_atomic(out, fill, marker="compare.json")
