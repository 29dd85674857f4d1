"""The report of a results folder: a run folder (`run --out`) or a sweep folder (`sweep --out`),
told apart by the file each writes first (summary.json, sweep.json); anything else is bad input.
The report is built from the folder alone, so rebuilding it gives the same bytes."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import plotly.graph_objects as go

from ..model import Problem, ScenarioError
from ..results import read_run
from ..results.store import MARKER, write_file
from ..sweep.folder import is_sweep_folder, read_sweep
from .html import run_figures, run_report
from .sweep import sweep_figures, sweep_report

REPORT = "report.html"
Figures = Callable[[], dict[str, go.Figure]]


def folder_kind(folder: Path) -> str:
    """"run" or "sweep"; bad input for a missing or foreign folder."""
    def bad(message: str) -> ScenarioError:
        return ScenarioError([Problem(str(folder), 1, ("DIR",), message)])

    if not folder.is_dir():
        raise bad("no such folder")
    if (folder / MARKER).is_file():
        return "run"
    if is_sweep_folder(folder):
        return "sweep"
    raise bad("neither a borderflow run folder (no summary.json) nor a sweep folder (no "
              "sweep.json); write one with `borderflow run --out DIR` or `borderflow sweep --out DIR`")


def folder_report(folder: Path) -> tuple[str, Figures]:
    """The HTML report of a run or sweep folder, and a function giving its figures by key (for
    PNG export; built only when asked for)."""
    if folder_kind(folder) == "run":
        run = read_run(folder)
        return run_report(run), lambda: run_figures(run)
    result, info = read_sweep(folder)
    return sweep_report(result, info), lambda: sweep_figures(result, info)


def write_report(folder: Path, html: str) -> Path:
    """Write `folder/report.html` atomically (a temporary file renamed into place)."""
    return write_file(folder / REPORT, lambda tmp: tmp.write_text(html, encoding="utf-8"))
