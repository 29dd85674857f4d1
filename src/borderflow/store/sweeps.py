"""Sweep folders: manifest.json, then one Parquet file per finished chunk (and one of daily
series, written first, when asked for), each written atomically as its chunk finishes; a
restart with `resume=True` runs only the chunks without a file. `sweep` here is
`borderflow.sweep`: the study (`studies.montecarlo`) computes, this writes.

The manifest records the KPI columns the sweep began with (`schema.SWEEP_KPIS` then), and
every chunk of the folder has exactly those: a folder begun before a KPI was added resumes
without it, so a folder's files always agree (the catalogue reads them as one table, and
sweeps of both kinds side by side, the older with the new column empty).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from ..model import Scenario, UsageError
from ..results.schema import DAILY, SWEEP_KEYS, SWEEP_KPIS
from ..studies import CHUNK_SIZE, Chunk, Held, Plan, SweepResult, execute, plan, plan_chunks
from ..studies import sweep as in_memory
from ..studies.montecarlo import Progress
from . import manifest
from .files import read_parquet, write_file, write_folder

NEEDED = (*SWEEP_KEYS, "unmet_pct", "stockout_days")  # what the summary reads


def chunk_file(c: Chunk) -> str:
    return f"chunk-{c.variant or '_'}-{c.index:06d}.parquet"


def daily_file(c: Chunk) -> str:
    return f"daily-{c.variant or '_'}-{c.index:06d}.parquet"


def _bad(folder: Path, message: str) -> UsageError:
    return UsageError("--out", f"{folder}: {message}")


def sweep_manifest(p: Plan) -> dict[str, Any]:
    m = manifest.manifest("sweep", p.scenario, list(p.variants), p.allocator, seed=p.seed,
                          samples=p.samples, chunk_size=p.chunk_size, daily=p.daily)
    return m | {"columns": SWEEP_KPIS.names}


def kpi_columns(folder: Path, m: dict[str, Any]) -> list[str]:
    """The KPI columns of the sweep in `folder` (those it began with), which this borderflow
    must still compute."""
    columns = [str(c) for c in m.get("columns") or SWEEP_KPIS.names]
    gone = [c for c in columns if c not in SWEEP_KPIS.names]
    if gone or not set(NEEDED) <= set(columns):
        raise _bad(folder, f"was begun by a borderflow whose KPIs were {', '.join(columns)}; "
                   f"this one computes {', '.join(SWEEP_KPIS.names)}")
    return columns


def _check_frame(path: Path, c: Chunk, columns: list[str]) -> None:
    try:
        frame = pd.read_parquet(path)
    except Exception as e:  # any reader error means the file is not ours as written
        raise _bad(path.parent, f"{path.name} is corrupt ({type(e).__name__}); delete it and "
                   "resume") from None
    if list(frame.columns) != columns or (len(frame) and (
            frame["sample"].min() < c.start or frame["sample"].max() >= c.stop)):
        raise _bad(path.parent, f"{path.name} does not hold chunk {c.index} of this sweep; "
                   "delete it and resume")


def check_chunk(folder: Path, c: Chunk, columns: list[str]) -> None:
    """A finished chunk's files hold what they should (a daily file too, if asked for)."""
    _check_frame(folder / chunk_file(c), c, columns)
    if c.daily:
        if not (folder / daily_file(c)).exists():
            raise _bad(folder, f"{daily_file(c)} is missing (its chunk {chunk_file(c)} is there); "
                       "delete that chunk and resume")
        _check_frame(folder / daily_file(c), c, DAILY.names)


@dataclass(frozen=True)
class ChunkFiles:
    """A sweep folder's rows, left in its files (studies.Rows)."""

    folder: Path
    chunks: tuple[Chunk, ...]
    has_daily: bool

    def _files(self, name: Callable[[Chunk], str]) -> list[Path]:
        return [self.folder / name(c) for c in self.chunks]

    @property
    def kpis(self) -> tuple[Path, ...]:
        """The chunks' KPI files, in plan order."""
        return tuple(self._files(chunk_file))

    @property
    def daily(self) -> tuple[Path, ...] | None:
        return tuple(self._files(daily_file)) if self.has_daily else None

    def kpi_chunks(self) -> Iterator[pd.DataFrame]:
        return (pd.read_parquet(f) for f in self._files(chunk_file))

    def daily_chunks(self) -> Iterator[pd.DataFrame]:
        return (pd.read_parquet(f) for f in self._files(daily_file)) if self.has_daily else iter(())

    def kpi_relation(self, con: duckdb.DuckDBPyConnection) -> str:
        files = self._files(chunk_file)
        con.register("chunk_places", pd.DataFrame({"filename": [str(f) for f in files],
                                                   "place": range(len(files))}))
        source = read_parquet(files, "filename = true, file_row_number = true")
        return (f"(select k.*, p.place, k.file_row_number as row from {source} k "
                "join chunk_places p using (filename))")


def _prepare(out: Path, m: dict[str, Any], resume: bool) -> list[str]:
    """Accept `out` for the sweep of manifest `m` (a new folder, or this sweep's to resume)
    and return the KPI columns its chunks have."""
    if out.exists() and not out.is_dir():
        raise _bad(out, "is a file, not a folder")
    if out.exists() and any(out.iterdir()):
        if not (out / manifest.FILE).exists():
            raise _bad(out, f"exists and is not a borderflow sweep folder (no {manifest.FILE}); "
                       "choose another folder")
        try:
            found = json.loads((out / manifest.FILE).read_text())
        except (OSError, ValueError) as e:
            raise _bad(out, f"{manifest.FILE} is unreadable ({e}); choose another folder") from None
        if not resume:
            raise _bad(out, "holds a sweep already; add --resume to finish it, or choose "
                       "another folder")
        want = manifest.identity(m)
        have = manifest.identity(found) if isinstance(found, dict) else {}
        if have != want:
            diff = sorted(k for k in want if have.get(k) != want[k])
            raise _bad(out, "holds a different sweep (differs in: " + ", ".join(diff) +
                       "); resume with the same scenario, seed, samples and variants")
        return kpi_columns(out, found)
    out.mkdir(parents=True, exist_ok=True)
    manifest.write(out, m)
    return list(m["columns"])


def _writer(frame: pd.DataFrame) -> Callable[[Path], object]:
    def write(path: Path) -> None:
        frame.to_parquet(path, index=False)

    return write


def sweep(scenario: Scenario | str | Path, samples: int = 100, variants: list[str] | None = None,
          seed: int = 0, workers: int = 1, out: str | Path | None = None, resume: bool = False,
          executor: str = "local", chunk_size: int = CHUNK_SIZE,
          progress: Progress | None = None, daily: list[str] | None = None,
          address: str | None = None, ready: Callable[[Path], None] | None = None,
          allocator: str = "priority") -> SweepResult:
    """Run `samples` draws of the scenario's `uncertainty` for each variant (see
    `studies.montecarlo.sweep`); with `out`, each finished chunk goes to that folder at once, so a sweep
    killed part way resumes (`resume=True`) where it stopped and a sweep of any size holds no
    row in memory. `ready(out)` is called once `out` is accepted and holds its manifest,
    before any chunk runs (the command registers the sweep there)."""
    if out is None:
        if resume:
            raise UsageError("--resume", "needs --out, the folder of the sweep to finish "
                             "(`borderflow runs --kind sweep` lists the sweeps, unfinished ones "
                             "as incomplete)")
        return in_memory(scenario, samples, variants, seed, workers, executor, chunk_size,
                         progress, daily, address, allocator)
    p = plan(scenario, samples, variants, seed, workers, executor, chunk_size, daily, address,
             allocator)
    folder = Path(out)
    columns = _prepare(folder, sweep_manifest(p), resume)
    if ready:
        ready(folder)
    done = [c for c in p.chunks if (folder / chunk_file(c)).exists()]
    for c in done:
        check_chunk(folder, c, columns)
    todo = [c for c in p.chunks if c not in set(done)]
    for c, result in execute(p, todo, progress, sum(c.stop - c.start for c in done)):
        if p.daily:
            write_file(folder / daily_file(c), _writer(result.daily))
        write_file(folder / chunk_file(c), _writer(result.kpis[columns]))
    return p.result(ChunkFiles(folder, p.chunks, bool(p.daily)))


def _chunks_of(m: dict[str, Any]) -> tuple[Chunk, ...]:
    variants: list[str | None] = [v or None for v in m["variants"]]
    return plan_chunks(variants, int(m["samples"]), int(m["chunk_size"]), tuple(m.get("daily") or ()),
                       str(m.get("allocator") or "priority"))


def progress_of(folder: Path, m: dict[str, Any]) -> tuple[int, int]:
    """(chunks done, chunks planned) of the sweep in `folder`."""
    chunks = _chunks_of(m)
    return sum((folder / chunk_file(c)).exists() for c in chunks), len(chunks)


def read_sweep(folder: Path) -> tuple[SweepResult, dict[str, Any]]:
    """The finished sweep in `folder` and its manifest (every file checked, one at a time; no
    row kept in memory); an unfinished or damaged sweep is bad input saying how to finish or
    repair it."""
    folder = Path(folder)
    m = manifest.read(folder, "SWEEP_DIR")
    if m["kind"] != "sweep":
        raise UsageError("SWEEP_DIR", f"{folder} holds a {m['kind']}, not a sweep")
    chunks = _chunks_of(m)
    missing = [c for c in chunks if not (folder / chunk_file(c)).exists()]
    if missing:
        raise UsageError("SWEEP_DIR", f"{folder}: the sweep is unfinished ({len(chunks) - len(missing)} "
                         f"of {len(chunks)} chunks done); finish it with the same `borderflow "
                         "sweep ... --out DIR --resume`")
    columns = kpi_columns(folder, m)
    for c in chunks:  # a corrupt or foreign file is found here, not half way through a query
        check_chunk(folder, c, columns)
    result = SweepResult(str(m["scenario"]), int(m["seed"]), int(m["samples"]),
                         tuple(m["variants"]), ChunkFiles(folder, chunks, bool(m.get("daily"))),
                         int(m["chunk_size"]), tuple(m.get("daily") or ()),
                         str(m.get("allocator") or "priority"))
    return result, m


def write_held(result: SweepResult, out: Path) -> Path:
    """A sweep computed in memory, written as a sweep folder (atomically, all at once)."""
    assert isinstance(result.rows, Held) and result.source is not None
    p = plan(result.source, result.samples, [v for v in result.variants if v] or None,
             result.seed, chunk_size=result.chunk_size, daily=list(result.daily_regions),
             allocator=result.allocator)
    rows = result.rows

    def fill(tmp: Path) -> None:
        (tmp / manifest.FILE).write_text(json.dumps(sweep_manifest(p), indent=2) + "\n")
        for k, c in enumerate(p.chunks):
            rows.kpis[k].to_parquet(tmp / chunk_file(c), index=False)
            if rows.daily is not None:
                rows.daily[k].to_parquet(tmp / daily_file(c), index=False)

    return write_folder(out, fill, manifest.FILE)
