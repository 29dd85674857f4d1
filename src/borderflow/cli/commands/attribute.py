"""`attribute`: how much of each region's shortage each policy caused (Shapley values)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from ..shared import (
    DEFAULT_SCENARIO,
    AddressOpt,
    ExecutorOpt,
    ResultsOpt,
    ScenarioArg,
    WorkersOpt,
    app,
    err,
    names,
    out,
    progress_bar,
)

if TYPE_CHECKING:  # the command imports the studies when it runs (a fast `--help`)
    from ...studies import Attribution


@app.command("attribute")
def attribute_cmd(
    scenario: ScenarioArg = DEFAULT_SCENARIO,
    variant: Annotated[str | None, typer.Option(help="The variant whose policies are "
                                                "attributed (default: as written).")] = None,
    policies: Annotated[str | None, typer.Option(
        help="Comma-separated policy ids (default: every policy the variant enables but "
             "retaliations, whose counter-measures count with the policy that triggers them).")
    ] = None,
    samples: Annotated[int | None, typer.Option(
        help="Sample this many random orders of the policies instead of running every "
             "coalition (the default up to 12 policies; beyond, 200 orders).")] = None,
    seed: Annotated[int, typer.Option(help="Seed of the sampled orders.")] = 0,
    workers: WorkersOpt = 1,
    executor: ExecutorOpt = "local",
    address: AddressOpt = None,
    top: Annotated[int, typer.Option(help="Rows shown (--json has all).")] = 30,
    out_dir: Annotated[Path | None, typer.Option(
        "--out", help="Write the tables (Parquet: attribution, attribution_care, "
        "attribution_totals, ...), attribution.json, prices.parquet (the variant's shadow "
        "prices) and report.html to this folder and register it in the catalogue.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the attribution as JSON.")] = False,
    results: ResultsOpt = None,
) -> None:
    """Each policy's share of each region's unmet demand and each care site's unstaffed
    patient-days: its Shapley value over every coalition of the policies (positive: the
    policy made the shortage worse). Contributions add up to the variant's outcome less the
    outcome with all of them off."""
    from ...studies import attribute

    if out_dir is not None:  # a bad --out or catalogue fails before the work, not after it
        from ...store import catalogue, check_out

        check_out(out_dir)
        catalogue.check(results)
    with progress_bar("attribute", as_json) as progress:
        a = attribute(scenario, variant=variant, policies=names(policies), samples=samples,
                      seed=seed, workers=workers, executor=executor, address=address,
                      progress=progress)
    if out_dir is not None:
        _save(a, out_dir, results, as_json)
    if as_json:
        sys.stdout.write(json.dumps(a.summary()) + "\n")
        return
    region_name = {rid: r.name or rid for rid, r in a.scenario.regions.items()}
    totals = a.totals.set_index(["region", "commodity"])
    shown = a.rows[a.rows["contribution"].abs() >= 0.5].copy()
    shown["size"] = shown["contribution"].abs()
    shown = shown.sort_values(["size"], ascending=False).head(top)
    how = "every coalition" if a.method == "exact" else f"{a.permutations} sampled orders"
    table = Table(title=f"{a.scenario.name}{' / ' + a.variant if a.variant else ''}: who "
                  f"caused the shortage ({len(a.policies)} policies, {how}, {a.runs} runs)",
                  title_justify="left")
    for col in ("region", "commodity", "policy", "contribution", "of the change",
                *(("± s.e.",) if a.method == "sampled" else ())):
        table.add_column(col, justify="right" if col not in ("region", "commodity", "policy")
                         else "left")
    for r in shown.itertuples(index=False):
        t = totals.loc[(r.region, r.commodity)]
        change = float(t["unmet_variant"] - t["unmet_none"])
        share = f"{100 * r.contribution / change:.0f}%" if abs(change) >= 0.5 else "-"
        table.add_row(region_name.get(r.region, r.region), r.commodity, r.policy,
                      f"{r.contribution:+,.0f}", share,
                      *((f"{r.stderr:,.0f}",) if a.method == "sampled" else ()))
    out.print(table)
    care = a.care[a.care["contribution"].abs() >= 0.5]
    for r in care.itertuples(index=False):
        out.print(f"{r.site}: {r.policy} {r.contribution:+,.0f} unstaffed patient-days",
                  markup=False)
    for r in a.interactions.head(5).itertuples(index=False):
        if abs(r.interaction) >= 0.5:
            out.print(f"interaction {r.policy_a} x {r.policy_b} in {region_name.get(r.region)}"
                      f" {r.commodity}: {r.interaction:+,.0f}", markup=False)
    err.print("contributions add up to the variant's unmet demand less that with every listed "
              "policy off (checked)", markup=False)


PRICES = "prices.parquet"  # the variant's shadow prices by lane and week, for the report


def _save(a: Attribution, out_dir: Path, results: Path | None, quiet: bool) -> None:
    """The attribution's folder with its report (and the variant's shadow prices: the value
    of relaxing each policy, from the optimal allocation's LP), registered in the catalogue."""
    from ...report import attribution_report
    from ...store import attribution_tables, save
    from ...studies.shadowprices import prices

    weekly = prices(a.scenario).weekly

    def finish(folder: Path) -> None:
        weekly.to_parquet(folder / PRICES, index=False)
        (folder / "report.html").write_text(
            attribution_report(attribution_tables(a), prices=weekly), encoding="utf-8")

    written = save(a, out_dir, results, finish=finish)
    if not quiet:
        err.print(f"wrote {written}", markup=False, soft_wrap=True)
