"""Executors behind one small protocol: run chunks, yield each (chunk, its output) when done.

`local` runs in this process (workers=1) or a pool of spawned processes; `ray` on a Ray
cluster (optional extra `ray`). Which executor ran a chunk never changes its numbers.
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
from collections.abc import Iterator
from typing import Protocol

from ..model import Scenario
from .chunk import Chunk, ChunkOut, run_chunk


class Executor(Protocol):
    name: str

    def map(self, scenario: Scenario, chunks: list[Chunk],
            seed: int) -> Iterator[tuple[Chunk, ChunkOut]]: ...


class Local:
    name = "local"

    def __init__(self, workers: int = 1) -> None:
        self.workers = max(1, workers)

    def map(self, scenario: Scenario, chunks: list[Chunk],
            seed: int) -> Iterator[tuple[Chunk, ChunkOut]]:
        if self.workers == 1 or len(chunks) <= 1:
            for chunk in chunks:
                yield chunk, run_chunk(scenario, chunk, seed)
            return
        ctx = multiprocessing.get_context("spawn")
        with cf.ProcessPoolExecutor(self.workers, mp_context=ctx) as pool:
            futures = {pool.submit(run_chunk, scenario, c, seed): c for c in chunks}
            try:
                for f in cf.as_completed(futures):
                    yield futures[f], f.result()
            except BaseException:
                for f in futures:
                    f.cancel()
                raise


class RayMissing(RuntimeError):
    pass


class Ray:
    name = "ray"

    def __init__(self, workers: int = 1) -> None:
        try:
            import ray  # noqa: F401
        except ImportError:
            raise RayMissing("the ray executor needs Ray: pip install 'borderflow[ray]'") from None
        self.workers = workers

    def map(self, scenario: Scenario, chunks: list[Chunk],
            seed: int) -> Iterator[tuple[Chunk, ChunkOut]]:
        import ray

        if not ray.is_initialized():
            ray.init(num_cpus=self.workers or None, include_dashboard=False)
        remote = ray.remote(run_chunk)
        pending = {remote.remote(scenario, c, seed): c for c in chunks}
        while pending:
            done, _ = ray.wait(list(pending), num_returns=1)
            for ref in done:
                yield pending.pop(ref), ray.get(ref)


EXECUTORS: dict[str, type[Local] | type[Ray]] = {"local": Local, "ray": Ray}
