"""Runs made from the dashboard: a bounded worker pool, so a slow run never blocks a page and
too many at once are refused; and the run folders, written as `borderflow run --out` writes
them (tables as Parquet, summary.json, scenario.json, report.html, the last written just after
the page answers) plus `web.json`, what the form asked for."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import re
import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from ..report import run_report
from ..results import Result, RunTables, read_run, run_tables, write_run

T = TypeVar("T")
RUN_ID = re.compile(r"^\d{8}-\d{6}-[0-9a-f]{6}$")
WEB = "web.json"
REPORT = "report.html"


class Busy(Exception):
    """Every worker is busy and the queue is full."""


class Pool:
    """Threads that compute runs, with a bound on runs in progress plus waiting.

    The engine's numpy work releases the GIL often enough that pages keep answering while two
    runs compute; a process pool would have to reload the scenario in every process."""

    def __init__(self, workers: int, queue: int) -> None:
        self.executor = ThreadPoolExecutor(workers, thread_name_prefix="borderflow-run")
        self.slots = threading.BoundedSemaphore(workers + queue)

    async def submit(self, fn: Callable[..., T], *args: Any) -> T:
        if not self.slots.acquire(blocking=False):
            raise Busy
        try:
            future = self.executor.submit(fn, *args)
        except BaseException:
            self.slots.release()
            raise
        future.add_done_callback(lambda _: self.slots.release())
        return await asyncio.wrap_future(future)

    def shutdown(self) -> None:
        self.executor.shutdown(wait=False, cancel_futures=True)


class Store:
    """The run folders under `root`, and the tables of recent runs kept in memory so a run's
    page answers without reading its files back."""

    def __init__(self, root: Path, keep: int = 16) -> None:
        self.root = root
        self.keep = keep
        self.recent: OrderedDict[str, RunTables] = OrderedDict()
        self.lock = threading.Lock()
        self.report_lock = threading.Lock()

    def save(self, result: Result, form: dict[str, Any]) -> str:
        now = dt.datetime.now(dt.UTC)
        run_id = f"{now:%Y%m%d-%H%M%S}-{secrets.token_hex(3)}"
        doc = {**form, "run": run_id, "time": now.isoformat(timespec="seconds")}

        def finish(folder: Path) -> None:
            (folder / WEB).write_text(json.dumps(doc, indent=2) + "\n")

        write_run(result, self.root / run_id, finish)
        self._remember(run_id, run_tables(result))
        return run_id

    def report(self, run_id: str) -> Path:
        """The run's report.html, written on first use (it takes longer than the run itself,
        so the app writes it after answering), as `borderflow report` would."""
        folder = self.folder(run_id)
        assert folder is not None
        target = folder / REPORT
        with self.report_lock:
            if not target.exists():
                tmp = folder / f".{REPORT}.tmp"
                tmp.write_text(run_report(read_run(folder)), encoding="utf-8")
                os.replace(tmp, target)
        return target

    def _remember(self, run_id: str, tables: RunTables) -> None:
        with self.lock:
            self.recent[run_id] = tables
            self.recent.move_to_end(run_id)
            while len(self.recent) > self.keep:
                self.recent.popitem(last=False)

    def folder(self, run_id: str) -> Path | None:
        """The folder of a run, if `run_id` is well formed and the run exists."""
        if not RUN_ID.match(run_id):
            return None
        folder = self.root / run_id
        return folder if (folder / WEB).is_file() else None

    def tables(self, run_id: str) -> RunTables:
        with self.lock:
            if run_id in self.recent:
                return self.recent[run_id]
        folder = self.folder(run_id)
        assert folder is not None
        tables = read_run(folder)
        self._remember(run_id, tables)
        return tables

    def form(self, run_id: str) -> dict[str, Any]:
        folder = self.folder(run_id)
        assert folder is not None
        doc: dict[str, Any] = json.loads((folder / WEB).read_text())
        return doc

    def history(self) -> list[dict[str, Any]]:
        """Every web run, newest first: what was asked and the summary."""
        if not self.root.is_dir():
            return []
        out = []
        for folder in sorted(self.root.iterdir(), reverse=True):
            if RUN_ID.match(folder.name) and (folder / WEB).is_file():
                out.append({**json.loads((folder / WEB).read_text()),
                            "summary": json.loads((folder / "summary.json").read_text())})
        return out
