"""`run` and `compare`: one variant, or every variant side by side."""

from __future__ import annotations

import contextlib
import json
import logging
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated, Any

import typer

from ...model import UsageError
from ...results import Result
from ..render import (
    avoidable_view,
    care_comparison,
    comparison_table,
    cost_comparison,
    hurt_lines,
    kpi_table,
    normal_comparison,
    policy_notes,
)
from ..shared import (
    DEFAULT_SCENARIO,
    AllocatorOpt,
    CommitOpt,
    ResultsOpt,
    ScenarioArg,
    WindowOpt,
    app,
    err,
    names,
    out,
)


class _Note(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        err.print(f"note: {record.getMessage()}", markup=False, soft_wrap=True)


@contextlib.contextmanager
def solver_notes() -> Iterator[None]:
    """Say on stderr how the optimal allocator solved its LP (its size, the method it picked
    and the gap it stopped at: engine/optimal.py logs them), so `--json` stays one document."""
    log = logging.getLogger("borderflow.engine.optimal")
    handler, level = _Note(), log.level
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    try:
        yield
    finally:
        log.removeHandler(handler)
        log.setLevel(level)


def window_note(window: int | None, result: Result | None) -> None:
    """Say when a rolling horizon is one window, or looks ahead less than supply takes."""
    if window is None or result is None or result.rolling is None:
        return
    from ...engine.rolling import supply_path

    days = result.days
    if window > days:
        err.print(f"note: --window {window} is beyond the {days}-day horizon; "
                  "one window covers it (the full-horizon optimum)")
        return
    w, k = result.rolling
    path = supply_path(result.network)
    if w < days and w - k < path:
        ahead = f"{w - k} day" + ("" if w - k == 1 else "s")
        err.print(f"note: --window {w} --commit {k} looks {ahead} ahead, less than the "
                  f"longest supply path ({path} days, plant to site): shipments that take longer "
                  "are not valued, and the plan can fall well short of the optimum "
                  "(docs/engine.md, rolling horizon)")


def write_report(folder: Path) -> None:
    """report.html from the run folder's own tables, so `borderflow report` rebuilds it exactly."""
    from ...report import run_report
    from ...store import read_run

    (folder / "report.html").write_text(run_report(read_run(folder)), encoding="utf-8")


def save_or_not(no_save: bool, out_dir: Path | None) -> None:
    if no_save and out_dir is not None:
        raise UsageError("--no-save", "cannot be combined with --out (which asks for the files)")


def deliver(summary: dict[str, Any], write: Callable[[], Path] | None, as_json: bool) -> bool:
    """Write the files if asked (`write` returns the folder), then print the JSON if --json;
    True if the JSON was the output, so the human tables are not printed."""
    if write is not None:
        written = write()
        if not as_json:
            err.print(f"wrote {written}", markup=False, soft_wrap=True)
    if as_json:
        sys.stdout.write(json.dumps(summary, indent=2) + "\n")
    return as_json


@app.command("run")
def run_cmd(
    scenario: ScenarioArg = DEFAULT_SCENARIO,
    variant: Annotated[str | None, typer.Option(help="Run this variant of the scenario.")] = None,
    allocator: AllocatorOpt = "priority",
    days: Annotated[int | None, typer.Option(help="Stop after this many days.")] = None,
    out_dir: Annotated[Path | None, typer.Option("--out", help="Write the tables (Parquet), "
                                                  "summary.json and report.html to this folder "
                                                  "(default: a new folder under the results "
                                                  "root's runs/).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
    avoidable: Annotated[bool, typer.Option(
        "--avoidable", help="Also run the other allocator and show, per region and commodity, "
        "the unmet demand better allocation would have avoided (adds `avoidable` to --json).")
    ] = False,
    no_save: Annotated[bool, typer.Option(
        "--no-save", help="Only print: write no files and register nothing.")] = False,
    results: ResultsOpt = None,
    window: WindowOpt = None,
    commit: CommitOpt = None,
) -> None:
    """Run a scenario and print, per region and commodity, demand, served, unmet and stockouts."""
    from ...results import simulate
    from ...results.avoidable import avoidable_records, avoidable_table
    from ...store import catalogue, save

    save_or_not(no_save, out_dir)
    if not no_save:
        catalogue.check(results)  # a broken catalogue fails before the work
    roll: dict[str, Any] = {"window": window, "commit": commit}
    # with --avoidable, a rolling horizon is for whichever of the two runs is the optimal one
    rolled = allocator == "optimal" or not avoidable
    with solver_notes():
        result = simulate(scenario, variant=variant, allocator=allocator, days=days,
                          **(roll if rolled else {}))
    window_note(window, result)
    table = None
    if avoidable:
        with solver_notes():
            other = simulate(scenario, variant=variant, days=days,
                             allocator="optimal" if allocator == "priority" else "priority",
                             **({} if rolled else roll))
        pair = (result, other) if allocator == "priority" else (other, result)
        table = avoidable_table(*pair)
    doc = result.summary()
    if table is not None:
        doc["avoidable"] = avoidable_records(table)
    write = None if no_save else (lambda: save(result, out_dir, results, finish=write_report))
    if deliver(doc, write, as_json):
        return
    out.print(kpi_table(result))
    for line in policy_notes(result):
        out.print(line)
    if table is not None:
        out.print(avoidable_view(table, result.scenario, result.scenario.name +
                                 (f" / {variant}" if variant else "")))
    k = result.costs
    if k["total"]:
        out.print(f"cost: {k['total']:,.0f} (shortage {k['shortage']:,.0f}, holding "
                  f"{k['holding']:,.0f}, transport {k['transport']:,.0f})")
    out.print(f"mass balance error: {result.balance_error:.2g} units")


@app.command("compare")
def compare_cmd(
    scenario: ScenarioArg = DEFAULT_SCENARIO,
    variants: Annotated[str | None, typer.Option(help="Comma-separated variants; the first is "
                                                 "the baseline (default: all, in file order).")] = None,
    allocator: AllocatorOpt = "priority",
    out_dir: Annotated[Path | None, typer.Option("--out", help="Write compare.parquet, "
                                                  "compare.json and report.html to this folder "
                                                  "and register it in the catalogue.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the comparison as JSON.")] = False,
    avoidable: Annotated[bool, typer.Option(
        "--avoidable", help="Run every variant under both allocators and show the shortage "
        "better allocation would have avoided (adds `avoidable` to --json).")] = False,
    results: ResultsOpt = None,
    window: WindowOpt = None,
    commit: CommitOpt = None,
) -> None:
    """Run every variant and show who is hurt (unmet demand up) and who gains, by region."""
    from ...report import comparison_report
    from ...results import compare
    from ...store import catalogue, save

    if out_dir is not None:
        catalogue.check(results)  # a broken catalogue fails before the work
    comparison = compare(scenario, variants=names(variants), allocator=allocator,
                         avoidable=avoidable, window=window, commit=commit)
    window_note(window, next((r for r in comparison.results.values() if r.rolling), None))

    def finish(folder: Path) -> None:
        (folder / "report.html").write_text(comparison_report(comparison), encoding="utf-8")

    write = None if out_dir is None else (lambda: save(comparison, out_dir, results, finish=finish))
    if deliver(comparison.summary(), write, as_json):
        return
    out.print(comparison_table(comparison))
    normal = normal_comparison(comparison)
    if normal is not None:
        out.print(normal)
    if len(comparison.care):
        out.print(care_comparison(comparison))
    costs = cost_comparison(comparison)
    if costs is not None:
        out.print(costs)
    for line in hurt_lines(comparison):
        out.print(line)
    if comparison.avoidable is not None:
        for name, rows in comparison.avoidable.groupby("variant", sort=False):
            out.print(avoidable_view(rows, comparison.scenario,
                                     f"{comparison.scenario.name} / {name}"))

