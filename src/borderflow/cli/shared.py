"""The typer app, its two consoles and the options several commands share."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from ..model import builtin_names

app = typer.Typer(
    add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
    help="Simulate critical-supply networks under emergency policy.",
)
out = Console(highlight=False, width=None if sys.stdout.isatty() else 160)
err = Console(stderr=True, highlight=False)

DEFAULT_SCENARIO = "n95-2020" if "n95-2020" in builtin_names() else "two-country"

ScenarioArg = Annotated[str, typer.Argument(
    help="A built-in scenario's name (see `borderflow scenarios`), a YAML file, a folder of CSV "
    "tables or an Excel workbook.")]
ResultsOpt = Annotated[Path | None, typer.Option(
    "--results", help="The results root holding catalog.duckdb (default: $BORDERFLOW_RESULTS, "
    "else ./borderflow-results).")]
WorkersOpt = Annotated[int, typer.Option(help="Worker processes (1: in this process).")]
ExecutorOpt = Annotated[str, typer.Option(help="local (processes) or ray.")]
AddressOpt = Annotated[str | None, typer.Option(
    help="The Ray cluster (host:port) of --executor ray; default: a local one for the run, "
         "--workers CPUs, on loopback.")]
AllocatorOpt = Annotated[str, typer.Option(
    help="priority (rule-based, day by day) or optimal (one LP over the horizon, HiGHS).")]
WindowOpt = Annotated[int | None, typer.Option(
    "--window", help="Optimal allocator over a rolling horizon: solve this many days at a time "
    "(default: the whole horizon in one LP).")]
CommitOpt = Annotated[int | None, typer.Option(
    "--commit", help="With --window: keep this many days of each window, then roll on "
    "(default: a quarter of the window).")]


def names(text: str | None) -> list[str] | None:
    """A comma-separated list given to an option (None when not given)."""
    return [v.strip() for v in text.split(",") if v.strip()] if text else None


@contextlib.contextmanager
def progress_bar(name: str, hidden: bool) -> Iterator[Callable[[int, int], None]]:
    """A progress bar on stderr (none with --json); yields the `progress(done, total)` a
    study takes."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (TextColumn("[progress.description]{task.description}"), BarColumn(),
               MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=err, transient=True, disable=hidden) as bar:
        task = bar.add_task(name, total=None)
        yield lambda done, total: bar.update(task, completed=done, total=total)
