"""`sweep`: Monte Carlo over the scenario's `uncertainty`, chunk by chunk, resumable.

Each finished chunk is written atomically (a temporary file renamed into place) as Parquet
under `out`, beside `sweep.json`, which records what the sweep is (scenario, seed, samples,
variants, chunk size, the regions with daily series), and `scenario.json` (names and dates, for
the report). A restart with `resume=True` runs only the chunks without a file. A chunk's daily
series, if asked for, are written before its KPI file, so a KPI file present means both are.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from ..model import Problem, Scenario, ScenarioError, apply_variant
from ..results.simulate import as_scenario
from ..results.store import INFO, content_hash, scenario_info, write_file
from .chunk import COLUMNS, Chunk, ChunkOut
from .daily import DAILY_COLUMNS, daily_regions
from .executors import executor as make_executor
from .result import Files, Held, SweepResult

MANIFEST = "sweep.json"
Progress = Callable[[int, int], None]  # (samples done, samples in all)


def plan_chunks(variants: list[str | None], samples: int, chunk_size: int,
                daily: tuple[str, ...] = ()) -> list[Chunk]:
    return [Chunk(v, i, start, min(samples, start + chunk_size), daily)
            for v in variants for i, start in enumerate(range(0, samples, chunk_size))]


def _bad_out(out: Path, message: str) -> ScenarioError:
    return ScenarioError([Problem(str(out), 1, ("--out",), message)])


def _identity(s: Scenario, seed: int, samples: int, variants: list[str | None],
              chunk_size: int, daily: tuple[str, ...] = ()) -> dict[str, Any]:
    doc = {"borderflow_sweep": 1, "scenario": s.name, "scenario_sha256": content_hash(s),
           "seed": seed, "samples": samples, "variants": [v or "" for v in variants],
           "chunk_size": chunk_size}
    if daily:  # only then, so sweeps without daily series keep their manifest
        doc["daily"] = list(daily)
    return doc


def sweep_info(s: Scenario) -> dict[str, Any]:
    """The catalogue's scenario facts, plus what the report shows: days, variant descriptions."""
    return scenario_info(s) | {"days": s.days,
                               "variants": {name: v.description for name, v in s.variants.items()}}


def _parquet_writer(frame: pd.DataFrame) -> Callable[[Path], object]:
    def write(path: Path) -> None:
        frame.to_parquet(path, index=False)

    return write


def _prepare_out(out: Path, identity: dict[str, Any], resume: bool) -> None:
    manifest = out / MANIFEST
    if out.exists() and not out.is_dir():
        raise _bad_out(out, "is a file, not a folder")
    if out.exists() and any(out.iterdir()):
        if not manifest.exists():
            raise _bad_out(out, "exists and is not a borderflow sweep folder (no sweep.json); "
                           "choose another folder")
        try:
            found = json.loads(manifest.read_text())
        except (OSError, ValueError) as e:
            raise _bad_out(out, f"sweep.json is unreadable ({e}); choose another folder") from None
        if not resume:
            raise _bad_out(out, "holds a sweep already; add --resume to finish it, or choose "
                           "another folder")
        if found != identity:
            diff = sorted(k for k in identity if found.get(k) != identity[k]) if \
                isinstance(found, dict) else ["everything"]
            raise _bad_out(out, "holds a different sweep (differs in: " + ", ".join(diff) +
                           "); resume with the same scenario, seed, samples and variants")
        return
    out.mkdir(parents=True, exist_ok=True)
    write_file(manifest, lambda p: p.write_text(json.dumps(identity, indent=2) + "\n"))


def _read_chunk(path: Path, chunk: Chunk, columns: list[str] = COLUMNS) -> pd.DataFrame:
    try:
        frame = pd.read_parquet(path)
    except Exception as e:  # any reader error means the file is not ours as written
        raise _bad_out(path.parent, f"{path.name} is corrupt ({type(e).__name__}); delete it "
                       "and resume") from None
    if list(frame.columns) != columns or (len(frame) and (
            frame["sample"].min() < chunk.start or frame["sample"].max() >= chunk.stop)):
        raise _bad_out(path.parent, f"{path.name} does not hold chunk {chunk.index} of this "
                       "sweep; delete it and resume")
    return frame


def _read_daily(folder: Path, chunk: Chunk) -> pd.DataFrame:
    if not (folder / chunk.daily_file).exists():
        raise _bad_out(folder, f"{chunk.daily_file} is missing (its chunk {chunk.file} is "
                       "there); delete that chunk and resume")
    return _read_chunk(folder / chunk.daily_file, chunk, DAILY_COLUMNS)


def sweep(scenario: Scenario | str | Path, samples: int = 100, variants: list[str] | None = None,
          seed: int = 0, workers: int = 1, out: str | Path | None = None, resume: bool = False,
          executor: str = "local", chunk_size: int = 64,
          progress: Progress | None = None, daily: list[str] | None = None,
          address: str | None = None, ready: Callable[[Path], None] | None = None) -> SweepResult:
    """Run `samples` draws of the scenario's `uncertainty` for each variant (default: the
    scenario as written). Sample k is the same whatever `workers`, `executor` or `chunk_size`.
    `daily`: regions whose daily series (demand, unmet, sites' stock) are kept too.
    `address`: the Ray cluster of the ray executor (default: one started for the run).
    `ready(out)` is called once `out` is accepted and holds sweep.json and scenario.json,
    before any chunk runs (the command registers the sweep there)."""
    s = as_scenario(scenario)
    if samples < 1:
        raise ScenarioError([Problem(s.file, 1, ("--samples",), f"must be at least 1, got {samples}")])
    if chunk_size < 1:
        raise ScenarioError([Problem(s.file, 1, ("--chunk-size",), "must be at least 1")])
    names: list[str | None] = list(variants) if variants else [None]
    for v in names:
        apply_variant(s, v)  # an unknown variant fails here, before any work
    regions = daily_regions(s, daily)
    runner = make_executor(executor, workers, address, s.file)  # fails before any work
    chunks = plan_chunks(names, samples, chunk_size, regions)
    done: set[Chunk] = set()
    held: dict[Chunk, ChunkOut] = {}  # only without a folder: with one, the files hold the rows
    out_dir = Path(out) if out is not None else None
    if out_dir is not None:
        _prepare_out(out_dir, _identity(s, seed, samples, names, chunk_size, regions), resume)
        if not (out_dir / INFO).exists():  # names and descriptions, for the catalogue and report
            write_file(out_dir / INFO,
                       lambda p: p.write_text(json.dumps(sweep_info(s), indent=2) + "\n"))
        if ready:
            ready(out_dir)
        for c in chunks:
            if (out_dir / c.file).exists():
                _read_chunk(out_dir / c.file, c)  # checked, then let go
                if regions:
                    _read_daily(out_dir, c)
                done.add(c)
    total = samples * len(names)
    count = sum(c.stop - c.start for c in done)
    if progress:
        progress(count, total)
    todo = [c for c in chunks if c not in done]
    for c, result in runner.map(s, todo, seed):
        if out_dir is not None:
            if regions:
                write_file(out_dir / c.daily_file, _parquet_writer(result.daily))
            write_file(out_dir / c.file, _parquet_writer(result.kpis))
        else:
            held[c] = result
        done.add(c)
        count += c.stop - c.start
        if progress:
            progress(count, total)
    rows = chunk_files(out_dir, chunks, regions) if out_dir is not None else Held(
        pd.concat([held[c].kpis for c in chunks], ignore_index=True),
        _join_daily([held[c].daily for c in chunks]) if regions else None)
    return SweepResult(s.name, seed, samples, tuple(c or "" for c in names), rows)


def chunk_files(folder: Path, chunks: list[Chunk], regions: tuple[str, ...]) -> Files:
    """The rows of a sweep folder, left in its files."""
    return Files(tuple(folder / c.file for c in chunks),
                 tuple(folder / c.daily_file for c in chunks) if regions else None)


def _join_daily(frames: list[pd.DataFrame]) -> pd.DataFrame:
    frames = [f for f in frames if len(f)]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=DAILY_COLUMNS)
