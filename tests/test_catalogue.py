"""The results catalogue: register, list and query runs, comparisons and sweeps, from Python
and from the command line; concurrent writers; broken catalogue files."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from borderflow import sweep
from borderflow.results import compare, simulate
from borderflow.store import catalogue, save, write_comparison, write_run
from borderflow.store.catalogue import CatalogueError, QueryError
from borderflow.store.files import read_parquet


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
    folder = save(result)
    assert folder.parent == results_root.resolve() / "runs"
    assert folder.name.startswith("two-country-narrow-border-")
    entries = catalogue.runs()
    assert len(entries) == 1
    row = entries.iloc[0]
    assert (row["kind"], row["scenario"], row["variants"], row["allocator"], row["status"]) == \
        ("run", "two-country", "narrow-border", "priority", "complete")
    assert row["path"] == str(folder)
    assert row["scenario_sha256"] == json.loads((folder / "manifest.json").read_text())["scenario_sha256"]
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
    a, b = save(result), save(result)
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


def test_the_readmes_query_gives_the_p90_of_each_variant(tmp_path: Path) -> None:
    """The README's example, as written there: one row per variant, each the pandas P90."""
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    (sql,) = re.findall(r'`borderflow query "(SELECT [^"]+)"`', readme)
    assert "GROUP BY variant" in sql
    sweep("n95-2020", samples=5, chunk_size=5, seed=2, variants=["history", "no-controls"],
          out=tmp_path / "s")
    catalogue.register(tmp_path / "s")
    got = catalogue.query(sql)
    frames = pd.concat([pd.read_parquet(f) for f in sorted(tmp_path.glob("s/chunk-*.parquet"))])
    ontario = frames[(frames["region"] == "on") & (frames["commodity"] == "n95")]
    want = ontario.groupby("variant")["unmet_pct"].quantile(0.9)
    assert list(got["variant"]) == ["history", "no-controls"]
    assert got["p90"].tolist() == pytest.approx(want.loc[list(got["variant"])].tolist(), rel=1e-12)


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
    with pytest.raises(QueryError, match=r"only SELECT queries run here.*not DELETE"):
        catalogue.query("delete from entries")
    with pytest.raises(QueryError, match="is empty"):
        catalogue.query("  ")
    assert len(catalogue.runs()) == 1


def refused(args: tuple[str, ...], words: str) -> None:
    proc = bf("query", *args)
    assert proc.returncode == 2, (args, proc.stdout, proc.stderr)
    assert proc.stderr.startswith("SQL error:") and words in proc.stderr, (args, proc.stderr)
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize("catalogue_exists", [True, False])
def test_query_reads_the_registered_folders_and_nothing_else(
        results_root: Path, tmp_path: Path, catalogue_exists: bool) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.csv").write_text("a,b\n1,2\n")
    pd.DataFrame({"x": [1]}).to_parquet(outside / "secret.parquet")
    run = tmp_path / "run"
    if catalogue_exists:
        catalogue.register(write_run(simulate("two-country"), run))
        assert len(catalogue.query("select * from run_kpis")) > 0  # the views still read
    copy = "copy (select 42 as x) to '{}'"
    for sql in (copy.format(outside / "pwned.csv"), copy.format(run / "pwned.csv"),
                f"export database '{run / 'dump'}'"):
        refused((sql,), "only SELECT queries run here")
    for sql in (f"attach '{outside / 'other.duckdb'}' as o", "set enable_external_access = true",
                "reset enable_external_access", "set allowed_directories = ['/']",
                "pragma enable_profiling"):
        refused((sql,), "only SELECT queries run here")
    for sql in (f"select * from read_csv('{outside / 'secret.csv'}')",
                f"select * from read_parquet('{outside / 'secret.parquet'}')",
                f"select * from glob('{outside}/*')", "select * from read_text('/etc/passwd')"):
        refused((sql,), "queries read only the files of the folders in the catalogue")
    assert sorted(p.name for p in outside.iterdir()) == ["secret.csv", "secret.parquet"]
    assert not (run / "pwned.csv").exists() and not (run / "dump").exists()
    assert sorted(p.name for p in results_root.iterdir()) == \
        (["catalog.duckdb"] if catalogue_exists else [])


def test_the_locked_connection_refuses_other_files_even_past_the_select_check(
        tmp_path: Path) -> None:
    """Defence in depth: should a writing statement get past `_statements`, DuckDB itself
    refuses files outside the registered folders and any change to its settings."""
    folder = tmp_path / "s[1]"
    folder.mkdir()
    pd.DataFrame({"x": [7]}).to_parquet(folder / "kpis.parquet")
    pd.DataFrame({"x": [8]}).to_parquet(tmp_path / "kpis.parquet")
    con = duckdb.connect(":memory:")
    catalogue._lock_down(con, [str(folder)])
    assert con.execute(f"select x from {read_parquet([str(folder / 'kpis.parquet')])}"
                       ).fetchall() == [(7,)]
    for sql in (f"copy (select 1) to '{tmp_path / 'out.csv'}'",
                f"attach '{tmp_path / 'other.duckdb'}' as o",
                f"select * from read_parquet('{tmp_path / 'kpis.parquet'}')"):
        with pytest.raises(duckdb.PermissionException, match="disabled by configuration"):
            con.execute(sql)
    for sql in ("set enable_external_access = true", "set allowed_directories = ['/']",
                "set lock_configuration = false"):
        with pytest.raises(duckdb.InvalidInputException, match="configuration has been locked"):
            con.execute(sql)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kpis.parquet", "s[1]"]


def test_folders_with_glob_characters_are_read_as_named(tmp_path: Path) -> None:
    odd, plain = tmp_path / "s[1] *?", tmp_path / "s1 a"  # the glob "s[1] *?" matches "s1 a"
    sweep("two-country", samples=3, chunk_size=2, out=odd)
    sweep("two-country", samples=5, chunk_size=2, out=plain)
    run = write_run(simulate("two-country"), tmp_path / "run's [x]")
    ids = {catalogue.register(f): f for f in (odd, plain, run)}
    assert catalogue.query("select count(*) as n from entries")["n"].iloc[0] == 3
    counts = catalogue.query("select entry, count(distinct sample) as n from sweep_kpis "
                             "group by entry")
    assert {str(ids[e]): n for e, n in zip(counts["entry"], counts["n"], strict=True)} == \
        {str(odd): 3, str(plain): 5}
    kpis = catalogue.query("select * from run_kpis")
    assert set(kpis["entry"]) == {next(e for e, f in ids.items() if f == run)}
    assert len(kpis) == len(simulate("two-country").kpis)


def test_an_unreadable_parquet_file_names_its_folder_and_a_missing_one_is_skipped(
        tmp_path: Path) -> None:
    run = write_run(simulate("two-country"), tmp_path / "run")
    out = tmp_path / "sweep"
    sweep("two-country", samples=4, chunk_size=1, out=out)
    for folder in (run, out):
        catalogue.register(folder)
    chunks = sorted(out.glob("chunk-*.parquet"))
    rows = len(catalogue.query("select * from sweep_kpis"))
    chunks[2].write_bytes(b"not parquet" * 10)  # read when the query runs
    with pytest.raises(CatalogueError, match=re.escape(f"{chunks[2].name} cannot be read")) as caught:
        catalogue.query("select count(*) from sweep_kpis")
    assert caught.value.problems[0].file == str(out)
    proc = bf("query", "select count(*) from sweep_kpis")
    assert proc.returncode == 2 and str(out) in proc.stderr and "Traceback" not in proc.stderr
    assert len(catalogue.query("select * from run_kpis")) > 0  # the other views still answer
    chunks[2].unlink()
    assert len(catalogue.query("select * from sweep_kpis")) == rows * 3 // 4
    (run / "kpis.parquet").write_bytes(b"")  # read when the views are built: every query fails
    with pytest.raises(CatalogueError, match=r"kpis\.parquet cannot be read") as caught:
        catalogue.query("select count(*) from entries")
    assert caught.value.problems[0].file == str(run)
    shutil.rmtree(run)
    assert catalogue.query("select count(*) as n from run_kpis")["n"].iloc[0] == 0
    assert len(catalogue.query("select * from sweep_kpis")) == rows * 3 // 4


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
        save(simulate("two-country"))
    assert not (results_root / "runs").exists() or not any((results_root / "runs").iterdir())


REGISTER = """
import sys, time
from pathlib import Path
from borderflow.store import catalogue
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
    ready = tmp_path / "ready"
    proc = subprocess.Popen([sys.executable, "-c", "import sys\nfrom pathlib import Path\n"
                             "from borderflow.store import catalogue\n"
                             "Path(sys.argv[3]).touch()\n"
                             "catalogue.register(sys.argv[1], sys.argv[2])",
                             str(folder), str(tmp_path), str(ready)], stderr=subprocess.PIPE,
                            text=True)
    deadline = time.monotonic() + 120
    while not ready.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert ready.exists(), proc.communicate()[1]  # imported: about to register
    time.sleep(1)  # registering takes milliseconds; still running means it waits for the lock
    assert proc.poll() is None
    holder.close()
    stderr = proc.communicate(timeout=60)[1]
    assert proc.returncode == 0, stderr
    assert len(catalogue.runs(tmp_path)) == 1


# ---- the command line -------------------------------------------------------------------------

def entries(root: Path) -> pd.DataFrame:
    return catalogue.runs(root).sort_values("id").reset_index(drop=True)


def test_every_run_compare_and_sweep_command_registers_once(results_root: Path, tmp_path: Path) -> None:
    plain = bf("run", "two-country")
    assert plain.returncode == 0, plain.stderr
    saved = Path(plain.stderr.split("wrote ", 1)[1].split("\n")[0].strip())
    assert saved.parent == results_root.resolve() / "runs" and (saved / "report.html").is_file()
    assert bf("run", "two-country", "--json", "--variant", "narrow-border").returncode == 0
    assert bf("run", "two-country", "--out", str(tmp_path / "mine")).returncode == 0
    assert bf("compare", "two-country").returncode == 0  # prints only: nothing to register
    assert bf("compare", "two-country", "--out", str(tmp_path / "cmp")).returncode == 0
    swept = bf("sweep", "two-country", "--samples", "5", "--chunk-size", "2")
    assert swept.returncode == 0, swept.stderr
    args = ("sweep", "two-country", "--samples", "5", "--chunk-size", "2", "--out",
            str(tmp_path / "sw"))
    assert bf(*args).returncode == 0
    assert bf(*args, "--resume").returncode == 0  # nothing left to run: the same entry
    found = entries(results_root)
    assert list(found["kind"]) == ["run", "run", "run", "compare", "sweep", "sweep"]
    assert list(found["id"]) == [1, 2, 3, 4, 5, 6]
    assert found["path"].iloc[0] == str(saved)
    assert list(found["path"].iloc[2:4]) == [str(tmp_path / "mine"), str(tmp_path / "cmp")]
    assert found["variants"].iloc[1] == "narrow-border"
    assert found["path"].iloc[4].startswith(str(results_root.resolve() / "sweeps"))
    assert list(found["status"]) == ["complete"] * 6
    assert list(found["samples"].iloc[4:]) == [5, 5]


def test_an_interrupted_sweep_is_listed_incomplete_and_resume_completes_the_same_entry(
        results_root: Path, tmp_path: Path) -> None:
    out = tmp_path / "sw"
    args = ("sweep", "n95-2020", "--samples", "400", "--chunk-size", "8", "--out", str(out))
    # Ctrl-C as at a terminal: a suite started in the background (`cmd &` in a script) has
    # SIGINT ignored, which its children inherit, and Python then never raises
    # KeyboardInterrupt
    proc = subprocess.Popen([sys.executable, "-m", "borderflow.cli", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 120
    while not list(out.glob("chunk-*.parquet")) and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    stderr = proc.communicate(timeout=120)[1]
    assert proc.returncode == 130, stderr
    first = entries(results_root)
    assert list(first["status"]) == ["incomplete"] and "of 50 chunks" in first["summary"].iloc[0]
    resumed = bf(*args, "--resume")
    assert resumed.returncode == 0, resumed.stderr
    after = entries(results_root)
    assert list(after["id"]) == list(first["id"]) and list(after["status"]) == ["complete"]
    assert after["created"].iloc[0] == first["created"].iloc[0]
    assert len(catalogue.query("select * from sweep_kpis where variant = '(as written)'")) == \
        400 * len(pd.read_parquet(next(out.glob("chunk-*.parquet"))).groupby(["region", "commodity"]))


def test_a_sweep_killed_outright_is_listed_incomplete_and_resume_completes_it(
        results_root: Path, tmp_path: Path) -> None:
    out = tmp_path / "killed"
    args = ("sweep", "n95-2020", "--samples", "240", "--chunk-size", "8", "--out", str(out))
    proc = subprocess.Popen([sys.executable, "-m", "borderflow.cli", *args],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while not list(out.glob("chunk-*.parquet")) and time.monotonic() < deadline and \
            proc.poll() is None:
        time.sleep(0.01)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert 0 < len(list(out.glob("chunk-*.parquet"))) < 30, "killed part way"
    listed = bf("runs", "--kind", "sweep", "--results", str(results_root))
    assert listed.returncode == 0 and "1 entries" in listed.stdout and "incomplete" in listed.stdout
    first = entries(results_root)
    assert list(first["status"]) == ["incomplete"] and list(first["path"]) == [str(out)]
    resumed = bf(*args, "--resume")
    assert resumed.returncode == 0, resumed.stderr
    after = entries(results_root)
    assert list(after["id"]) == list(first["id"]) and list(after["status"]) == ["complete"]
    assert after["created"].iloc[0] == first["created"].iloc[0]
    assert "30 of 30 chunks" in after["summary"].iloc[0]


def test_a_refused_sweep_registers_nothing(results_root: Path, tmp_path: Path) -> None:
    theirs = tmp_path / "theirs"
    sweep("two-country", samples=4, chunk_size=2, seed=7, out=theirs)  # someone else's
    base = ("sweep", "two-country", "--samples", "4", "--chunk-size", "2", "--out", str(theirs))
    for args, words in (((*base, "--seed", "7"), "holds a sweep already"),
                        ((*base, "--seed", "8", "--resume"), "holds a different sweep")):
        proc = bf(*args)
        assert proc.returncode == 2 and words in proc.stderr, proc.stderr
    assert catalogue.runs().empty
    assert bf(*base, "--seed", "7", "--resume").returncode == 0  # finishing it registers it
    assert list(catalogue.runs()["path"]) == [str(theirs)]


def test_no_save_and_failed_runs_write_nothing(results_root: Path) -> None:
    quick = bf("run", "two-country", "--no-save")
    assert quick.returncode == 0 and "Ontario" in quick.stdout and "wrote" not in quick.stderr
    assert bf("sweep", "two-country", "--samples", "3", "--no-save").returncode == 0
    for bad in (("run", "two-country", "--variant", "no-such-variant"),
                ("run", "two-country", "--days", "999"),
                ("run", "no-such-scenario"),
                ("sweep", "two-country", "--variants", "no-such-variant"),
                ("sweep", "two-country", "--samples", "0"),
                ("compare", "two-country", "--variants", "nope", "--out",
                 str(results_root / "c"))):
        proc = bf(*bad)
        assert proc.returncode == 2 and "Traceback" not in proc.stderr, (bad, proc.stderr)
    assert list(results_root.iterdir()) == []


def test_contradicting_options_are_bad_input(tmp_path: Path) -> None:
    both = bf("run", "two-country", "--no-save", "--out", str(tmp_path / "x"))
    assert both.returncode == 2 and "--no-save" in both.stderr
    resume = bf("sweep", "two-country", "--resume")
    assert resume.returncode == 2 and "needs --out" in resume.stderr
    kind = bf("runs", "--kind", "runs")
    assert kind.returncode == 2 and "--kind" in kind.stderr
    assert not (tmp_path / "x").exists()


def test_the_default_root_is_borderflow_results_in_the_current_folder(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "BORDERFLOW_RESULTS"}
    proc = subprocess.run([sys.executable, "-m", "borderflow.cli", "run", "two-country"],
                          capture_output=True, text=True, cwd=tmp_path, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "borderflow-results" / "catalog.duckdb").is_file()
    assert len(catalogue.runs(tmp_path / "borderflow-results")) == 1
    listed = subprocess.run([sys.executable, "-m", "borderflow.cli", "runs"], capture_output=True,
                            text=True, cwd=tmp_path, env=env, timeout=300)
    assert "two-country" in listed.stdout


def test_the_results_option_overrides_the_environment(results_root: Path, tmp_path: Path) -> None:
    assert bf("run", "two-country", "--results", str(tmp_path)).returncode == 0
    assert len(catalogue.runs(tmp_path)) == 1 and catalogue.runs(results_root).empty
    listed = bf("runs", "--results", str(tmp_path))
    assert "two-country" in listed.stdout and "1 entries" in listed.stdout


def test_runs_lists_newest_first_and_filters(tmp_path: Path) -> None:
    for variant in ("bigger-plant", "narrow-border"):
        assert bf("run", "two-country", "--variant", variant).returncode == 0
    assert bf("sweep", "two-country", "--samples", "2").returncode == 0
    listed = bf("runs")
    assert listed.returncode == 0
    lines = listed.stdout.splitlines()
    rows = [next(i for i, line in enumerate(lines) if word in line)
            for word in ("sweep", "narrow-border", "bigger-plant")]
    assert rows == sorted(rows)
    runs_only = bf("runs", "--kind", "run").stdout
    assert "bigger-plant" in runs_only and "sweep" not in runs_only.split("\n", 2)[2]


def test_query_prints_a_table_csv_or_json_equal_to_the_parquet_files(results_root: Path) -> None:
    assert bf("sweep", "n95-2020", "--samples", "6", "--variants", "history", "--seed", "3"
              ).returncode == 0
    assert bf("sweep", "n95-2020", "--samples", "4", "--seed", "4").returncode == 0
    sql = ("select quantile_cont(unmet_pct, 0.9) as p90 from sweep_kpis "
           "where region_name = 'Ontario' and commodity = 'n95'")
    csv = bf("query", sql, "--format", "csv")
    assert csv.returncode == 0, csv.stderr
    frames = pd.concat(pd.read_parquet(f) for f in results_root.glob("sweeps/*/chunk-*.parquet"))
    on = frames[(frames["region"] == "on") & (frames["commodity"] == "n95")]["unmet_pct"]
    assert len(on) == 10
    assert float(csv.stdout.splitlines()[1]) == pytest.approx(float(np.quantile(on, 0.9)), rel=1e-12)
    doc = json.loads(bf("query", "select kind, samples from entries order by id", "--format",
                        "json").stdout)
    assert doc == [{"kind": "sweep", "samples": 6}, {"kind": "sweep", "samples": 4}]
    table = bf("query", "select count(*) as n from sweep_kpis")
    assert table.returncode == 0 and str(len(frames)) in table.stdout


def test_bad_sql_and_a_corrupt_catalogue_exit_2_without_a_traceback(results_root: Path) -> None:
    bad = bf("query", "select * from no_such_view")
    assert bad.returncode == 2 and bad.stderr.startswith("SQL error:")
    assert "no_such_view" in bad.stderr and "Traceback" not in bad.stderr
    (results_root / "catalog.duckdb").write_bytes(b"\x00garbage" * 512)
    for args in (("runs",), ("query", "select 1"), ("run", "two-country"),
                 ("sweep", "two-country", "--samples", "2")):
        proc = bf(*args)
        assert proc.returncode == 2, (args, proc.stderr)
        assert str(results_root / "catalog.duckdb") in proc.stderr
        assert "not a borderflow catalogue" in proc.stderr and "Traceback" not in proc.stderr
    assert sorted(p.name for p in results_root.iterdir()) == ["catalog.duckdb"]


def test_registering_a_folder_that_is_not_ours_says_so(tmp_path: Path) -> None:
    with pytest.raises(CatalogueError, match="not a borderflow results folder"):
        catalogue.register(tmp_path)
    (tmp_path / "manifest.json").write_text('{"no": "scenario"}')
    with pytest.raises(CatalogueError, match="is not a borderflow manifest"):
        catalogue.register(tmp_path)
    (tmp_path / "manifest.json").write_text('{"borderflow": 1, "kind": "run"}')
    with pytest.raises(CatalogueError, match="not a complete borderflow results folder"):
        catalogue.register(tmp_path)
    (tmp_path / "manifest.json").write_text("{not json")
    with pytest.raises(CatalogueError, match=r"manifest\.json.*unreadable"):
        catalogue.register(tmp_path)
    assert catalogue.runs().empty


def test_the_daily_series_of_sweeps_are_queryable(tmp_path: Path) -> None:
    r = sweep("n95-2020", samples=3, variants=["history"], out=tmp_path / "a", daily=["on"])
    catalogue.register(tmp_path / "a")
    assert r.daily is not None and len(r.daily)
    got = catalogue.query("select region_name, count(*) as n, sum(unmet) as unmet "
                          "from sweep_daily group by all")
    assert list(got["region_name"]) == ["Ontario"] and got["n"].iloc[0] == len(r.daily)
    assert got["unmet"].iloc[0] == pytest.approx(float(r.daily["unmet"].sum()))
    assert len(catalogue.query("select * from sweep_kpis")) == len(r.kpis)
