"""Runs made from the dashboard: a bounded worker pool, so a slow run never blocks a page and
too many at once are refused; and the run folders, written and registered in the results
catalogue as `borderflow run` does it (tables as Parquet, summary.json, scenario.json,
report.html) plus `web.json`, what the form asked for."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import re
import threading
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from ..report.folder import REPORT, folder_report, write_report
from ..results import Result
from ..store import RunTables, catalogue, manifest, read_run, run_tables, save

T = TypeVar("T")
RUN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,200}$")
WEB = "web.json"


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
    """Runs under `<root>/runs/`, registered in the results catalogue of `root` as the command
    line registers its runs; the tables of recent runs are kept in memory so a run's page
    answers without reading its files back. A run is named by its folder."""

    def __init__(self, root: Path, keep: int = 16) -> None:
        self.root = root
        self.runs = root / "runs"
        self.keep = keep
        self.recent: OrderedDict[str, RunTables] = OrderedDict()
        self.lock = threading.Lock()
        self.report_lock = threading.Lock()
        self.pending: dict[str, Future[None]] = {}  # runs not yet registered

    def save(self, result: Result, form: dict[str, Any]) -> str:
        """Write the run's folder (in a worker) as `borderflow run` does, plus web.json;
        `finish` registers it once the page has answered."""
        doc = {**form, "time": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}

        def web(tmp: Path) -> None:
            (tmp / WEB).write_text(json.dumps(doc, indent=2) + "\n")

        folder = save(result, root=self.root, finish=web, name=form["label"], register=False)
        self._remember(folder.name, run_tables(result))
        return folder.name

    def finish(self, run_id: str) -> None:
        """Register the run in the catalogue, after the page has answered (DuckDB takes about
        as long as the run). Its report.html is written when first asked for (`report`)."""
        folder = self.folder(run_id)
        assert folder is not None
        catalogue.register(folder, self.root)

    def report(self, run_id: str) -> Path:
        """The run's report.html, as `borderflow report` writes it, on first use."""
        folder = self.folder(run_id)
        assert folder is not None
        with self.report_lock:  # one build of a report at a time, not one per visitor
            if not (folder / REPORT).exists():
                write_report(folder, folder_report(folder)[0])
        return folder / REPORT

    def _remember(self, run_id: str, tables: RunTables) -> None:
        with self.lock:
            self.recent[run_id] = tables
            self.recent.move_to_end(run_id)
            while len(self.recent) > self.keep:
                self.recent.popitem(last=False)

    def folder(self, run_id: str) -> Path | None:
        """The folder of run `run_id` (made here or by `borderflow run`), if the name is
        well formed and the run exists."""
        if not RUN_ID.match(run_id) or ".." in run_id:
            return None
        folder = self.runs / run_id
        return folder if (folder / manifest.FILE).is_file() and not folder.is_symlink() else None

    def tables(self, run_id: str) -> RunTables:
        with self.lock:
            if run_id in self.recent:
                return self.recent[run_id]
        folder = self.folder(run_id)
        assert folder is not None
        tables = read_run(folder)
        self._remember(run_id, tables)
        return tables

    def form(self, run_id: str) -> dict[str, Any] | None:
        """What the dashboard's form asked for (None for a run made by the command line)."""
        folder = self.folder(run_id)
        assert folder is not None
        if not (folder / WEB).is_file():
            return None
        doc: dict[str, Any] = json.loads((folder / WEB).read_text())
        return {**doc, "run": run_id}

    def history(self) -> list[dict[str, Any]]:
        """Every entry of the catalogue (runs from here and from the command line, comparisons,
        sweeps), newest first; a run under `runs/` has its name, so its page can be opened."""
        out = []
        runs = self.runs.resolve()
        for entry in catalogue.runs(self.root).to_dict(orient="records"):
            path = Path(entry["path"])
            name = path.name if path.parent == runs and self.folder(path.name) else None
            form = self.form(name) if name else None
            out.append({**entry, "run": name, "web": form is not None,
                        "changed": (form or {}).get("changed", [])})
        return out
