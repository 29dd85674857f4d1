"""The results catalogue: one DuckDB file, `catalog.duckdb`, in a results root, with one row per
run, comparison and sweep folder registered, and SQL views over their Parquet tables.

    from borderflow.store import catalogue
    catalogue.runs()                                  # every entry, newest first
    catalogue.query("select quantile_cont(unmet_pct, 0.9) from sweep_kpis "
                    "where region_name = 'Ontario' and commodity = 'n95'")

The root is `root=` if given, else the environment variable BORDERFLOW_RESULTS, else
`borderflow-results/` in the current directory. The catalogue holds only metadata and paths:
the tables stay in each folder's Parquet files, which the views read at query time.

Several processes may share a catalogue: DuckDB lets one process at a time open the file, so
every call opens it for one short transaction and retries with backoff while another holds it.
"""

from __future__ import annotations

import datetime as dt
import glob
import os
import random
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from .._version import __version__
from ..model import Problem, ScenarioError
from ..results.schema import (
    ATTRIBUTION_TABLES,
    COMPARE,
    DAILY,
    RUN_TABLES,
    SENSITIVITY,
    STRESS,
    STRESS_REGIONS,
    SWEEP_KPIS,
)
from . import manifest
from .files import read_parquet
from .runs import TABLES
from .sweeps import progress_of

ENV = "BORDERFLOW_RESULTS"
DEFAULT_ROOT = "borderflow-results"
FILE = "catalog.duckdb"
FORMAT = 1
KINDS = manifest.KINDS
AS_WRITTEN = manifest.AS_WRITTEN
WAIT = 60.0  # seconds to wait for another process's transaction before giving up

COLUMNS = ["id", "kind", "scenario", "scenario_sha256", "variants", "allocator", "seed", "samples",
           "version", "created", "path", "status", "summary"]

SCHEMA = """
create table if not exists borderflow_catalogue (format integer not null);
create table if not exists entries (
    id bigint not null,         -- 1, 2, ... in order of registration
    kind varchar not null,      -- run | compare | sweep | sensitivity | stress | attribution
    scenario varchar not null,
    scenario_sha256 varchar,    -- SHA-256 of the validated scenario (a run's: variant applied)
    variants varchar,           -- comma-separated; '(as written)' for the scenario without one
    allocator varchar,
    seed bigint,                -- sweeps
    samples bigint,             -- sweeps: samples per variant
    version varchar,            -- borderflow's
    created timestamp not null, -- UTC
    path varchar not null,      -- the folder holding the Parquet files
    status varchar not null,    -- complete | incomplete (a sweep with chunks still to run)
    summary varchar not null    -- one line for people
);
create table if not exists regions (entry bigint not null, region varchar not null,
                                    name varchar, country varchar);
"""

# Column types of the Parquet tables, so a view over no files still has its columns.
TYPES = {"run_kpis": RUN_TABLES["kpis"].sql_types(), "sweep_kpis": SWEEP_KPIS.sql_types(),
         "sweep_daily": DAILY.sql_types(), "compare_kpis": COMPARE.sql_types(),
         "sensitivity": SENSITIVITY.sql_types(), "stress": STRESS.sql_types(),
         "stress_regions": STRESS_REGIONS.sql_types(),
         **{t.name: t.sql_types() for t in ATTRIBUTION_TABLES}}

_lock = threading.Lock()  # DuckDB refuses a second configuration of one file in one process


class CatalogueError(ScenarioError):
    """The catalogue file is corrupt, foreign or unreachable (bad input: exit 2)."""


class QueryError(ScenarioError):
    """The SQL given to `query` failed (bad input: exit 2)."""


def results_root(root: str | Path | None = None) -> Path:
    """`root`, else $BORDERFLOW_RESULTS, else ./borderflow-results."""
    return Path(root if root is not None else os.environ.get(ENV) or DEFAULT_ROOT)


def _problem(path: Path | str, message: str, field: str = "--results") -> Problem:
    return Problem(str(path), 1, (field,), message)


@contextmanager
def _connect(root: str | Path | None, write: bool) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection to the catalogue of `root`, inside one transaction (committed on success).

    Reading a catalogue that does not exist yet gives an empty one in memory, so nothing is
    created by looking."""
    path = results_root(root) / FILE
    if write:
        path.parent.mkdir(parents=True, exist_ok=True)
    with _lock:
        if not write and not path.exists():
            con = duckdb.connect(":memory:")
            _create(con)
        else:
            con = _open(path, read_only=not write)
        try:
            _check(con, path, write)
            con.execute("begin transaction")
            yield con
            con.execute("commit")
        finally:
            con.close()


def _open(path: Path, read_only: bool) -> duckdb.DuckDBPyConnection:
    delay, deadline = 0.01, time.monotonic() + WAIT
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only)
        except duckdb.Error as e:
            text = str(e)
            busy = "lock" in text or "different configuration" in text
            if not busy:
                raise CatalogueError([_problem(path, "is not a borderflow catalogue (DuckDB "
                                               f"cannot open it: {text.splitlines()[0]}); move "
                                               "it away or choose another --results folder")]) from None
            if time.monotonic() > deadline:
                raise CatalogueError([_problem(path, f"still locked by another process after "
                                               f"{WAIT:.0f} s: {text.splitlines()[0]}")]) from None
            time.sleep(delay * (1 + random.random()))
            delay = min(delay * 2, 0.5)


def _check(con: duckdb.DuckDBPyConnection, path: Path, write: bool) -> None:
    """Create the tables in a new catalogue; refuse a DuckDB file that is someone else's."""
    tables = {r[0] for r in con.execute(
        "select table_name from information_schema.tables where table_schema = 'main'").fetchall()}
    if not tables:  # new, or created by a process that died before its first commit
        _create(con, temp=not write)
        return
    if "borderflow_catalogue" not in tables:
        raise CatalogueError([_problem(path, "is a DuckDB file but not a borderflow catalogue "
                                       "(no borderflow_catalogue table); choose another --results "
                                       "folder")])
    found = con.execute("select max(format) from borderflow_catalogue").fetchone()
    if found is None or found[0] != FORMAT:
        raise CatalogueError([_problem(path, f"has catalogue format {found[0] if found else None}, "
                                       f"this borderflow reads format {FORMAT}")])


def _create(con: duckdb.DuckDBPyConnection, temp: bool = False) -> None:
    con.execute("begin transaction")
    con.execute(SCHEMA.replace("create table", "create temp table") if temp else SCHEMA)
    con.execute("insert into borderflow_catalogue values (?)", [FORMAT])
    con.execute("commit")


def check(root: str | Path | None = None) -> None:
    """Raise CatalogueError now if the catalogue of `root` cannot be used (before a long run)."""
    with _connect(root, write=False):
        pass


# ---- registering ------------------------------------------------------------------------------

def describe(folder: str | Path) -> dict[str, Any]:
    """What the catalogue records about a results folder, read from its manifest (and, for a
    sweep, how many of its chunks are done)."""
    folder = Path(folder).resolve()
    try:
        m = manifest.read(folder, "FOLDER")
    except ScenarioError as e:
        raise CatalogueError(e.problems) from None
    try:
        names = [manifest.variant_label(str(v)) for v in m["variants"]]
        row: dict[str, Any] = {
            "kind": m["kind"], "scenario": m["scenario"], "scenario_sha256": m.get("scenario_sha256"),
            "variants": ",".join(names), "allocator": m.get("allocator"), "seed": m.get("seed"),
            "samples": m.get("samples"), "regions": m.get("regions") or {},
            "status": "complete", "summary": m.get("summary") or ""}
        if m["kind"] == "sweep":
            found, planned = progress_of(folder, m)
            row.update(status="complete" if found >= planned else "incomplete",
                       summary=f"{m['samples']} samples x {len(names)} variant"
                               f"{'s' * (len(names) > 1)}, seed {m['seed']}; {found} of "
                               f"{planned} chunks")
    except (KeyError, TypeError, ValueError, AttributeError) as e:
        raise CatalogueError([_problem(folder, f"is not a complete borderflow results folder "
                                       f"({type(e).__name__}: {e})", "FOLDER")]) from None
    return row


def register(folder: str | Path, root: str | Path | None = None) -> int:
    """Record a results folder (written by `store.save` or a sweep's `out=`) in the catalogue
    of `root` and return its entry id.

    Registering a folder again updates its entry instead of adding one: a sweep keeps its id and
    time (a resumed sweep is the same sweep), a run or comparison written again into the same
    folder replaces the old entry (its files are gone)."""
    folder = Path(folder).resolve()
    row = describe(folder)
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    with _connect(root, write=True) as con:
        old = con.execute("select id, kind, created from entries where path = ?",
                          [str(folder)]).fetchall()
        if old and old[0][1] == row["kind"] == "sweep":
            entry, created = int(old[0][0]), old[0][2]
        else:
            top = con.execute("select coalesce(max(id), 0) + 1 from entries").fetchone()
            entry, created = int(top[0]) if top else 1, now
        con.execute("delete from entries where path = ?", [str(folder)])
        for stale in old:
            con.execute("delete from regions where entry = ?", [stale[0]])
        con.execute("insert into entries values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [entry, row["kind"], row["scenario"], row["scenario_sha256"], row["variants"],
                     row["allocator"], row["seed"], row["samples"], __version__, created,
                     str(folder), row["status"], row["summary"]])
        regions = [(entry, rid, r.get("name"), r.get("country")) for rid, r in row["regions"].items()]
        if regions:
            con.executemany("insert into regions values (?, ?, ?, ?)", regions)
    return entry


def default_folder(root: str | Path | None, kind: str, name: str) -> Path:
    """A new, empty folder `<root>/<kind>s/<name>-<UTC time>[-n]`, created here so two processes
    never pick the same one."""
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    parent = results_root(root).resolve() / f"{kind}s"
    parent.mkdir(parents=True, exist_ok=True)
    for n in range(1, 10_000):
        folder = parent / (f"{name}-{stamp}" + (f"-{n}" if n > 1 else ""))
        try:
            folder.mkdir()
        except FileExistsError:
            continue
        return folder
    raise CatalogueError([_problem(parent, "has no free folder name left")])


def release(folder: Path, root: str | Path | None = None) -> None:
    """Remove a folder made by `default_folder` that stayed empty (the work failed), and its
    parents below the results root while they are empty: a failed run leaves nothing behind."""
    top = results_root(root).resolve()
    for path in (folder, *folder.parents):
        if path == top or not path.is_relative_to(top):
            break
        try:
            path.rmdir()  # only ever removes an empty folder
        except OSError:
            break


# ---- reading ----------------------------------------------------------------------------------

def runs(root: str | Path | None = None, kind: str | None = None,
         scenario: str | None = None) -> pd.DataFrame:
    """The catalogue's entries (columns COLUMNS), newest first; optionally of one kind or
    scenario."""
    where, params = [], []
    if kind is not None:
        where.append("kind = ?")
        params.append(kind)
    if scenario is not None:
        where.append("scenario = ?")
        params.append(scenario)
    sql = (f"select {', '.join(COLUMNS)} from entries"
           + (" where " + " and ".join(where) if where else "") + " order by created desc, id desc")
    with _connect(root, write=False) as con:
        return con.execute(sql, params).df()


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


# (entry id, its folder, the folder's Parquet files of one table), for one view
Part = tuple[int, str, list[str]]


def _files(folder: str, pattern: str) -> list[str]:
    """The files of `folder` matching `pattern` (only the pattern is a glob: the folder's own
    name may hold `[`, `*` or `?`); none once the folder is gone."""
    return sorted(str(f) for f in Path(folder).glob(pattern))


def _unreadable(error: duckdb.Error, parts: list[Part]) -> CatalogueError | None:
    """The CatalogueError naming the folder whose Parquet file DuckDB failed on, if its message
    names one of the files the views read (its first line: the rest quotes the SQL)."""
    text = str(error).strip().splitlines()[0]
    for _, folder, files in parts:
        for f in files:
            if f in text or glob.escape(f) in text:
                return CatalogueError([_problem(folder, f"{Path(f).name} cannot be read ({text}); "
                                                "write it again, or delete it (queries skip "
                                                "missing files and folders)", "FOLDER")])
    return None


def _view(con: duckdb.DuckDBPyConnection, name: str, labels: dict[str, tuple[str, str]],
          parts: list[Part], types: dict[str, str] | None) -> None:
    """View `name`: for each part, the entry's id and `labels` (column -> (SQL over entries
    `e`, type)), the files' columns, then `region_name` when the table has a `region`. Over no
    files: the columns of `types`, or no view if None."""
    head = ", ".join(f"{expr} as {col}" for col, (expr, _) in labels.items())
    if parts:
        body = " union all by name ".join(
            f"select e.id as entry, {head}, t.* from {read_parquet(files)} t, entries e "
            f"where e.id = {entry}" for entry, _, files in parts)
    elif types is not None:
        cols = {"entry": "bigint", **{c: t for c, (_, t) in labels.items()}, **types}
        body = "select " + ", ".join(f"null::{t} as {c}" for c, t in cols.items()) + " where false"
    else:
        return
    try:
        columns = {r[0] for r in con.execute(f"describe {body}").fetchall()}
    except duckdb.Error as e:
        raise _unreadable(e, parts) or CatalogueError([_problem(
            name, f"cannot be built: {str(e).strip().splitlines()[0]}", "view")]) from None
    if "region" in columns:
        body = (f"select u.*, r.name as region_name from ({body}) u left join regions r "
                "on r.entry = u.entry and r.region = u.region")
    con.execute(f"create temp view {name} as {body}")


def _views(con: duckdb.DuckDBPyConnection) -> list[Part]:
    """Temporary views over the Parquet files of every registered entry whose files exist;
    returns every part, to name the folder of a file that fails later."""
    entries = con.execute("select id, kind, path from entries order by id").fetchall()

    def parts(kind: str, pattern: str) -> list[Part]:
        found = [(i, p, _files(p, pattern)) for i, k, p in entries if k == kind]
        return [part for part in found if part[2]]

    every: list[Part] = []
    scenario = ("e.scenario", "varchar")
    run = {"scenario": scenario, "variant": ("e.variants", "varchar"),
           "allocator": ("e.allocator", "varchar")}
    for table in TABLES:
        found = parts("run", f"{table}.parquet")
        _view(con, f"run_{table}", run, found, TYPES.get(f"run_{table}"))
        every += found
    sweep = {"scenario": scenario, "seed": ("e.seed", "bigint")}
    for name, files in (("sweep_kpis", "chunk"), ("sweep_daily", "daily")):
        found = parts("sweep", f"{files}-*.parquet")
        _view(con, name, sweep, found, TYPES[name])
        every += found
    found = parts("compare", "compare.parquet")
    _view(con, "compare_kpis", {"scenario": scenario, "allocator": ("e.allocator", "varchar")},
          found, TYPES["compare_kpis"])
    every += found
    study = {"scenario": scenario, "variant": ("e.variants", "varchar")}
    for name in ("sensitivity", "stress", "stress_regions", *(t.name for t in ATTRIBUTION_TABLES)):
        kind = name.split("_")[0]  # a study's tables start with its kind (stress_regions)
        found = parts(kind, f"{name}.parquet")
        _view(con, name, study, found, TYPES[name])
        every += found
    return every


def _lock_down(con: duckdb.DuckDBPyConnection, folders: list[str]) -> None:
    """From here on the connection reads files in the registered folders only, and can't be
    set free again: no reading, writing or attaching anything else."""
    # DuckDB checks a glob pattern itself against the list, so a folder is allowed as escaped too
    allowed = sorted({d + os.sep for f in folders for d in (f, glob.escape(f))})
    con.execute(f"set allowed_directories = [{', '.join(map(_literal, allowed))}]")
    con.execute("set enable_external_access = false")
    con.execute("set lock_configuration = true")


def _statements(sql: str) -> None:
    """Refuse anything but SELECT (DESCRIBE, SHOW and SUMMARIZE are SELECTs to DuckDB): COPY,
    ATTACH, EXPORT, SET, PRAGMA, CREATE, ... would write or change the connection."""
    try:
        kinds = [s.type.name for s in duckdb.extract_statements(sql)]
    except duckdb.Error as e:
        raise QueryError([Problem("SQL", 1, ("query",), str(e).strip())]) from None
    if not kinds:
        raise QueryError([Problem("SQL", 1, ("query",), "is empty")])
    refused = sorted({k for k in kinds if k != "SELECT"})
    if refused:
        raise QueryError([Problem("SQL", 1, ("query",), f"only SELECT queries run here "
                                  f"(the catalogue and its files are read, never written), "
                                  f"not {', '.join(refused)}")])


def query(sql: str, root: str | Path | None = None,
          params: list[Any] | None = None) -> pd.DataFrame:
    """Run SQL over the catalogue (tables `entries`, `regions`) and the views `run_kpis`,
    `run_flows`, `run_stocks`, `run_sites`, ... (one per run table), `sweep_kpis`, `sweep_daily`
    (the daily series of sweeps run with `daily=`), `compare_kpis` and the studies' tables
    (`sensitivity`, `stress`, `stress_regions`, `attribution`, `attribution_care`, ...): the
    rows of every registered folder with its entry id, scenario and variant.

    Only SELECT statements run, and they read only the registered folders' files: the
    catalogue is opened read only, and DuckDB is set to refuse every other file (COPY, ATTACH,
    read_csv of anything else) before the SQL runs. A Parquet file DuckDB cannot read raises
    a CatalogueError naming its folder."""
    _statements(sql)
    with _connect(root, write=False) as con:
        parts = _views(con)
        _lock_down(con, [str(p) for (p,) in con.execute("select path from entries").fetchall()])
        try:
            return con.execute(sql, params or []).df()
        except duckdb.PermissionException as e:
            raise QueryError([Problem("SQL", 1, ("query",), str(e).strip().splitlines()[0] +
                                      "; queries read only the files of the folders in the "
                                      "catalogue")]) from None
        except duckdb.Error as e:
            raise _unreadable(e, parts) or \
                QueryError([Problem("SQL", 1, ("query",), str(e).strip())]) from None
