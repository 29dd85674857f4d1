"""`sweep`: Monte Carlo over the scenario's `uncertainty`, with a progress bar."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from ...model import load
from ...studies import CHUNK_SIZE
from ..render import sweep_table
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
    names,
    out,
)
from .run import save_or_not


@app.command("sweep")
def sweep_cmd(
    scenario: ScenarioArg = DEFAULT_SCENARIO,
    samples: Annotated[int, typer.Option(help="Samples per variant.")] = 100,
    variants: Annotated[str | None, typer.Option(help="Comma-separated variants (default: the "
                                                 "scenario as written).")] = None,
    seed: Annotated[int, typer.Option(help="Seed of the SeedSequence samples are drawn from.")] = 0,
    workers: WorkersOpt = 1,
    executor: ExecutorOpt = "local",
    address: AddressOpt = None,
    chunk_size: Annotated[int, typer.Option(help="Samples per chunk (one batch, one file).")] = CHUNK_SIZE,
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
    allocator: AllocatorOpt = "priority",
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

    from ...store import catalogue, sweep
    from ...studies import RayMissing

    folder, reserved = _sweep_folder(scenario, out_dir, resume, no_save, results)
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
            result = sweep(scenario, samples=samples, variants=names(variants), seed=seed,
                           workers=workers, out=folder, resume=resume, executor=executor,
                           chunk_size=chunk_size, progress=report, daily=names(daily),
                           address=address, ready=ready, allocator=allocator)
            if folder is not None:
                from ...report.folder import folder_report, write_report

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
    # regions by name, as `run` shows them
    out.print(sweep_table(summary, f"{result.scenario}: {samples} samples per variant, seed {seed}",
                          load(scenario)))
    if folder is not None:
        err.print(f"wrote {folder}", markup=False, soft_wrap=True)


def _sweep_folder(scenario: str, out_dir: Path | None, resume: bool, no_save: bool,
                  results: Path | None) -> tuple[Path | None, bool]:
    """Where the sweep writes its chunks (None: nowhere), and whether we made the folder."""
    from ...model import UsageError
    from ...store import catalogue

    save_or_not(no_save, out_dir)
    if resume and out_dir is None:
        raise UsageError("--resume", "needs --out, the folder of the sweep to finish "
                         "(`borderflow runs --kind sweep` lists the command's sweeps, unfinished "
                         "ones as incomplete)")
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
    from ...store import catalogue

    if folder is not None and registered:
        catalogue.register(folder, results)
    elif reserved and folder is not None:
        catalogue.release(folder, results)  # it stopped before it began: leave nothing behind
