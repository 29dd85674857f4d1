"""`sensitivity`: rank the scenario's assumptions by how much they move the results."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..render import sensitivity_tables
from ..shared import DEFAULT_SCENARIO, ResultsOpt, ScenarioArg, app, err, names, out, progress_bar
from .run import deliver


@app.command("sensitivity")
def sensitivity_cmd(
    scenario: ScenarioArg = DEFAULT_SCENARIO,
    variant: Annotated[str | None, typer.Option(help="The variant to perturb (default: the "
                                                "scenario as written).")] = None,
    outputs: Annotated[str | None, typer.Option(
        help="Comma-separated region:commodity and care:SITE (default: every region and "
             "commodity with demand, and every care site).")] = None,
    factor: Annotated[float, typer.Option(help="Each number is set to x (1 - factor) and x "
                                          "(1 + factor).")] = 0.2,
    kpi: Annotated[str, typer.Option(help="The KPI of region:commodity outputs (unmet_pct, "
                                     "normal_unmet_pct, unmet, stockout_days, ...).")] = "unmet_pct",
    assumptions: Annotated[str | None, typer.Option(
        help="Comma-separated numbers to perturb, as a variant's `set` names them (default: "
             "every number whose line's comment says `assumption`).")] = None,
    top: Annotated[int, typer.Option(help="Assumptions shown per output.")] = 5,
    out_dir: Annotated[Path | None, typer.Option(
        "--out", help="Write sensitivity.parquet, sensitivity.json and report.html (tornado "
        "charts) to this folder and register it in the catalogue.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the study as JSON.")] = False,
    results: ResultsOpt = None,
) -> None:
    """Perturb every assumption up and down, one at a time (one batch where the engine can),
    and rank them by their effect on the chosen outputs."""
    from ...report import sensitivity_report
    from ...store import catalogue, save
    from ...studies import sensitivity

    if out_dir is not None:
        catalogue.check(results)
    with progress_bar("sensitivity", as_json) as progress:
        study = sensitivity(scenario, variant=variant, outputs=outputs, factor=factor, kpi=kpi,
                            assumptions=names(assumptions), progress=progress)

    def finish(folder: Path) -> None:
        (folder / "report.html").write_text(sensitivity_report(study.summary()), encoding="utf-8")

    write = None if out_dir is None else (lambda: save(study, out_dir, results, finish=finish))
    if deliver(study.summary(), write, as_json):
        return
    for table in sensitivity_tables(study, top):
        out.print(table)
    err.print(f"{len(study.ranking)} assumptions, {study.batched} runs in one batch and "
              f"{study.alone} alone; {len(study.skipped)} values not run (--json lists why)",
              markup=False)
