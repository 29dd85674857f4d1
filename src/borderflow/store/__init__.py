"""Storage: results folders (runs, comparisons, sweeps, sensitivity studies, stress tests,
attributions)
with one manifest format, atomic writes, resume, and the DuckDB catalogue of every folder
saved. Computing never writes: it returns objects, and `save` writes them.

    from borderflow.store import save, catalogue
    folder = save(borderflow.simulate("n95-2020"))     # a new folder under the results root
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ..results import Comparison, Result
from ..studies import Attribution, Held, Sensitivity, StressResult, SweepResult
from . import catalogue, files, manifest
from .attributions import AttributionTables, attribution_tables, read_attribution, write_attribution
from .comparisons import write_comparison
from .runs import RunTables, read_run, run_tables, write_run
from .sensitivities import write_sensitivity
from .stresses import write_stress
from .sweeps import read_sweep, sweep, write_held

Savable = Result | Comparison | SweepResult | Sensitivity | StressResult | Attribution


def _default_name(thing: Savable) -> tuple[str, str]:
    if isinstance(thing, Result):
        return "run", thing.scenario.name + (f"-{thing.variant}" if thing.variant else "")
    if isinstance(thing, Comparison):
        return "compare", thing.scenario.name
    if isinstance(thing, Sensitivity):
        return "sensitivity", thing.scenario.name
    if isinstance(thing, StressResult):
        return "stress", thing.scenario.name
    if isinstance(thing, Attribution):
        return "attribution", thing.scenario.name + (f"-{thing.variant}" if thing.variant else "")
    return "sweep", thing.scenario


def _write(thing: Savable, folder: Path, finish: Callable[[Path], None] | None) -> Path:
    if isinstance(thing, Result):
        return write_run(thing, folder, finish)
    if isinstance(thing, Comparison):
        return write_comparison(thing, folder, finish)
    if isinstance(thing, Sensitivity):
        return write_sensitivity(thing, folder, finish)
    if isinstance(thing, StressResult):
        return write_stress(thing, folder, finish)
    if isinstance(thing, Attribution):
        return write_attribution(thing, folder, finish)
    if not isinstance(thing.rows, Held) or finish is not None:
        raise TypeError("a sweep with a folder is saved as it runs (borderflow.sweep(out=...)); "
                        "save writes a sweep held in memory, with no `finish`")
    return write_held(thing, folder)


def check_out(out: str | Path) -> None:
    """Bad input naming --out now, before the work, if `out` cannot become a results folder."""
    files.check_out(Path(out), manifest.FILE)


def save(thing: Savable, out: str | Path | None = None, root: str | Path | None = None, *,
         finish: Callable[[Path], None] | None = None, name: str | None = None,
         register: bool = True) -> Path:
    """Write a run, a comparison, a study (sensitivity, stress test, attribution) or a sweep
    held in memory to folder `out`, or to a new folder
    `<root>/<kind>s/<name>-<UTC time>` (`name`: the scenario's, and a run's variant), and
    register it in the catalogue of `root`. `finish(folder)` adds files of its own (a report)
    before the folder is moved into place. With `register=False` the caller registers it later
    (the web app does, once its page has answered)."""
    if register:
        catalogue.check(root)  # a broken catalogue fails before anything is written
    kind, default = _default_name(thing)
    if out is not None:
        folder = _write(thing, Path(out), finish)
    else:
        reserved = catalogue.default_folder(root, kind, name or default)
        try:
            folder = _write(thing, reserved, finish)
        except BaseException:
            catalogue.release(reserved, root)
            raise
    if register:
        catalogue.register(folder, root)
    return folder


__all__ = ["AttributionTables", "RunTables", "Savable", "attribution_tables", "catalogue", "check_out",
           "manifest", "read_attribution", "read_run", "read_sweep", "run_tables", "save", "sweep",
           "write_attribution", "write_comparison", "write_run", "write_sensitivity",
           "write_stress"]
