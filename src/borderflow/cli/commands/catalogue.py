"""`runs` and `query`: the results catalogue."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from ...model import UsageError
from ..render import cell, frame_table
from ..shared import ResultsOpt, app, err, out

QUERY_FORMATS = ("table", "csv", "json")


@app.command("runs")
def runs_cmd(
    results: ResultsOpt = None,
    kind: Annotated[str | None, typer.Option(
        help="Only run, compare, sweep, sensitivity, stress or attribution.")] = None,
    scenario: Annotated[str | None, typer.Option(help="Only this scenario (its name).")] = None,
) -> None:
    """List the runs, comparisons, sweeps and studies registered in the results catalogue,
    newest first."""
    from ...store import catalogue

    if kind is not None and kind not in catalogue.KINDS:
        raise UsageError("--kind", f"{kind!r} is none of {', '.join(catalogue.KINDS)}")
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
                      str(row.variants).replace(",", ", "), cell(row.samples),
                      f"{row.created:%Y-%m-%d %H:%M}", summary,
                      str(path.relative_to(where) if path.is_relative_to(where) else path),
                      style="yellow" if row.status != "complete" else "")
    out.print(table, markup=False)
    if len(entries):
        err.print(f"paths are relative to {where}; `borderflow query \"select * from entries\"` "
                  "shows every column", markup=False)


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
    from ...store import catalogue

    if format_ not in QUERY_FORMATS:
        raise UsageError("--format", f"{format_!r} is none of {', '.join(QUERY_FORMATS)}")
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
        out.print(frame_table(frame, f"{len(frame)} rows"), markup=False)
