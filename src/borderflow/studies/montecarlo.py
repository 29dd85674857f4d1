"""`sweep`: Monte Carlo over the scenario's `uncertainty`, chunk by chunk.

Computing only: `plan` checks everything before any work, `execute` runs chunks on an executor
and yields each as it finishes, `sweep` keeps them in memory. A sweep that writes its chunks
to a folder as they finish, and resumes from it, is the store's (`store.sweeps.sweep`, which
is `borderflow.sweep`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from ..engine import allocator as find_allocator
from ..model import Scenario, UsageError, apply_variant
from ..results.simulation import as_scenario
from .chunk import CHUNK_SIZE, Chunk, ChunkOut
from .daily import daily_regions
from .executors import Executor, executor
from .result import Held, Rows, SweepResult

Progress = Callable[[int, int], None]  # (samples done, samples in all)


@dataclass(frozen=True)
class Plan:
    """What a sweep is: its scenario, seed, samples and variants, the chunks they make, and
    the executor that will run them."""

    scenario: Scenario
    seed: int
    samples: int
    variants: tuple[str | None, ...]
    chunk_size: int
    daily: tuple[str, ...]
    allocator: str
    chunks: tuple[Chunk, ...]
    executor: Executor

    @property
    def total(self) -> int:
        return self.samples * len(self.variants)

    def result(self, rows: Rows) -> SweepResult:
        return SweepResult(self.scenario.name, self.seed, self.samples,
                           tuple(v or "" for v in self.variants), rows, self.chunk_size,
                           self.daily, self.allocator, self.scenario)


def plan_chunks(variants: tuple[str | None, ...] | list[str | None], samples: int,
                chunk_size: int, daily: tuple[str, ...] = (),
                allocator: str = "priority") -> tuple[Chunk, ...]:
    return tuple(Chunk(v, i, start, min(samples, start + chunk_size), daily, allocator)
                 for v in variants for i, start in enumerate(range(0, samples, chunk_size)))


def plan(scenario: Scenario | str | Path, samples: int = 100, variants: list[str] | None = None,
         seed: int = 0, workers: int = 1, executor_name: str = "local", chunk_size: int = CHUNK_SIZE,
         daily: list[str] | None = None, address: str | None = None,
         allocator: str = "priority") -> Plan:
    """The sweep's plan; bad options fail here, before any work."""
    s = as_scenario(scenario)
    if samples < 1:
        raise UsageError("--samples", f"must be at least 1, got {samples}")
    if chunk_size < 1:
        raise UsageError("--chunk-size", "must be at least 1")
    find_allocator(allocator)
    names: tuple[str | None, ...] = tuple(variants) if variants else (None,)
    for v in names:
        apply_variant(s, v)  # an unknown variant fails here
    regions = daily_regions(s, daily)
    runner = executor(executor_name, workers, address)  # a missing Ray fails here
    return Plan(s, seed, samples, names, chunk_size, regions, allocator,
                plan_chunks(names, samples, chunk_size, regions, allocator), runner)


def execute(p: Plan, todo: list[Chunk], progress: Progress | None = None,
            done: int = 0) -> Iterator[tuple[Chunk, ChunkOut]]:
    """Run the chunks `todo` of the plan (`done` samples already are), yielding each as it
    finishes, in any order; `progress(samples done, samples in all)` after each."""
    if progress:
        progress(done, p.total)
    for chunk, out in p.executor.map(p.scenario, todo, p.seed):
        done += chunk.stop - chunk.start
        yield chunk, out
        if progress:
            progress(done, p.total)


def sweep(scenario: Scenario | str | Path, samples: int = 100, variants: list[str] | None = None,
          seed: int = 0, workers: int = 1, executor: str = "local", chunk_size: int = CHUNK_SIZE,
          progress: Progress | None = None, daily: list[str] | None = None,
          address: str | None = None, allocator: str = "priority") -> SweepResult:
    """Run `samples` draws of the scenario's `uncertainty` for each variant (default: the
    scenario as written), keeping every chunk in memory. Sample k is the same whatever
    `workers`, `executor` or `chunk_size`. `daily`: regions whose daily series (demand, unmet,
    sites' stock) are kept too. `address`: the Ray cluster of the ray executor (default: one
    started for the run). `allocator`: one with `batch` runs each chunk at once, any other
    runs it sample by sample."""
    p = plan(scenario, samples, variants, seed, workers, executor, chunk_size, daily, address,
             allocator)
    held = dict(execute(p, list(p.chunks), progress))
    return p.result(Held(tuple(held[c].kpis for c in p.chunks),
                         tuple(held[c].daily for c in p.chunks) if p.daily else None))
