"""The report of a results folder, told by its manifest: a run, a sweep, a sensitivity
study, a stress test or an attribution; anything else is bad input. The report is built from the folder
alone, so rebuilding it gives the same bytes."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go

from ..model import Problem, ScenarioError
from ..store import manifest, read_attribution, read_run, read_sweep, sensitivities, stresses
from ..store.files import write_text
from .attribution import attribution_figures, attribution_report
from .html import run_figures, run_report
from .sensitivity import sensitivity_figures, sensitivity_report
from .stress import stress_figures, stress_report
from .sweep import sweep_figures, sweep_report

REPORT = "report.html"
Figures = Callable[[], dict[str, go.Figure]]


def folder_kind(folder: Path) -> str:
    """The kind of a folder `borderflow report` rebuilds; bad input for a missing or foreign
    folder."""
    def bad(message: str) -> ScenarioError:
        return ScenarioError([Problem(str(folder), 1, ("DIR",), message)])

    if not folder.is_dir():
        raise bad("no such folder")
    if not (folder / manifest.FILE).is_file():
        raise bad(f"not a borderflow run or sweep folder (no {manifest.FILE}); write one with "
                  "`borderflow run --out DIR` or `borderflow sweep --out DIR`")
    kind = str(manifest.read(folder)["kind"])
    if kind not in ("run", "sweep", "sensitivity", "stress", "attribution"):
        raise bad(f"holds a {kind}; `borderflow report` rebuilds the report of a run, a sweep, "
                  "a sensitivity study, a stress test or an attribution")
    return kind


def folder_report(folder: Path) -> tuple[str, Figures]:
    """The HTML report of a results folder, and a function giving its figures by key (for PNG
    export; built only when asked for)."""
    kind = folder_kind(folder)
    if kind == "run":
        run = read_run(folder)
        return run_report(run), lambda: run_figures(run)
    if kind == "sensitivity":
        doc = json.loads((folder / sensitivities.DOCUMENT).read_text())
        return sensitivity_report(doc), lambda: sensitivity_figures(doc)
    if kind == "stress":
        doc = json.loads((folder / stresses.DOCUMENT).read_text())
        regions = pd.read_parquet(folder / stresses.REGIONS)
        names = manifest.read(folder)["regions"]
        return stress_report(doc, regions, names), lambda: stress_figures(doc, regions, names)
    if kind == "attribution":
        tables = read_attribution(folder)
        priced = folder / "prices.parquet"  # written by `attribute --out` beside the tables
        prices = pd.read_parquet(priced) if priced.exists() else None
        return attribution_report(tables, prices=prices), lambda: attribution_figures(tables)
    result, m = read_sweep(folder)
    return sweep_report(result, m), lambda: sweep_figures(result, m)


def write_report(folder: Path, html: str) -> Path:
    """Write `folder/report.html` atomically (a temporary file renamed into place)."""
    return write_text(folder / REPORT, html)
