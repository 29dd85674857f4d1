"""One chunk of a sweep: samples [start, stop) of one variant -> one KPI row per sample,
region and commodity (and, for the regions in `Chunk.daily`, one row per sample, region,
commodity and day)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

import pandas as pd
from pydantic import ValidationError

from ..engine import Network, Sampled, compile_network, days
from ..model import Problem, Scenario, ScenarioError, apply_variant
from ..model.paths import get_path, set_path
from ..results.kpis import BatchKpis
from ..results.schema import SWEEP_KPIS
from .daily import DAILY_COLUMNS, DailySums
from .sample import Array, draw, plan, sampled_arrays

COLUMNS = SWEEP_KPIS.names
AS_WRITTEN = "(as written)"
# Samples per chunk unless asked otherwise: the priority engine's day costs about 0.5 ms
# whatever the batch, then about 1.1 ms a sample (the flagship), so a batch of 256 runs a
# sample in about 1.3 ms against 1.9 ms at 64; past 512 the batch outgrows the caches.
CHUNK_SIZE = 256


@dataclass(frozen=True)
class Chunk:
    variant: str | None
    index: int
    start: int
    stop: int
    daily: tuple[str, ...] = ()  # regions whose daily series are kept
    allocator: str = "priority"

    @property
    def label(self) -> str:
        return self.variant or AS_WRITTEN


class ChunkOut(NamedTuple):
    kpis: pd.DataFrame  # COLUMNS
    daily: pd.DataFrame  # DAILY_COLUMNS; no rows unless the chunk asks for daily series


def run_chunk(scenario: Scenario, chunk: Chunk, seed: int) -> ChunkOut:
    """Run samples chunk.start..chunk.stop-1: together in one batch when every uncertain path is
    batchable (the allocator runs the batch, at once if it can: `engine.allocators`), else one
    network per sample."""
    s = apply_variant(scenario, chunk.variant)
    samples = range(chunk.start, chunk.stop)
    draws = draw(s, seed, samples)
    p = plan(s)
    frames, days = [], []
    if not p.each:
        net = compile_network(s)
        sampled = sampled_arrays(s, net, draws, p.batch)
        kpis, day_rows = _run(net, chunk, len(samples), sampled, chunk.start,
                              f"sweep samples {chunk.start}-{chunk.stop - 1}")
        kpis["sample"] = kpis["sample"] + chunk.start
        kpis.insert(0, "variant", chunk.label)
        frames, days = [kpis], [day_rows]
    else:
        for i, k in enumerate(samples):
            one = {path: v[i:i + 1] for path, v in draws.items()}
            sk = _structural(s, one, p.each, k)
            net = compile_network(sk)
            sampled = sampled_arrays(sk, net, one, p.batch)
            kpis, day_rows = _run(net, chunk, 1, sampled, k, f"sweep sample {k}")
            kpis["sample"] = k
            kpis.insert(0, "variant", chunk.label)
            frames.append(kpis)
            days.append(day_rows)
    kpis = pd.concat(frames, ignore_index=True)[COLUMNS] if frames else pd.DataFrame(columns=COLUMNS)
    days = [d for d in days if len(d)]
    daily = pd.concat(days, ignore_index=True) if days else pd.DataFrame(columns=DAILY_COLUMNS)
    return ChunkOut(kpis, daily)


def _run(net: Network, chunk: Chunk, batch: int, sampled: Sampled, first: int,
         what: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A batch's KPIs (its samples numbered from 0) and its daily rows (numbered from `first`),
    reduced as the days come (`engine.days`)."""
    kpis, daily = BatchKpis(net, batch), DailySums(net, batch, chunk.daily)
    for day in days(net, chunk.allocator, batch, sampled, what):
        kpis.add(day)
        daily.add(day)
    return kpis.table(), daily.rows(first, chunk.label)


def _structural(s: Scenario, draws: dict[str, Array], paths: tuple[str, ...], k: int) -> Scenario:
    """The scenario with sample k's draws for paths that change the compiled network."""
    data = s.model_dump(by_alias=True, exclude_none=True)
    for path in paths:
        value: Any = float(draws[path][0])
        old = get_path(s, path)
        if s.uncertainty[path].scale:
            value *= old
        if isinstance(old, int) and not isinstance(old, bool):
            value = round(value)
        set_path(data, path, value)
    try:
        return s._carry(Scenario.model_validate(data))
    except ValidationError as e:
        first = e.errors()[0]
        raise ScenarioError([Problem(s.file, 1, ("uncertainty",),
                                     f"sample {k} draws a value the scenario rejects at "
                                     f"{'.'.join(str(x) for x in first['loc'])}: {first['msg']}")]) from None
