"""`report`, `validate`, `export`, `schema`, `scenarios` and `serve`."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from ...model import builtin_names, builtin_path, load
from ...model.reference import format_reference
from ...model.scenario import Scenario
from ..shared import ResultsOpt, ScenarioArg, app, err, out


@app.command("report")
def report_cmd(
    folder: Annotated[Path, typer.Argument(
        help="A folder written by `borderflow run --out` or `borderflow sweep --out`.")],
    png: Annotated[bool, typer.Option("--png", help="Also write one PNG per figure to DIR/png "
                                      "(needs Chromium: Debian's chromium package, or "
                                      "$BORDERFLOW_CHROMIUM).")] = False,
) -> None:
    """Rebuild report.html (one self-contained, offline HTML file) from a run or sweep folder."""
    from ...report import PngUnavailable, write_pngs
    from ...report.folder import folder_report, write_report

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


@app.command()
def validate(
    file: Annotated[str, typer.Argument(help="A scenario: a YAML file, a folder of CSV tables, "
                                        "an Excel workbook or a built-in name.")],
) -> None:
    """Check a scenario: exit 0 if valid, else one line per problem (FILE:LINE: path: message)."""
    s = load(file)
    out.print(f"{file}: valid: {s.name}, {len(s.nodes)} nodes, {len(s.lanes)} lanes, "
              f"{len(s.policies)} policies, {len(s.variants)} variants, {s.days} days")


@app.command()
def export(
    scenario: ScenarioArg,
    to: Annotated[Path, typer.Option("--to", help="FILE.yaml, FILE.xlsx (one sheet per table) "
                                     "or DIR (a new folder of CSV tables).")],
) -> None:
    """Write a scenario as YAML, as a folder of CSV tables or as an Excel workbook (docs/tables.md).
    Reading what it writes gives the same scenario."""
    from ...model.export import export as write

    written = write(load(scenario), to)
    err.print(f"wrote {written}", markup=False)


@app.command()
def schema(
    markdown: Annotated[bool, typer.Option("--markdown", help="Print the format reference "
                                           "(Markdown) instead.")] = False,
    outputs: Annotated[bool, typer.Option("--outputs", help="Print the reference of the output "
                                          "tables (Markdown) instead.")] = False,
) -> None:
    """Print the JSON Schema of the scenario format (for editors' autocompletion)."""
    if outputs:
        from ...results.schema import reference

        sys.stdout.write(reference())
        return
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

    from ...store import catalogue
    from ...web import LOOPBACK_NAMES, Settings, create_app, refuse_to_bind

    why = refuse_to_bind(host, token)
    if why:
        err.print(why, markup=False, soft_wrap=True)
        raise SystemExit(2)
    # without a token only loopback names may address it (no DNS rebinding from a web page)
    hosts = None if token else (*LOOPBACK_NAMES, host.strip("[]").lower())
    app_ = create_app(Settings(catalogue.results_root(results), token=token, hosts=hosts))
    shown = f"[{host}]" if ":" in host else host
    err.print(f"borderflow dashboard on http://{shown}:{port}/" +
              (f"?token={token}" if token else ""), markup=False, soft_wrap=True)
    uvicorn.run(app_, host=host, port=port, log_level="warning")
