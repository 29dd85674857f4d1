"""Executors behind one small protocol: run chunks, yield each (chunk, its output) when done.

`local` runs in this process (workers=1) or a pool of spawned processes; `ray` on a Ray
cluster (optional extra `ray`). Which executor ran a chunk never changes its numbers.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import logging
import math
import multiprocessing
import os
import shutil
import socket
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from typing import Any, Protocol

from .._loopback import is_loopback
from ..model import Scenario, UsageError
from .chunk import run_chunk

# What a chunk's work is: (scenario, chunk, seed) -> its output; a module-level function, so
# that another process can be sent it. A sweep's is `run_chunk`; a stress test's runs targets.
Work = Callable[[Scenario, Any, int], Any]


class Executor(Protocol):
    name: str

    def map(self, scenario: Scenario, chunks: list[Any], seed: int,
            work: Work = run_chunk) -> Iterator[tuple[Any, Any]]: ...


class Local:
    name = "local"

    def __init__(self, workers: int = 1) -> None:
        self.workers = max(1, workers)

    def map(self, scenario: Scenario, chunks: list[Any], seed: int,
            work: Work = run_chunk) -> Iterator[tuple[Any, Any]]:
        if self.workers == 1 or len(chunks) <= 1:
            for chunk in chunks:
                yield chunk, work(scenario, chunk, seed)
            return
        ctx = multiprocessing.get_context("spawn")
        with cf.ProcessPoolExecutor(self.workers, mp_context=ctx) as pool:
            futures = {pool.submit(work, scenario, c, seed): c for c in chunks}
            try:
                for f in cf.as_completed(futures):
                    yield futures.pop(f), f.result()  # let go of the finished chunk
            except BaseException:
                for f in futures:
                    f.cancel()
                raise


class RayMissing(RuntimeError):
    pass


# Ray costs about half a millisecond per task here, and a task under 10 ms loses to a serial
# run: chunks are bundled into tasks of MIN..TARGET seconds of work (as timed on the first one).
MIN_TASK_SECONDS = 0.25
TARGET_TASK_SECONDS = 1.0
# Ray's switch for a cluster confined to this machine (its default on macOS and Windows): the
# node's address is the loopback one, so the GCS, raylet, object manager and agents listen on
# 127.0.0.1 only. Without it Ray replaces 127.0.0.1 by the machine's external address, even in
# `ray start --node-ip-address 127.0.0.1`, and its gRPC servers listen on every interface.
LOOPBACK_ONLY = "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"


def _run_bundle(scenario: Scenario, chunks: list[Any], seed: int,
                work: Work) -> list[tuple[Any, Any, float]]:
    """A Ray task: several chunks, each with the seconds it took (to size later bundles)."""
    out = []
    for c in chunks:
        t0 = time.perf_counter()
        frame = work(scenario, c, seed)
        out.append((c, frame, time.perf_counter() - t0))
    return out


def _reachable(address: str, seconds: float = 5.0) -> None:
    """Fail fast on a cluster nobody answers at: Ray itself retries for many minutes."""
    if address in ("auto", "local"):
        return
    host, _, port = address.split("://", 1)[-1].rpartition(":")
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=seconds).close()
    except (OSError, ValueError) as e:
        raise UsageError("--address", f"no Ray cluster reached at {address}: {e}") from None


class Ray:
    """Chunks as Ray tasks, on the cluster at `address` or on a local cluster started for the
    run (`workers` CPUs, bound to loopback, no dashboard) and shut down after it."""

    name = "ray"

    def __init__(self, workers: int = 1, address: str | None = None) -> None:
        self.workers = max(1, workers)
        self.address = address
        self.local_only = address is None or is_loopback(  # host:port or ray://host:port
            address.split("://", 1)[-1].rsplit(":", 1)[0])
        with self._environment():
            try:
                import ray  # noqa: F401
            except ImportError:
                raise RayMissing("the ray executor needs Ray: pip install 'borderflow[ray]'") \
                    from None

    @contextlib.contextmanager
    def _environment(self) -> Iterator[None]:
        """Ray's loopback switch for this run, restored afterwards (Ray reads it from the
        environment when imported, and the processes it starts inherit it)."""
        saved = os.environ.get(LOOPBACK_ONLY)
        constants: Any = sys.modules.get("ray._private.ray_constants")  # Ray imported before us
        enabled = getattr(constants, "ENABLE_RAY_CLUSTER", None)
        if self.local_only:
            os.environ[LOOPBACK_ONLY] = "0"
            if enabled is not None:
                constants.ENABLE_RAY_CLUSTER = False  # read when Ray picks the node's address
        try:
            yield
        finally:
            constants = sys.modules.get("ray._private.ray_constants")  # maybe imported just now
            if constants is not None and self.local_only:
                # as Ray computes it at import: the variable if set, else off on macOS/Windows
                default = saved.lower() in ("1", "true") if saved is not None else \
                    sys.platform not in ("darwin", "win32")
                constants.ENABLE_RAY_CLUSTER = default if enabled is None else enabled
            if saved is None:
                os.environ.pop(LOOPBACK_ONLY, None)
            else:
                os.environ[LOOPBACK_ONLY] = saved

    def map(self, scenario: Scenario, chunks: list[Any], seed: int,
            work: Work = run_chunk) -> Iterator[tuple[Any, Any]]:
        if not chunks:
            return
        with self._environment(), self._cluster() as ray:
            run = ray.remote(_run_bundle)
            ref = ray.put(scenario)  # once: every task reads it from the object store
            first: list[tuple[Any, Any, float]] = ray.get(run.remote(ref, chunks[:1], seed, work))
            yield first[0][0], first[0][1]
            rest = chunks[1:]
            size = self._bundle_size(first[0][2], len(rest), ray.cluster_resources().get("CPU", 1))
            pending = {run.remote(ref, rest[i:i + size], seed, work)
                       for i in range(0, len(rest), size)}
            try:
                while pending:
                    done, _ = ray.wait(list(pending), num_returns=1)
                    for task in done:
                        pending.discard(task)
                        for chunk, frame, _secs in ray.get(task):
                            yield chunk, frame
            finally:
                for task in pending:
                    ray.cancel(task, force=True)

    @staticmethod
    def _bundle_size(chunk_seconds: float, chunks: int, cpus: float) -> int:
        """Chunks per task: at least MIN_TASK_SECONDS of work, at most TARGET_TASK_SECONDS
        unless that leaves CPUs idle."""
        per = max(chunk_seconds, 1e-6)
        least, most = math.ceil(MIN_TASK_SECONDS / per), math.ceil(TARGET_TASK_SECONDS / per)
        even = math.ceil(chunks / max(1, int(cpus)))  # one bundle per CPU
        return max(1, least, min(most, even))

    @contextlib.contextmanager
    def _cluster(self) -> Iterator[Any]:
        import ray

        if ray.is_initialized():  # the caller's own connection: use it, leave it open
            yield ray
            return
        # Workers' output and Ray's info logs stay off our stdout (a --json document) and stderr
        options: dict[str, Any] = {"log_to_driver": False, "logging_level": logging.ERROR}
        if self.address is not None:
            _reachable(self.address)
            try:
                ray.init(address=self.address, **options)
            except (ConnectionError, ValueError) as e:
                raise UsageError("--address", f"no Ray cluster reached at {self.address}: "
                                 f"{str(e).splitlines()[0]}") from None
            try:
                yield ray
            finally:
                ray.shutdown()
            return
        # "local": always a new cluster, never one found on this machine (RAY_ADDRESS or the
        # last one started), in a temporary folder of its own. Ray's token authentication stays
        # on (its default for a new cluster, the token in ~/.ray/auth_token, made if missing):
        # loopback is reachable by every user of this machine, so RAY_AUTH_MODE=disabled
        # would not be safe even here. Its warning about it goes with Ray's logs below ERROR.
        temp = tempfile.mkdtemp(prefix="borderflow-ray-")
        try:
            ray.init(address="local", num_cpus=self.workers, include_dashboard=False,
                     dashboard_host="127.0.0.1", _temp_dir=temp, **options)
            try:
                yield ray
            finally:
                ray.shutdown()
        finally:
            shutil.rmtree(temp, ignore_errors=True)


EXECUTORS: dict[str, Callable[..., Executor]] = {"local": Local, "ray": Ray}


def executor(name: str, workers: int = 1, address: str | None = None) -> Executor:
    """The executor called `name`; a missing optional one (Ray) fails here, before any work."""
    if name not in EXECUTORS:
        raise UsageError("--executor", f"unknown executor {name!r} (available: "
                         f"{', '.join(EXECUTORS)})")
    if name == "ray":
        return EXECUTORS[name](workers, address)
    if address is not None:
        raise UsageError("--address", "is for the ray executor (add --executor ray)")
    return EXECUTORS[name](workers)
