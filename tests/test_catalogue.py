"""The results catalogue: register, list and query runs, comparisons and sweeps, from Python
and from the command line; concurrent writers; broken catalogue files."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from borderflow.results import catalogue, compare, simulate, write_comparison, write_run
from borderflow.results.catalogue import CatalogueError, QueryError
from borderflow.sweep import sweep


def bf(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "borderflow.cli", *args], capture_output=True,
                          text=True, cwd=cwd, timeout=300)


def test_the_root_is_the_option_else_the_environment_else_the_current_folder(
        results_root: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    assert catalogue.results_root() == results_root
    assert catalogue.results_root(tmp_path) == tmp_path
    monkeypatch.delenv("BORDERFLOW_RESULTS")
    assert catalogue.results_root() == Path("borderflow-results")


def test_a_saved_run_is_listed_and_its_tables_are_queryable(results_root: Path) -> None:
    result = simulate("two-country", variant="narrow-border")
    folder = result.save()
    assert folder.parent == results_root.resolve() / "runs"
    assert folder.name.startswith("two-country-narrow-border-")
    entries = catalogue.runs()
    assert len(entries) == 1
    row = entries.iloc[0]
    assert (row["kind"], row["scenario"], row["variants"], row["allocator"], row["status"]) == \
        ("run", "two-country", "narrow-border", "priority", "complete")
    assert row["path"] == str(folder)
    assert row["scenario_sha256"] == json.loads((folder / "scenario.json").read_text())["scenario_sha256"]
    kpis = catalogue.query("select * from run_kpis order by region, commodity")
    expected = result.kpis.sort_values(["region", "commodity"]).reset_index(drop=True)
    assert list(kpis["entry"].unique()) == [row["id"]]
    assert set(kpis["variant"]) == {"narrow-border"}
    assert list(kpis["region"]) == list(expected["region"].astype(str))
    assert np.allclose(kpis["unmet"], expected["unmet"])
    assert set(kpis["region_name"]) == {r.name or rid for rid, r in result.scenario.regions.items()
                                        if rid in set(kpis["region"])}
    flows = catalogue.query("select sum(quantity) as q from run_flows")
    assert flows["q"].iloc[0] == pytest.approx(result.flows["quantity"].sum())


def test_two_runs_in_the_same_second_get_two_folders(results_root: Path) -> None:
    result = simulate("two-country")
    a, b = result.save(), result.save()
    assert a != b and a.parent == b.parent
    assert list(catalogue.runs()["path"]) == [str(b), str(a)]  # newest first
    assert sorted(catalogue.runs()["id"]) == [1, 2]


def test_registering_a_folder_again_updates_its_entry(tmp_path: Path) -> None:
    result = simulate("two-country")
    folder = write_run(result, tmp_path / "run")
    first = catalogue.register(folder)
    write_run(simulate("two-country", variant="bigger-plant"), tmp_path / "run")
    second = catalogue.register(folder)
    entries = catalogue.runs()
    assert len(entries) == 1 and second != first  # a run written again is a new run
    assert entries.iloc[0]["variants"] == "bigger-plant"
    out = tmp_path / "sweep"
    sweep("two-country", samples=3, chunk_size=2, out=out)
    entry = catalogue.register(out)
    created = catalogue.runs(kind="sweep")["created"].iloc[0]
    assert catalogue.register(out) == entry  # a sweep registered again is the same sweep
    assert catalogue.runs(kind="sweep")["created"].iloc[0] == created
    assert len(catalogue.runs()) == 2


def test_runs_filters_by_kind_and_scenario(tmp_path: Path) -> None:
    catalogue.register(write_run(simulate("two-country"), tmp_path / "a"))
    catalogue.register(write_comparison(compare("two-country"), tmp_path / "b"))
    sweep("n95-2020", samples=2, out=tmp_path / "c")
    catalogue.register(tmp_path / "c")
    assert sorted(catalogue.runs()["kind"]) == ["compare", "run", "sweep"]
    assert list(catalogue.runs(kind="compare")["path"]) == [str(tmp_path / "b")]
    assert list(catalogue.runs(scenario="n95-2020")["kind"]) == ["sweep"]
    comparison = catalogue.query("select distinct variant from compare_kpis order by variant")
    assert list(comparison["variant"]) == sorted(compare("two-country").results)


def test_the_p90_of_ontario_n95_across_two_sweeps_is_the_pandas_p90(tmp_path: Path) -> None:
    sweep("n95-2020", samples=6, chunk_size=4, seed=1, variants=["history"], out=tmp_path / "a")
    sweep("n95-2020", samples=5, chunk_size=4, seed=2, variants=["history", "no-controls"],
          out=tmp_path / "b")
    for name in "ab":
        catalogue.register(tmp_path / name)
    got = catalogue.query("SELECT quantile_cont(unmet_pct, 0.9) AS p90 FROM sweep_kpis "
                          "WHERE region_name = 'Ontario' AND commodity = 'n95'")["p90"].iloc[0]
    frames = pd.concat([pd.read_parquet(f) for f in sorted(tmp_path.glob("*/chunk-*.parquet"))])
    ontario = frames[(frames["region"] == "on") & (frames["commodity"] == "n95")]["unmet_pct"]
    assert len(ontario) == 6 + 2 * 5
    assert got == pytest.approx(float(np.quantile(ontario, 0.9)), rel=1e-12)
    by_id = catalogue.query("SELECT quantile_cont(unmet_pct, 0.9) AS p90 FROM sweep_kpis "
                            "WHERE region = 'on' AND commodity = 'n95'")["p90"].iloc[0]
    assert by_id == got


def test_an_empty_catalogue_answers_with_no_rows_and_writes_nothing(results_root: Path) -> None:
    assert catalogue.runs().empty and list(catalogue.runs().columns) == catalogue.COLUMNS
    p90 = catalogue.query("select quantile_cont(unmet_pct, 0.9) as p from sweep_kpis")
    assert p90["p"].isna().all()
    assert len(catalogue.query("select * from run_kpis")) == 0
    assert list(results_root.iterdir()) == []


def test_query_is_read_only_and_bad_sql_is_bad_input(tmp_path: Path) -> None:
    catalogue.register(write_run(simulate("two-country"), tmp_path / "a"))
    with pytest.raises(QueryError, match="syntax error"):
        catalogue.query("selec 1")
    with pytest.raises(QueryError, match="no_such_table"):
        catalogue.query("select * from no_such_table")
    with pytest.raises(QueryError, match="read-only"):
        catalogue.query("delete from entries")
    assert len(catalogue.runs()) == 1


def test_a_corrupt_or_foreign_catalogue_is_refused(results_root: Path) -> None:
    (results_root / "catalog.duckdb").write_bytes(b"not a database" * 100)
    with pytest.raises(CatalogueError, match="not a borderflow catalogue"):
        catalogue.runs()
    (results_root / "catalog.duckdb").unlink()
    con = duckdb.connect(str(results_root / "catalog.duckdb"))
    con.execute("create table entries (x integer)")
    con.close()
    with pytest.raises(CatalogueError, match="not a borderflow catalogue"):
        catalogue.query("select 1")
    with pytest.raises(CatalogueError, match="not a borderflow catalogue"):
        simulate("two-country").save()
    assert not (results_root / "runs").exists() or not any((results_root / "runs").iterdir())


REGISTER = """
import sys, time
from pathlib import Path
from borderflow.results import catalogue
me, root, folders = sys.argv[1], Path(sys.argv[2]), sys.argv[3:]
(root / f"ready-{me}").touch()
while len(list(root.glob("ready-*"))) < 2:  # start together, so the two really compete
    time.sleep(0.01)
for f in folders:
    catalogue.register(f, root)
"""


def test_two_processes_registering_at_once_both_succeed(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    one = write_run(simulate("two-country"), tmp_path / "f00")
    folders = [one] + [Path(shutil.copytree(one, tmp_path / f"f{i:02d}")) for i in range(1, 30)]
    procs = [subprocess.Popen([sys.executable, "-c", REGISTER, str(k), str(root),
                               *map(str, folders[k::2])], stderr=subprocess.PIPE, text=True)
             for k in range(2)]
    errors = [p.communicate(timeout=300)[1] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], errors
    entries = catalogue.runs(root)
    assert sorted(entries["path"]) == sorted(str(f) for f in folders)
    assert sorted(entries["id"]) == list(range(1, 31))


def test_a_writer_waits_for_another_process_holding_the_catalogue(tmp_path: Path) -> None:
    folder = write_run(simulate("two-country"), tmp_path / "run")
    catalogue.register(folder, tmp_path)  # creates the catalogue
    holder = duckdb.connect(str(tmp_path / "catalog.duckdb"))  # holds the file's lock
    started = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-c", "import sys\nfrom borderflow.results import "
                             "catalogue\ncatalogue.register(sys.argv[1], sys.argv[2])",
                             str(folder), str(tmp_path)], stderr=subprocess.PIPE, text=True)
    time.sleep(3)
    assert proc.poll() is None  # still waiting for the lock
    holder.close()
    stderr = proc.communicate(timeout=60)[1]
    assert proc.returncode == 0, stderr
    assert time.monotonic() - started >= 3
    assert len(catalogue.runs(tmp_path)) == 1
