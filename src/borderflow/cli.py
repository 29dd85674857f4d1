"""The `borderflow` command: a thin front end over the public API."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from .model import ScenarioError, builtin_names, builtin_path, load
from .model.reference import format_reference
from .model.scenario import Scenario
from .results import Result, simulate, write_run

app = typer.Typer(
    add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
    help="Simulate critical-supply networks under emergency policy.",
)
out = Console(highlight=False, width=None if sys.stdout.isatty() else 120)
err = Console(stderr=True, highlight=False)

DEFAULT_SCENARIO = "n95-2020" if "n95-2020" in builtin_names() else "two-country"

ScenarioArg = Annotated[str, typer.Argument(
    help="A built-in scenario's name (see `borderflow scenarios`) or a YAML file.")]


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
                          ("stockout days", "right"), ("min days of supply", "right")]:
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
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
    allocator: Annotated[str, typer.Option(help="priority (rule-based, day by day).")] = "priority",
    days: Annotated[int | None, typer.Option(help="Stop after this many days.")] = None,
    out_dir: Annotated[Path | None, typer.Option("--out", help="Write the tables (Parquet) and "
                                                  "summary.json to this folder.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Run a scenario and print, per region and commodity, demand, served, unmet and stockouts."""
    result = simulate(scenario, variant=variant, allocator=allocator, days=days)
    if out_dir is not None:
        written = write_run(result, out_dir)
        if not as_json:
            err.print(f"wrote {written}")
    if as_json:
        sys.stdout.write(json.dumps(result.summary(), indent=2) + "\n")
        return
    out.print(kpi_table(result))
    out.print(f"mass balance error: {result.balance_error:.2g} units")


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
        err.print(f"internal error: {type(e).__name__}: {e}", markup=False)
        err.print("(this is a bug in borderflow; set BORDERFLOW_DEBUG=1 to see the traceback)")
        raise SystemExit(1) from None


if __name__ == "__main__":
    main()
