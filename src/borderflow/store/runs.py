"""Run folders: a run's tables as Parquet (`schema.RUN_TABLES`), summary.json (the `run --json`
document) and manifest.json, written atomically; and read back, as `RunTables`."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from ..model import Problem, ScenarioError
from ..results import Result
from ..results.schema import RUN_TABLES
from . import manifest
from .files import write_folder

TABLES = tuple(RUN_TABLES)
SUMMARY = "summary.json"


@dataclass(frozen=True)
class RunTables:
    """A run's tables by name, its summary (the `--json` document) and its manifest: what a
    report or a page needs, from memory (`run_tables`) or from its folder (`read_run`)."""

    tables: dict[str, pd.DataFrame]
    summary: dict[str, Any]
    manifest: dict[str, Any]

    def __getattr__(self, name: str) -> pd.DataFrame:
        try:
            return self.__dict__["tables"][name]
        except KeyError:
            raise AttributeError(name) from None


def run_summary_line(summary: dict[str, Any], regions: dict[str, Any]) -> str:
    """One line for the catalogue: the horizon and the worst region."""
    kpis = summary.get("kpis") or []
    if not kpis:
        return f"{summary.get('days')} days"
    worst = max(kpis, key=lambda k: k.get("unmet_pct") or 0.0)
    name = regions.get(worst["region"], {}).get("name", worst["region"])
    return (f"{summary.get('days')} days; worst: {name} {worst['commodity']} "
            f"{worst.get('unmet_pct') or 0.0:.1f}% unmet")


def run_manifest(result: Result) -> dict[str, Any]:
    m = manifest.manifest("run", result.scenario, [result.variant], result.allocator,
                          days=result.days, rolling=result.rolling)
    m["summary"] = run_summary_line(result.summary(), m["regions"])
    return m


def run_tables(result: Result) -> RunTables:
    """A run's tables in memory, as `read_run` returns them from its folder."""
    return RunTables({name: getattr(result, name) for name in TABLES}, result.summary(),
                     run_manifest(result))


def write_run(result: Result, out: Path, finish: Callable[[Path], None] | None = None) -> Path:
    """The tables as Parquet, summary.json and manifest.json; then `finish(folder)`, if given,
    adds its own files (the HTML report, built by a layer above from the folder just written;
    the web app's form), all before the folder is moved into place."""

    def fill(tmp: Path) -> None:
        for name in TABLES:
            getattr(result, name).to_parquet(tmp / f"{name}.parquet", index=False)
        (tmp / SUMMARY).write_text(json.dumps(result.summary(), indent=2) + "\n")
        (tmp / manifest.FILE).write_text(json.dumps(run_manifest(result), indent=2) + "\n")
        if finish is not None:
            finish(tmp)

    return write_folder(out, fill, manifest.FILE)


def read_run(folder: Path) -> RunTables:
    """Read a run folder; a missing file is bad input naming the file."""
    folder = Path(folder)
    m = manifest.read(folder, "RUN_DIR")
    missing = [n for n in (*[f"{t}.parquet" for t in TABLES], SUMMARY)
               if not (folder / n).is_file()]
    if m["kind"] != "run" or missing:
        what = f"missing {', '.join(missing)}" if missing else f"it holds a {m['kind']}"
        raise ScenarioError([Problem(str(folder), 1, ("RUN_DIR",), f"not a complete borderflow "
                                     f"run folder ({what}); write one with `borderflow run`")])
    tables = {name: pd.read_parquet(folder / f"{name}.parquet") for name in TABLES}
    return RunTables(tables, json.loads((folder / SUMMARY).read_text()), m)
