"""`sweep`: Monte Carlo over the scenario's `uncertainty`, chunk by chunk, resumable.

Each finished chunk is written atomically (a temporary file renamed into place) as Parquet
under `out`, beside `sweep.json`, which records what the sweep is (scenario, seed, samples,
variants, chunk size). A restart with `resume=True` runs only the chunks without a file.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..model import Problem, Scenario, ScenarioError, apply_variant
from ..results.simulate import as_scenario
from .chunk import COLUMNS, Chunk
from .executors import executor as make_executor

MANIFEST = "sweep.json"
Progress = Callable[[int, int], None]  # (samples done, samples in all)


@dataclass(frozen=True)
class SweepResult:
    scenario: str
    seed: int
    samples: int
    variants: tuple[str, ...]
    kpis: pd.DataFrame  # one row per variant, sample, region and commodity

    def summary(self) -> pd.DataFrame:
        """Per variant, region and commodity: mean, P10, P50, P90 of unmet % and the
        probability of any stockout."""
        g = self.kpis.groupby(["variant", "region", "commodity"], sort=False)
        out = g["unmet_pct"].agg(
            mean="mean", p10=lambda x: float(np.percentile(x, 10)),
            p50=lambda x: float(np.percentile(x, 50)), p90=lambda x: float(np.percentile(x, 90)))
        out["p_stockout"] = g["stockout_days"].agg(lambda x: float((x > 0).mean()))
        return out.reset_index().rename(columns={"mean": "unmet_pct_mean", "p10": "unmet_pct_p10",
                                                 "p50": "unmet_pct_p50", "p90": "unmet_pct_p90"})


def plan_chunks(variants: list[str | None], samples: int, chunk_size: int) -> list[Chunk]:
    return [Chunk(v, i, start, min(samples, start + chunk_size))
            for v in variants for i, start in enumerate(range(0, samples, chunk_size))]


def _bad_out(out: Path, message: str) -> ScenarioError:
    return ScenarioError([Problem(str(out), 1, ("--out",), message)])


def _identity(s: Scenario, seed: int, samples: int, variants: list[str | None],
              chunk_size: int) -> dict[str, Any]:
    digest = hashlib.sha256(s.model_dump_json(by_alias=True).encode()).hexdigest()
    return {"borderflow_sweep": 1, "scenario": s.name, "scenario_sha256": digest, "seed": seed,
            "samples": samples, "variants": [v or "" for v in variants], "chunk_size": chunk_size}


def _write_atomic(path: Path, write: Callable[[Path], object]) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


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
    _write_atomic(manifest, lambda p: p.write_text(json.dumps(identity, indent=2) + "\n"))


def _read_chunk(path: Path, chunk: Chunk) -> pd.DataFrame:
    try:
        frame = pd.read_parquet(path)
    except Exception as e:  # any reader error means the file is not ours as written
        raise _bad_out(path.parent, f"{path.name} is corrupt ({type(e).__name__}); delete it "
                       "and resume") from None
    if list(frame.columns) != COLUMNS or (len(frame) and (
            frame["sample"].min() < chunk.start or frame["sample"].max() >= chunk.stop)):
        raise _bad_out(path.parent, f"{path.name} does not hold chunk {chunk.index} of this "
                       "sweep; delete it and resume")
    return frame


def sweep(scenario: Scenario | str | Path, samples: int = 100, variants: list[str] | None = None,
          seed: int = 0, workers: int = 1, out: str | Path | None = None, resume: bool = False,
          executor: str = "local", chunk_size: int = 64,
          progress: Progress | None = None, address: str | None = None) -> SweepResult:
    """Run `samples` draws of the scenario's `uncertainty` for each variant (default: the
    scenario as written). Sample k is the same whatever `workers`, `executor` or `chunk_size`.
    `address`: the Ray cluster of the ray executor (default: one started for the run)."""
    s = as_scenario(scenario)
    if samples < 1:
        raise ScenarioError([Problem(s.file, 1, ("--samples",), f"must be at least 1, got {samples}")])
    if chunk_size < 1:
        raise ScenarioError([Problem(s.file, 1, ("--chunk-size",), "must be at least 1")])
    names: list[str | None] = list(variants) if variants else [None]
    for v in names:
        apply_variant(s, v)  # an unknown variant fails here, before any work
    runner = make_executor(executor, workers, address, s.file)  # fails before any work
    chunks = plan_chunks(names, samples, chunk_size)
    done: dict[Chunk, pd.DataFrame] = {}
    out_dir = Path(out) if out is not None else None
    if out_dir is not None:
        _prepare_out(out_dir, _identity(s, seed, samples, names, chunk_size), resume)
        for c in chunks:
            if (out_dir / c.file).exists():
                done[c] = _read_chunk(out_dir / c.file, c)
    total = samples * len(names)
    count = sum(c.stop - c.start for c in done)
    if progress:
        progress(count, total)
    todo = [c for c in chunks if c not in done]
    for c, frame in runner.map(s, todo, seed):
        if out_dir is not None:
            _write_atomic(out_dir / c.file, _parquet_writer(frame))
        done[c] = frame
        count += c.stop - c.start
        if progress:
            progress(count, total)
    kpis = pd.concat([done[c] for c in chunks], ignore_index=True)
    return SweepResult(s.name, seed, samples, tuple(c or "" for c in names), kpis)
