"""`stress`: take each node, lane, border or country out in turn and rank them by exposure."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..render import stress_table
from ..shared import (
    DEFAULT_SCENARIO,
    AddressOpt,
    AllocatorOpt,
    ExecutorOpt,
    ResultsOpt,
    ScenarioArg,
    WorkersOpt,
    app,
    err,
    out,
    progress_bar,
)
from .run import deliver


@app.command("stress")
def stress_cmd(
    scenario: ScenarioArg = DEFAULT_SCENARIO,
    variant: Annotated[str | None, typer.Option(help="The variant to stress (default: the "
                                                "scenario as written).")] = None,
    targets: Annotated[str, typer.Option(
        help="Comma-separated: nodes (every node but the sites), lanes, borders (each direction "
             "goods cross), countries, or targets by name: a node, a lane a->b, a border US>CA, "
             "a country, or the id of one of the scenario's disruptions.")] = "nodes,borders",
    ttr: Annotated[int | None, typer.Option(
        help="Time to recover: days each target is out (default: a scenario disruption's own, "
             "else 14).")] = None,
    start: Annotated[int, typer.Option(help="Day the disruptions start.")] = 0,
    allocator: AllocatorOpt = "priority",
    optimal_tts: Annotated[bool, typer.Option(
        "--optimal-tts/--no-optimal-tts", help="Also solve the optimal allocation per target "
        "for its time to survive (one LP each).")] = True,
    workers: WorkersOpt = 1,
    executor: ExecutorOpt = "local",
    address: AddressOpt = None,
    top: Annotated[int, typer.Option(help="Targets shown (--json and --out have all).")] = 25,
    out_dir: Annotated[Path | None, typer.Option(
        "--out", help="Write stress.parquet, stress_regions.parquet, stress.json and "
        "report.html to this folder and register it in the catalogue.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the stress test as JSON.")] = False,
    results: ResultsOpt = None,
) -> None:
    """Simchi-Levi's stress test: each target out for its time to recover, one batch; per
    target the time to survive, the demand lost and the risk exposure index."""
    from ...report import stress_report
    from ...store import catalogue, save
    from ...studies import stress

    if out_dir is not None:
        catalogue.check(results)
    with progress_bar("stress", as_json) as progress:
        result = stress(scenario, variant=variant, target_spec=targets, ttr=ttr, start=start,
                        allocator=allocator, optimal_tts=optimal_tts, workers=workers,
                        executor=executor, address=address, progress=progress)
    names = {rid: {"name": r.name or rid} for rid, r in result.scenario.regions.items()}

    def finish(folder: Path) -> None:
        (folder / "report.html").write_text(
            stress_report(result.to_json(), result.regions, names), encoding="utf-8")

    write = None if out_dir is None else (lambda: save(result, out_dir, results, finish=finish))
    if deliver(result.to_json(), write, as_json):
        return
    out.print(stress_table(result, top))
    worst = result.rows.iloc[0] if len(result.rows) else None
    if worst is not None and worst["exposure_index"] > 0:
        region = result.scenario.regions[worst["worst_region"]].name or worst["worst_region"] \
            if worst["worst_region"] else "no region"
        err.print(f"most exposed: {worst['target']} ({worst['impact_units']:,.0f} units lost, "
                  f"most of them in {region})", markup=False)
