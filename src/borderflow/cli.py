"""The `borderflow` command: a thin front end over the public API."""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from .model import Problem, ScenarioError, apply_variant, builtin_names, builtin_path, load
from .model.reference import format_reference
from .model.scenario import Scenario
from .policy import Shipment, screen

if TYPE_CHECKING:  # the results layer (pandas) is imported by the commands that need it
    from .results import Comparison, Result

app = typer.Typer(
    add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
    help="Simulate critical-supply networks under emergency policy.",
)
out = Console(highlight=False, width=None if sys.stdout.isatty() else 120)
err = Console(stderr=True, highlight=False)

DEFAULT_SCENARIO = "n95-2020" if "n95-2020" in builtin_names() else "two-country"

ScenarioArg = Annotated[str, typer.Argument(
    help="A built-in scenario's name (see `borderflow scenarios`) or a YAML file.")]
ResultsOpt = Annotated[Path | None, typer.Option(
    "--results", help="The results root holding catalog.duckdb (default: $BORDERFLOW_RESULTS, "
    "else ./borderflow-results).")]
WindowOpt = Annotated[int | None, typer.Option(
    "--window", help="Optimal allocator over a rolling horizon: solve this many days at a time "
    "(default: the whole horizon in one LP).")]
CommitOpt = Annotated[int | None, typer.Option(
    "--commit", help="With --window: keep this many days of each window, then roll on "
    "(default: a quarter of the window).")]


def _window_note(window: int | None, result: Result | None) -> None:
    """Say when a rolling horizon is one window, or looks ahead less than supply takes."""
    if window is None or result is None or result.rolling is None:
        return
    from .engine.rolling import supply_path

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


def _fmt(value: float, digits: int = 0) -> str:
    if value != value or value in (float("inf"), float("-inf")):
        return "-"
    return f"{value:,.{digits}f}"


def kpi_table(result: Result) -> Table:
    title = f"{result.scenario.name}" + (f" / {result.variant}" if result.variant else "") + \
        f": {result.days} days from {result.scenario.start.isoformat()} ({result.allocator})"
    table = Table(title=title, title_justify="left")
    for name, justify in [("region", "left"), ("commodity", "left"), ("demand", "right"),
                          ("served", "right"), ("unmet", "right"), ("unmet %", "right"),
                          ("stockout\ndays", "right"), ("min days\nof supply", "right")]:
        table.add_column(name, justify=justify, no_wrap=name == "region")  # type: ignore[arg-type]
    regions = result.scenario.regions
    for row in result.kpis.itertuples(index=False):
        name = regions[str(row.region)].name or str(row.region)
        style = "bold red" if row.unmet_pct >= 10 else "yellow" if row.unmet > 0.5 else ""
        table.add_row(name, str(row.commodity), _fmt(float(row.demand)),
                      _fmt(float(row.served)), _fmt(float(row.unmet)),
                      _fmt(float(row.unmet_pct), 1), str(row.stockout_days),
                      _fmt(float(row.min_days_of_supply), 1), style=style)
    return table


@app.command("run")
def run_cmd(
    scenario: ScenarioArg = DEFAULT_SCENARIO,
    variant: Annotated[str | None, typer.Option(help="Run this variant of the scenario.")] = None,
    allocator: Annotated[str, typer.Option(
        help="priority (rule-based, day by day) or optimal (one LP over the horizon, HiGHS).")] = "priority",
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
    from .results import catalogue, simulate
    from .results.avoidable import avoidable_records, avoidable_table

    _save_or_not(no_save, out_dir)
    if not no_save:
        catalogue.check(results)  # a broken catalogue fails before the work
    roll: dict[str, Any] = {"window": window, "commit": commit}
    # with --avoidable, a rolling horizon is for whichever of the two runs is the optimal one
    rolled = allocator == "optimal" or not avoidable
    result = simulate(scenario, variant=variant, allocator=allocator, days=days,
                      **(roll if rolled else {}))
    _window_note(window, result)
    table = None
    if avoidable:
        other = simulate(scenario, variant=variant, days=days,
                         allocator="optimal" if allocator == "priority" else "priority",
                         **({} if rolled else roll))
        pair = (result, other) if allocator == "priority" else (other, result)
        table = avoidable_table(*pair)
    doc = result.summary()
    if table is not None:
        doc["avoidable"] = avoidable_records(table)
    save = None if no_save else (lambda: catalogue.save(result, out_dir, results, _write_report))
    if _deliver(doc, save, as_json):
        return
    out.print(kpi_table(result))
    _policy_notes(result)
    if table is not None:
        out.print(avoidable_view(table, result.scenario, result.scenario.name +
                                 (f" / {variant}" if variant else "")))
    out.print(f"mass balance error: {result.balance_error:.2g} units")


def _write_report(folder: Path) -> None:
    """report.html from the run folder's own tables, so `borderflow report` rebuilds it exactly."""
    from .report import run_report
    from .results import read_run

    (folder / "report.html").write_text(run_report(read_run(folder)), encoding="utf-8")


def _save_or_not(no_save: bool, out_dir: Path | None) -> None:
    if no_save and out_dir is not None:
        raise ScenarioError([Problem("--no-save", 1, ("--no-save",), "cannot be combined with "
                                     "--out (which asks for the files)")])


def _registered(folder: Path, results: Path | None) -> Path:
    from .results import catalogue

    catalogue.register(folder, results)
    return folder


def _deliver(summary: dict[str, Any], write: Callable[[], Path] | None, as_json: bool) -> bool:
    """Write the files if asked (`write` returns the folder), then print the JSON if --json;
    True if the JSON was the output, so the human tables are not printed."""
    if write is not None:
        written = write()
        if not as_json:
            err.print(f"wrote {written}", markup=False, soft_wrap=True)
    if as_json:
        sys.stdout.write(json.dumps(summary, indent=2) + "\n")
    return as_json


def avoidable_view(table: Any, s: Scenario, title: str) -> Table:
    """Unmet under the priority rules and under the optimal allocation, and the difference."""
    view = Table(title=f"{title}: shortage better allocation would have avoided",
                 title_justify="left")
    for name in ("region", "commodity", "unmet (priority)", "unmet (optimal)", "avoidable",
                 "% of demand"):
        view.add_column(name, justify="left" if name in ("region", "commodity") else "right")
    for row in table.itertuples(index=False):
        view.add_row(s.regions[str(row.region)].name or str(row.region), str(row.commodity),
                     _fmt(float(row.unmet_priority)), _fmt(float(row.unmet_optimal)),
                     _fmt(float(row.avoidable)), _fmt(float(row.avoidable_pct), 1))
    return view


def _policy_notes(result: Result) -> None:
    """Rated orders, retaliations that fired, and conservation: one line each."""
    import pandas as pd

    dates = result.scenario.dates
    for row in result.orders.itertuples(index=False):
        if pd.isna(row.filled_day):
            state = f"short by {row.shortfall:,.0f}"
        else:
            filled = int(row.filled_day)
            arrival = result.scenario.start + dt.timedelta(days=filled)
            state = f"arrived in full {arrival}" + ("" if filled < result.days else
                                                    " (after the horizon)")
        out.print(f"rated order {row.order} ({row.rating}): {row.delivered:,.0f} of "
                  f"{row.quantity:,.0f} {row.commodity} to {row.buyer}, {state}")
    for row in result.policies.itertuples(index=False):
        if not pd.isna(row.fired_day):
            out.print(f"retaliation {row.policy} fired on {dates[int(row.fired_day)]}")
    for row in result.conservation.itertuples(index=False):
        out.print(f"{row.site} conserved {row.commodity} on {row.conservation_days} days")
    care = result.care
    for site, rows in care.groupby("site", sort=False):
        total = float(rows["unstaffed"].sum())
        if total <= 0:
            out.print(f"{site}: every patient staffed")
            continue
        peak = rows.loc[rows["unstaffed"].idxmax()]
        out.print(f"{site}: {total:,.0f} unstaffed patient-days (peak {peak['unstaffed']:,.0f} "
                  f"on {dates[int(peak['day'])]})")


@app.command("compare")
def compare_cmd(
    scenario: ScenarioArg = DEFAULT_SCENARIO,
    variants: Annotated[str | None, typer.Option(help="Comma-separated variants; the first is "
                                                 "the baseline (default: all, in file order).")] = None,
    allocator: Annotated[str, typer.Option(
        help="priority (rule-based, day by day) or optimal (one LP over the horizon, HiGHS).")] = "priority",
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
    from .report import comparison_report
    from .results import catalogue, compare, write_comparison

    if out_dir is not None:
        catalogue.check(results)  # a broken catalogue fails before the work
    names = [v.strip() for v in variants.split(",") if v.strip()] if variants else None
    comparison = compare(scenario, variants=names, allocator=allocator, avoidable=avoidable,
                         window=window, commit=commit)
    _window_note(window, next((r for r in comparison.results.values() if r.rolling), None))

    def finish(folder: Path) -> None:
        (folder / "report.html").write_text(comparison_report(comparison), encoding="utf-8")

    save = None if out_dir is None else (
        lambda: _registered(write_comparison(comparison, out_dir, finish), results))
    if _deliver(comparison.summary(), save, as_json):
        return
    out.print(comparison_table(comparison))
    if len(comparison.care):
        out.print(care_comparison(comparison))
    for line in hurt_lines(comparison):
        out.print(line)
    if comparison.avoidable is not None:
        for name, rows in comparison.avoidable.groupby("variant", sort=False):
            out.print(avoidable_view(rows, comparison.scenario,
                                     f"{comparison.scenario.name} / {name}"))


EFFECT_MARK = {"hurt": " [red]▲[/red]", "gains": " [green]▼[/green]"}


def _variant_table(c: Comparison, what: str, first: tuple[str, str]) -> Table:
    """A table with two label columns, then one column per variant."""
    table = Table(title=f"{c.scenario.name}: {what} by variant (change against {c.baseline})",
                  title_justify="left")
    for name in first:
        table.add_column(name)
    for name in c.results:
        table.add_column(name, justify="right")
    return table


def comparison_table(c: Comparison) -> Table:
    table = _variant_table(c, "unmet demand", ("region", "commodity"))
    regions = c.scenario.regions
    for (region, commodity), rows in c.table.groupby(["region", "commodity"], sort=False):
        cells = []
        for row in rows.itertuples(index=False):
            mark = EFFECT_MARK.get(str(row.effect), "")
            delta = "" if row.variant == c.baseline else f" ({row.delta_unmet_pct:+.1f})"
            cells.append(f"{_fmt(float(row.unmet))} = {row.unmet_pct:.1f}%{delta}{mark}")
        table.add_row(regions[str(region)].name or str(region), str(commodity), *cells)
    return table


def care_comparison(c: Comparison) -> Table:
    table = _variant_table(c, "unstaffed patient-days", ("care site", "region"))
    for site, rows in c.care.groupby("site", sort=False):
        cells = []
        for row in rows.itertuples(index=False):
            mark = EFFECT_MARK.get(str(row.effect), "")
            delta = "" if row.variant == c.baseline else f" ({row.delta_unstaffed_patient_days:+,.0f})"
            cells.append(f"{_fmt(float(row.unstaffed_patient_days))}{delta}{mark}")
        region = str(rows["region"].iloc[0])
        table.add_row(str(site), c.scenario.regions[region].name or region, *cells)
    return table


def hurt_lines(c: Comparison) -> list[str]:
    lines = []
    regions = c.scenario.regions
    for name in list(c.results)[1:]:
        rows = c.table[c.table["variant"] == name]
        care = c.care[c.care["variant"] == name]
        for effect, word in (("hurt", "hurts"), ("gains", "helps")):
            hit = rows[rows["effect"] == effect]
            who = [f"{regions[str(r.region)].name or r.region} {r.commodity} "
                   f"({r.delta_unmet:+,.0f} unmet)" for r in hit.itertuples(index=False)]
            who += [f"{r.site} ({r.delta_unstaffed_patient_days:+,.0f} unstaffed patient-days)"
                    for r in care[care["effect"] == effect].itertuples(index=False)]
            if who:
                lines.append(f"{name} {word}: {', '.join(who)}")
        if not len(rows[rows["effect"] != "same"]) and not len(care[care["effect"] != "same"]):
            lines.append(f"{name}: no region's unmet demand or care changes")
    return lines


@app.command("report")
def report_cmd(
    folder: Annotated[Path, typer.Argument(
        help="A folder written by `borderflow run --out` or `borderflow sweep --out`.")],
    png: Annotated[bool, typer.Option("--png", help="Also write one PNG per figure to DIR/png "
                                      "(needs Chromium: Debian's chromium package, or "
                                      "$BORDERFLOW_CHROMIUM).")] = False,
) -> None:
    """Rebuild report.html (one self-contained, offline HTML file) from a run or sweep folder."""
    from .report import PngUnavailable, write_pngs
    from .report.folder import folder_report, write_report

    html, figures = folder_report(folder)
    err.print(f"wrote {write_report(folder, html)}", markup=False)
    if png:
        try:
            written = write_pngs(figures(), folder / "png")
        except PngUnavailable as e:
            err.print(str(e), markup=False, soft_wrap=True)
            raise typer.Exit(2) from None
        for path in written:
            err.print(f"wrote {path}", markup=False)


@app.command("sweep")
def sweep_cmd(
    scenario: ScenarioArg = DEFAULT_SCENARIO,
    samples: Annotated[int, typer.Option(help="Samples per variant.")] = 100,
    variants: Annotated[str | None, typer.Option(help="Comma-separated variants (default: the "
                                                 "scenario as written).")] = None,
    seed: Annotated[int, typer.Option(help="Seed of the SeedSequence samples are drawn from.")] = 0,
    workers: Annotated[int, typer.Option(help="Worker processes (1: in this process).")] = 1,
    executor: Annotated[str, typer.Option(help="local (processes) or ray.")] = "local",
    address: Annotated[str | None, typer.Option(help="The Ray cluster (host:port) of --executor "
                                                "ray; default: a local one for the run, "
                                                "--workers CPUs, on loopback.")] = None,
    chunk_size: Annotated[int, typer.Option(help="Samples per chunk (one batch, one file).")] = 64,
    out_dir: Annotated[Path | None, typer.Option("--out", help="Write each finished chunk "
                                                  "(Parquet), then report.html, to this folder "
                                                  "(default: a new folder under the results root's "
                                                  "sweeps/).")] = None,
    resume: Annotated[bool, typer.Option(help="Finish the sweep in --out, skipping finished "
                                         "chunks.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
    no_save: Annotated[bool, typer.Option(
        "--no-save", help="Keep the samples in memory: write no files and register nothing.")] = False,
    results: ResultsOpt = None,
    daily: Annotated[str | None, typer.Option(
        help="Comma-separated regions whose daily series are kept too (the report's fan "
             "charts).")] = None,
) -> None:
    """Monte Carlo over the scenario's `uncertainty`: unmet % (mean, P10, P50, P90) and the
    probability of a stockout, per variant, region and commodity. The sweep's folder also gets
    report.html."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    from .results import catalogue
    from .sweep import RayMissing, sweep

    folder, reserved = _sweep_folder(scenario, out_dir, resume, no_save, results)
    names = [v.strip() for v in variants.split(",") if v.strip()] if variants else None
    regions = [r.strip() for r in daily.split(",") if r.strip()] if daily else None
    columns = (TextColumn("[progress.description]{task.description}"), BarColumn(),
               MofNCompleteColumn(), TextColumn("{task.fields[rate]} samples/s"),
               TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn())
    started = dt.datetime.now()
    with Progress(*columns, console=err, transient=True, disable=as_json) as bar:
        task = bar.add_task("sweep", total=None, rate="-")
        first: list[int] = []

        def report(done: int, total: int) -> None:
            if not first:
                first.append(done)  # resumed samples do not count towards the rate
            secs = (dt.datetime.now() - started).total_seconds()
            rate = (done - first[0]) / secs if secs > 0 else 0.0
            bar.update(task, completed=done, total=total, rate=f"{rate:,.0f}")

        registered: list[Path] = []

        def ready(path: Path) -> None:  # listed (incomplete) from now on, even if killed
            catalogue.register(path, results)
            registered.append(path)

        try:
            result = sweep(scenario, samples=samples, variants=names, seed=seed, workers=workers,
                           out=folder, resume=resume, executor=executor, chunk_size=chunk_size,
                           progress=report, daily=regions, address=address, ready=ready)
            if folder is not None:
                from .report.folder import folder_report, write_report

                write_report(folder, folder_report(folder)[0])  # from the folder, as `report` does
        except RayMissing as e:
            err.print(str(e), markup=False)
            raise SystemExit(2) from None
        finally:  # brings the entry up to date: complete, or the chunks done when interrupted
            _register_sweep(folder, reserved, bool(registered), results)
    summary = result.summary()
    if as_json:
        doc = {"scenario": result.scenario, "seed": result.seed, "samples": result.samples,
               "summary": summary.to_dict(orient="records")}
        sys.stdout.write(json.dumps(doc, indent=2) + "\n")
        return
    table = Table(title=f"{result.scenario}: {samples} samples per variant, seed {seed}",
                  title_justify="left")
    for name in ("variant", "region", "commodity", "unmet % mean", "P10", "P50", "P90",
                 "P(stockout)"):
        table.add_column(name, justify="left" if name in ("variant", "region", "commodity") else "right")
    for row in summary.itertuples(index=False):
        table.add_row(str(row.variant), str(row.region), str(row.commodity),
                      *(_fmt(float(v), 1) for v in (row.unmet_pct_mean, row.unmet_pct_p10,
                                                    row.unmet_pct_p50, row.unmet_pct_p90)),
                      f"{float(row.p_stockout):.2f}")
    out.print(table)
    if folder is not None:
        err.print(f"wrote {folder}", markup=False, soft_wrap=True)


def _sweep_folder(scenario: str, out_dir: Path | None, resume: bool, no_save: bool,
                  results: Path | None) -> tuple[Path | None, bool]:
    """Where the sweep writes its chunks (None: nowhere), and whether we made the folder."""
    from .results import catalogue

    _save_or_not(no_save, out_dir)
    if resume and out_dir is None:
        raise ScenarioError([Problem("--resume", 1, ("--resume",), "needs --out, the folder of "
                                     "the sweep to finish (`borderflow runs --kind sweep` lists "
                                     "the command's sweeps, unfinished ones as incomplete)")])
    if no_save:
        return None, False
    catalogue.check(results)  # a broken catalogue fails before the work
    if out_dir is not None:
        return out_dir, False
    return catalogue.default_folder(results, "sweep", load(scenario).name), True


def _register_sweep(folder: Path | None, reserved: bool, registered: bool,
                    results: Path | None) -> None:
    """Update the sweep's entry once it ends (`registered`: the sweep registered its folder
    when it was ready); a folder refused (not a sweep's, or another sweep's) is left alone."""
    from .results import catalogue

    if folder is not None and registered:
        catalogue.register(folder, results)
    elif reserved and folder is not None:
        catalogue.release(folder, results)  # it stopped before it began: leave nothing behind


# ---- the results catalogue: `runs` and `query` -------------------------------------------------

@app.command("runs")
def runs_cmd(
    results: ResultsOpt = None,
    kind: Annotated[str | None, typer.Option(help="Only run, compare or sweep.")] = None,
    scenario: Annotated[str | None, typer.Option(help="Only this scenario (its name).")] = None,
) -> None:
    """List the runs, comparisons and sweeps registered in the results catalogue, newest first."""
    from .results import catalogue

    if kind is not None and kind not in catalogue.KINDS:
        raise ScenarioError([Problem("--kind", 1, ("--kind",), f"{kind!r} is none of "
                                     f"{', '.join(catalogue.KINDS)}")])
    entries = catalogue.runs(results, kind=kind, scenario=scenario)
    root = catalogue.results_root(results)
    table = Table(title=f"{root / catalogue.FILE}: {len(entries)} entries", title_justify="left")
    for name in ("id", "kind", "scenario", "variants", "samples", "created (UTC)", "summary",
                 "path"):
        table.add_column(name, justify="right" if name in ("id", "samples") else "left",
                         overflow="fold")
    where = root.resolve()
    for row in entries.itertuples(index=False):
        path = Path(str(row.path))
        summary = str(row.summary) + ("" if row.status == "complete" else f" ({row.status})")
        table.add_row(str(row.id), str(row.kind), str(row.scenario),
                      str(row.variants).replace(",", ", "), _cell(row.samples),
                      f"{row.created:%Y-%m-%d %H:%M}", summary,
                      str(path.relative_to(where) if path.is_relative_to(where) else path),
                      style="yellow" if row.status != "complete" else "")
    out.print(table, markup=False)
    if len(entries):
        err.print(f"paths are relative to {where}; `borderflow query \"select * from entries\"` "
                  "shows every column", markup=False)


def _cell(value: Any) -> str:
    import pandas as pd

    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


QUERY_FORMATS = ("table", "csv", "json")


@app.command("query")
def query_cmd(
    sql: Annotated[str, typer.Argument(help="SQL (DuckDB) over the catalogue: the table "
                                       "`entries` and the views run_kpis, run_flows, ..., "
                                       "sweep_kpis, compare_kpis.")],
    results: ResultsOpt = None,
    format_: Annotated[str, typer.Option("--format", help="table, csv or json (a list of "
                                         "rows).")] = "table",
) -> None:
    """Run SQL over the results catalogue and the Parquet tables of everything registered."""
    from .results import catalogue

    if format_ not in QUERY_FORMATS:
        raise ScenarioError([Problem("--format", 1, ("--format",), f"{format_!r} is none of "
                                     f"{', '.join(QUERY_FORMATS)}")])
    try:
        frame = catalogue.query(sql, results)
    except catalogue.QueryError as e:
        err.print(f"SQL error: {e.problems[0].message}", markup=False, soft_wrap=True)
        raise SystemExit(2) from None
    if format_ == "csv":
        sys.stdout.write(frame.to_csv(index=False))
    elif format_ == "json":
        rows = json.loads(frame.to_json(orient="records", date_format="iso"))
        sys.stdout.write(json.dumps(rows, indent=2) + "\n")
    else:
        table = Table(title=f"{len(frame)} rows", title_justify="left")
        for name in frame.columns:
            table.add_column(str(name), overflow="fold")
        for row in frame.itertuples(index=False):
            table.add_row(*(_cell(v) for v in row))
        out.print(table, markup=False)


@app.command("explain")
def explain_cmd(
    scenario: ScenarioArg = DEFAULT_SCENARIO,
    lane: Annotated[str, typer.Option(help='The lane, as "from->to" (or "airlift:<id>").')] = "",
    variant: Annotated[str | None, typer.Option(help="The variant to run.")] = None,
    day: Annotated[str | None, typer.Option(help="One day (a number or a date); "
                                            "default: every day, runs of days grouped.")] = None,
    commodity: Annotated[str | None, typer.Option(help="Only this commodity.")] = None,
) -> None:
    """Say in plain words what was asked of a lane, what went, and what stopped it."""
    from .results import simulate
    from .results.explain import explain

    result = simulate(scenario, variant=variant)
    if not lane:
        raise ScenarioError([Problem(result.scenario.file, 1, ("--lane",),
                                     'give a lane, e.g. --lane "plant->hospital"')])
    for line in explain(result, lane, _day(day), commodity):
        out.print(line, markup=False)


def _day(text: str | None) -> int | dt.date | None:
    if text is None:
        return None
    if text.isdigit():
        return int(text)
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ScenarioError([Problem("--day", 1, ("--day",), f"{text!r} is neither a day "
                                     "number nor a date (YYYY-MM-DD)")]) from None


@app.command("screen")
def screen_cmd(
    scenario: ScenarioArg = DEFAULT_SCENARIO,
    from_: Annotated[str, typer.Option("--from", help="Shipping node.")] = "",
    to: Annotated[str, typer.Option(help="Receiving node.")] = "",
    commodity: Annotated[str, typer.Option(help="Commodity.")] = "",
    quantity: Annotated[float, typer.Option(help="Units.")] = 0.0,
    date: Annotated[str, typer.Option(help="Day number or date (YYYY-MM-DD).")] = "0",
    variant: Annotated[str | None, typer.Option(help="The variant whose policies apply.")] = None,
) -> None:
    """Would the policies in force let this shipment go? How much, and who decides?"""
    s = apply_variant(load(scenario), variant)
    day = _day(date)
    assert day is not None
    result = screen(s, Shipment(from_, to, commodity, quantity, day))
    out.print(str(result), markup=False)
    for note in result.notes:
        out.print(f"  {note}", markup=False)


@app.command()
def validate(
    file: Annotated[str, typer.Argument(help="A scenario YAML file (or a built-in name).")],
) -> None:
    """Check a scenario: exit 0 if valid, else one line per problem (FILE:LINE: path: message)."""
    s = load(file)
    out.print(f"{file}: valid: {s.name}, {len(s.nodes)} nodes, {len(s.lanes)} lanes, "
              f"{len(s.policies)} policies, {len(s.variants)} variants, {s.days} days")


@app.command()
def schema(
    markdown: Annotated[bool, typer.Option("--markdown", help="Print the format reference "
                                           "(Markdown) instead.")] = False,
) -> None:
    """Print the JSON Schema of the scenario format (for editors' autocompletion)."""
    if markdown:
        sys.stdout.write(format_reference())
        return
    sys.stdout.write(json.dumps(json_schema(), indent=2) + "\n")


def json_schema() -> dict[str, Any]:
    doc = Scenario.model_json_schema(by_alias=True)
    return {"$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": "https://borderflow.invalid/scenario-format-1.json", **doc}


@app.command()
def scenarios() -> None:
    """List the built-in scenarios."""
    table = Table(title="built-in scenarios", title_justify="left")
    for col in ("name", "days", "variants", "description"):
        table.add_column(col)
    for name in builtin_names():
        s = load(builtin_path(name))
        table.add_row(name, str(s.days), ", ".join(s.variants) or "-", s.description)
    out.print(table)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on; anything but loopback needs "
                                      "a token.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    token: Annotated[str | None, typer.Option(
        envvar="BORDERFLOW_TOKEN", show_envvar=True,
        help="Require this token on every request (needed to listen beyond 127.0.0.1).")] = None,
    results: ResultsOpt = None,
) -> None:
    """Serve the dashboard: scenarios, policy switches and key numbers, runs, comparisons.
    Runs are saved in the results root and registered in its catalogue, like `run`'s;
    uploaded scenarios are kept in its uploads/ folder."""
    import uvicorn

    from .results import catalogue
    from .web import LOOPBACK_NAMES, Settings, create_app, refuse_to_bind

    why = refuse_to_bind(host, token)
    if why:
        err.print(why, markup=False, soft_wrap=True)
        raise SystemExit(2)
    # without a token only loopback names may address it (no DNS rebinding from a web page)
    hosts = None if token else (*LOOPBACK_NAMES, host.strip("[]").lower())
    app = create_app(Settings(catalogue.results_root(results), token=token, hosts=hosts))
    shown = f"[{host}]" if ":" in host else host
    err.print(f"borderflow dashboard on http://{shown}:{port}/" +
              (f"?token={token}" if token else ""), markup=False, soft_wrap=True)
    uvicorn.run(app, host=host, port=port, log_level="warning")


def main() -> None:
    try:
        app()
    except ScenarioError as e:
        for problem in e.problems:
            err.print(str(problem), markup=False, soft_wrap=True)
        raise SystemExit(2) from None
    except KeyboardInterrupt:
        err.print("interrupted")
        raise SystemExit(130) from None
    except Exception as e:  # an internal error: say so plainly; the traceback only on request
        if os.environ.get("BORDERFLOW_DEBUG"):
            raise
        from .engine.allocators import OptimalError

        if isinstance(e, OptimalError):
            err.print(f"no optimal allocation: {e}", markup=False)
            raise SystemExit(1) from None
        err.print(f"internal error: {type(e).__name__}: {e}", markup=False)
        err.print("(this is a bug in borderflow; set BORDERFLOW_DEBUG=1 to see the traceback)")
        raise SystemExit(1) from None


if __name__ == "__main__":
    main()
