"""Monte Carlo sweeps: draws, the batch engine, executors, resumable output, the command."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import borderflow
from borderflow import sweep
from borderflow.engine import Simulator, Trace, compile_network, violations
from borderflow.model import ScenarioError, load, loads
from borderflow.studies import COLUMNS, draw, generators
from borderflow.studies.sample import plan, sampled_arrays

BASE = (Path(__file__).parent / "malformed" / "_valid-base.yaml").read_text()


def with_uncertainty(section: str) -> str:
    return BASE.rstrip("\n") + "\nuncertainty:\n" + section


def bf(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "borderflow.cli", *args], capture_output=True,
                          text=True, timeout=300)


def test_scale_may_multiply_a_whole_series_and_choice_picks_a_value() -> None:
    s = loads(with_uncertainty(
        "  nodes.hospital.demand.n95: {dist: normal, mean: 1, sd: 0.1, scale: true}\n"
        "  lanes.plant->depot.lead_time: {dist: choice, values: [1, 2, 3], weights: [1, 0, 1]}\n"),
        file="x.yaml")
    d = draw(s, 5, range(200))
    assert set(d["lanes.plant->depot.lead_time"]) == {1.0, 3.0}
    assert abs(d["nodes.hospital.demand.n95"].mean() - 1) < 0.05


def test_a_draw_for_a_path_that_is_not_there_names_file_and_line() -> None:
    with pytest.raises(ScenarioError) as e:
        loads(with_uncertainty("  nodes.hospital.demand.n96: {dist: normal, mean: 1, sd: 0.1, "
                               "scale: true}\n"), file="x.yaml")
    assert str(e.value.problems[0]).startswith(
        "x.yaml:48: uncertainty.nodes.hospital.demand.n96: nodes.hospital.demand has no field 'n96'")


def test_sample_k_comes_from_child_k_of_one_seed_sequence() -> None:
    children = np.random.SeedSequence(42).spawn(6)
    ours = generators(42, range(3, 6))
    for k, rng in zip(range(3, 6), ours, strict=True):
        assert rng.random() == np.random.Generator(np.random.PCG64(children[k])).random()


def test_sample_k_is_the_same_whatever_batch_size_or_worker_count() -> None:
    one = sweep("n95-2020", samples=14, seed=3, chunk_size=1).kpis
    seven = sweep("n95-2020", samples=14, seed=3, chunk_size=7).kpis
    workers = sweep("n95-2020", samples=14, seed=3, chunk_size=7, workers=2).kpis
    assert list(one.columns) == COLUMNS
    pd.testing.assert_frame_equal(one, seven, check_exact=True)
    pd.testing.assert_frame_equal(one, workers, check_exact=True)
    assert one["unmet_pct"].std() > 0  # the draws matter


def test_a_batch_without_draws_is_the_plain_run() -> None:
    s = load("n95-2020")
    net = compile_network(s)
    plain = Simulator(net).run()
    d = {p: np.ones(3) for p in s.uncertainty}
    batched = Simulator(net, 3, sampled_arrays(s, net, d, plan(s).batch)).run()
    for b in range(3):
        np.testing.assert_array_equal(batched.served[:, b], plain.served[:, 0])
        np.testing.assert_array_equal(batched.shipped[:, b], plain.shipped[:, 0])


def test_sampled_demand_and_lane_capacity_keep_the_invariants() -> None:
    s = loads(with_uncertainty(
        "  nodes.hospital.demand.n95: {dist: uniform, low: 0.5, high: 2, scale: true}\n"
        "  lanes.plant->depot.capacity: {dist: uniform, low: 10, high: 200}\n"), file="x.yaml")
    net = compile_network(s)
    d = draw(s, 1, range(5))
    sampled = sampled_arrays(s, net, d, plan(s).batch)
    trace = Simulator(net, 5, sampled).run()
    assert not violations(net, trace, sampled=sampled)
    assert trace.shipped[:, :, list(net.arc_names).index("plant->depot")].max(axis=0).max() <= \
        d["lanes.plant->depot.capacity"].max() + 1e-9


def test_a_sampled_lane_capacity_above_the_written_one_lets_more_through() -> None:
    s = loads(with_uncertainty("  lanes.plant->depot.capacity: {dist: uniform, low: 1500, "
                               "high: 2000}\n").replace("capacity: 1000", "capacity: 5"),
              file="x.yaml")
    net = compile_network(s)
    d = draw(s, 1, range(3))
    trace = Simulator(net, 3, sampled_arrays(s, net, d, plan(s).batch)).run()
    carried = trace.shipped[:, :, list(net.arc_names).index("plant->depot")].max(axis=0)
    assert (carried > 5).all() and (carried <= d["lanes.plant->depot.capacity"] + 1e-9).all()


def _broken(trace: Trace, field: str, index: tuple[int, ...], delta: float) -> Trace:
    values = getattr(trace, field).copy()
    values[index] += delta
    return dataclasses.replace(trace, **{field: values})


def test_sampled_runs_are_checked_against_each_samples_own_values() -> None:
    s = loads(with_uncertainty(
        "  lanes.plant->depot.capacity: {dist: uniform, low: 10, high: 200}\n"
        "  nodes.depot.stock.n95: {dist: uniform, low: 0.2, high: 3, scale: true}\n"),
        file="x.yaml")
    net = compile_network(s)
    d = draw(s, 1, range(5))
    sampled = sampled_arrays(s, net, d, plan(s).batch)
    trace = Simulator(net, 5, sampled).run()
    assert violations(net, trace, sampled=sampled) == []
    # the network's own initial stock is not what these samples started with
    assert any("mass balance" in v for v in violations(net, trace))
    # shipping above sample 2's lane capacity (yet under the written 1000) is caught
    a = list(net.arc_names).index("plant->depot")
    over = _broken(trace, "shipped", (7, 2, a), d["lanes.plant->depot.capacity"][2])
    found = violations(net, over, sampled=sampled)
    assert len(found) == 1 and "plant->depot" in found[0] and "(sample 2)" in found[0]


def test_every_sweep_sample_is_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    from borderflow.engine import InvariantError
    from borderflow.engine import allocators as chunk

    class Leaky(Simulator):
        def run(self) -> Trace:  # sample 1 of each batch serves more than it had
            return _broken(super().run(), "served", (3, 1, 0, 0), 1.0)

    assert chunk.Simulator is Simulator
    sweep("n95-2020", samples=4, chunk_size=4)  # sound as it is
    monkeypatch.setattr(chunk, "Simulator", Leaky)
    with pytest.raises(InvariantError, match=r"sweep samples 0-3.*\(sample 1\)"):
        sweep("n95-2020", samples=4, chunk_size=4)


def test_a_structural_path_is_compiled_per_sample_and_is_reproducible() -> None:
    path = "lanes.plant->depot.lead_time"
    s = loads(with_uncertainty(f"  {path}: {{dist: uniform, low: 1, high: 6}}\n"), file="x.yaml")
    assert plan(s).each == (path,)
    a = sweep(s, samples=6, seed=9, chunk_size=6).kpis
    b = sweep(s, samples=6, seed=9, chunk_size=2).kpis
    pd.testing.assert_frame_equal(a, b)


def test_summary_has_quantiles_and_stockout_probability() -> None:
    r = borderflow.sweep("n95-2020", samples=8, variants=["history", "no-controls"], seed=1)
    summary = r.summary()
    assert set(summary["variant"]) == {"history", "no-controls"}
    assert (summary["unmet_pct_p10"] <= summary["unmet_pct_p50"]).all()
    assert (summary["unmet_pct_p50"] <= summary["unmet_pct_p90"]).all()
    assert summary["p_stockout"].between(0, 1).all()


def _chunk_files(out: Path) -> dict[str, int]:
    return {p.name: p.stat().st_mtime_ns for p in out.glob("chunk-*.parquet")}


def _read(out: Path) -> pd.DataFrame:
    frame = pd.concat([pd.read_parquet(p) for p in sorted(out.glob("chunk-*.parquet"))])
    return frame.sort_values(["variant", "sample", "region", "commodity"]).reset_index(drop=True)


def test_kill_9_then_resume_gives_the_uninterrupted_results(tmp_path: Path) -> None:
    args = ["n95-2020", "--samples", "240", "--chunk-size", "8", "--seed", "11",
            "--variants", "history"]
    out = tmp_path / "killed"
    proc = subprocess.Popen([sys.executable, "-m", "borderflow.cli", "sweep", *args, "--out",
                             str(out)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while not _chunk_files(out) and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.01)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    before = _chunk_files(out)
    assert 0 < len(before) < 30, "the sweep should have been killed part way"
    resumed = bf("sweep", *args, "--out", str(out), "--resume")
    assert resumed.returncode == 0, resumed.stderr
    after = _chunk_files(out)
    assert len(after) == 30
    assert all(after[name] == mtime for name, mtime in before.items())  # not recomputed
    assert not list(out.glob(".*.tmp"))
    whole = bf("sweep", *args, "--out", str(tmp_path / "whole"))
    assert whole.returncode == 0, whole.stderr
    pd.testing.assert_frame_equal(_read(out), _read(tmp_path / "whole"), check_exact=True)
    assert resumed.stdout == whole.stdout


def test_a_foreign_or_corrupt_or_different_out_folder_is_refused(tmp_path: Path) -> None:
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    proc = bf("sweep", "two-country", "--samples", "2", "--out", str(foreign))
    assert proc.returncode == 2 and "not a borderflow sweep folder" in proc.stderr
    assert "Traceback" not in proc.stderr

    out = tmp_path / "out"
    sweep("n95-2020", samples=4, chunk_size=2, out=out)
    again = bf("sweep", "n95-2020", "--samples", "4", "--chunk-size", "2", "--out", str(out))
    assert again.returncode == 2 and "--resume" in again.stderr
    other = bf("sweep", "n95-2020", "--samples", "4", "--chunk-size", "2", "--seed", "1",
               "--out", str(out), "--resume")
    assert other.returncode == 2 and "seed" in other.stderr
    next(out.glob("chunk-*.parquet")).write_bytes(b"not parquet")
    corrupt = bf("sweep", "n95-2020", "--samples", "4", "--chunk-size", "2", "--out", str(out),
                 "--resume")
    assert corrupt.returncode == 2 and "corrupt" in corrupt.stderr
    (out / "manifest.json").write_text("{")
    broken = bf("sweep", "n95-2020", "--samples", "4", "--chunk-size", "2", "--out", str(out),
                "--resume")
    assert broken.returncode == 2 and "manifest.json" in broken.stderr


def test_sweep_command_prints_the_summary_and_json() -> None:
    proc = bf("sweep", "n95-2020", "--samples", "6", "--variants", "history,no-controls")
    assert proc.returncode == 0, proc.stderr
    for word in ("P10", "P50", "P90", "P(stockout)", "history", "no-controls"):
        assert word in proc.stdout
    doc = json.loads(bf("sweep", "n95-2020", "--samples", "3", "--json").stdout)
    assert {"variant", "region", "commodity", "unmet_pct_mean", "unmet_pct_p10", "unmet_pct_p50",
            "unmet_pct_p90", "p_stockout"} == set(doc["summary"][0])


def test_batched_kpis_are_the_per_sample_kpis() -> None:
    from borderflow.results.kpis import kpi_batch, kpi_table

    s = load("n95-2020")
    net = compile_network(s)
    d = draw(s, 2, range(4))
    trace = Simulator(net, 4, sampled_arrays(s, net, d, plan(s).batch)).run()
    batch = kpi_batch(net, trace)
    for b in range(4):
        one = batch[batch["sample"] == b].drop(columns="sample").reset_index(drop=True)
        # the same sums in another order (einsum): equal to the last bits
        pd.testing.assert_frame_equal(one, kpi_table(net, trace, b), check_exact=False, rtol=1e-13)


def test_daily_series_add_up_to_the_kpis_and_do_not_depend_on_batching() -> None:
    one = sweep("n95-2020", samples=6, seed=4, chunk_size=1, daily=["mi", "on"],
                variants=["history"])
    four = sweep("n95-2020", samples=6, seed=4, chunk_size=4, daily=["on", "mi"],
                 variants=["history"])
    assert one.daily is not None and four.daily is not None
    assert set(one.daily["region"]) == {"mi", "on"}
    key = ["sample", "region", "commodity", "day"]
    pd.testing.assert_frame_equal(one.daily.sort_values(key).reset_index(drop=True),
                                  four.daily.sort_values(key).reset_index(drop=True),
                                  check_exact=True)
    totals = one.daily.groupby(["sample", "region", "commodity"])[["demand", "unmet"]].sum()
    kpis = one.kpis.set_index(["sample", "region", "commodity"]).loc[totals.index]
    np.testing.assert_allclose(totals["demand"], kpis["demand"], rtol=1e-12)
    np.testing.assert_allclose(totals["unmet"], kpis["unmet"], rtol=1e-9, atol=1e-6)
    assert len(one.daily) == len(totals) * 98  # every day of each region and commodity


def test_the_fan_ends_where_the_summary_quantiles_are() -> None:
    r = sweep("n95-2020", samples=30, seed=2, daily=["on"], variants=["history", "ban-and-retaliation"])
    fan = r.fan()
    last = fan[(fan["measure"] == "unmet_to_date_pct") & (fan["day"] == fan["day"].max())]
    summary = r.summary().merge(last, on=["variant", "region", "commodity"])
    assert len(summary) == 2
    for p in ("p10", "p50", "p90"):
        np.testing.assert_allclose(summary[p], summary[f"unmet_pct_{p}"], rtol=1e-9, atol=1e-9)
    assert (fan["p10"] <= fan["p25"] + 1e-12).all() and (fan["p75"] <= fan["p90"] + 1e-12).all()
    assert (fan["p25"] <= fan["p50"] + 1e-12).all() and (fan["p50"] <= fan["p75"] + 1e-12).all()
    spread = fan[fan["measure"] == "days_of_supply"]
    assert (spread["p90"] - spread["p10"]).max() > 0  # the draws matter day by day


def test_daily_series_of_a_structural_sweep_are_per_sample() -> None:
    path = "lanes.plant->depot.lead_time"
    s = loads(with_uncertainty(f"  {path}: {{dist: uniform, low: 1, high: 6}}\n"), file="x.yaml")
    r = sweep(s, samples=4, seed=9, chunk_size=2, daily=["on"])
    assert r.daily is not None and sorted(set(r.daily["sample"])) == [0, 1, 2, 3]
    unmet = r.daily.groupby("sample")["unmet"].sum().to_numpy()
    np.testing.assert_allclose(unmet, r.kpis.groupby("sample")["unmet"].sum().to_numpy(),
                               rtol=1e-9, atol=1e-6)


def test_daily_series_are_written_resumed_and_checked(tmp_path: Path) -> None:
    out = tmp_path / "out"
    first = sweep("n95-2020", samples=6, chunk_size=3, daily=["mi"], out=out)
    assert sorted(p.name for p in out.glob("daily-*.parquet")) == \
        ["daily-_-000000.parquet", "daily-_-000001.parquet"]
    again = sweep("n95-2020", samples=6, chunk_size=3, daily=["mi"], out=out, resume=True)
    assert again.daily is not None and first.daily is not None
    pd.testing.assert_frame_equal(again.daily, first.daily, check_exact=True)
    other = bf("sweep", "n95-2020", "--samples", "6", "--chunk-size", "3", "--out", str(out),
               "--resume")
    assert other.returncode == 2 and "daily" in other.stderr  # the manifest differs
    (out / "daily-_-000001.parquet").unlink()
    with pytest.raises(ScenarioError, match=r"daily-_-000001\.parquet is missing"):
        sweep("n95-2020", samples=6, chunk_size=3, daily=["mi"], out=out, resume=True)


def test_an_unknown_daily_region_is_bad_input() -> None:
    proc = bf("sweep", "two-country", "--samples", "2", "--daily", "mi,atlantis")
    assert proc.returncode == 2 and "--daily: no region 'atlantis'" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_a_sweep_with_a_folder_holds_no_rows_and_gives_the_in_memory_numbers(
        tmp_path: Path) -> None:
    from borderflow.store import read_sweep
    from borderflow.store.sweeps import ChunkFiles as Files
    from borderflow.studies import Held

    args = {"samples": 40, "seed": 5, "chunk_size": 8, "daily": ["on", "mi"],
            "variants": ["history", "ban-and-retaliation"]}
    out = tmp_path / "a [1] *"  # glob characters in the name: files are listed, never globbed
    on_disk = sweep("n95-2020", out=out, **args)
    held = sweep("n95-2020", **args)
    assert isinstance(on_disk.rows, Files) and isinstance(held.rows, Held)
    assert len(on_disk.rows.kpis) == 10 and on_disk.has_daily and held.has_daily
    pd.testing.assert_frame_equal(on_disk.kpis, held.kpis, check_exact=True)
    assert on_disk.daily is not None and held.daily is not None
    pd.testing.assert_frame_equal(on_disk.daily, held.daily, check_exact=True)
    for name in ("summary", "fan"):
        a, b = getattr(on_disk, name)(), getattr(held, name)()
        assert len(b) > 0 and list(a.columns) == list(b.columns)
        for col in a.columns:  # same rows in the same order, numbers to the last bits or so
            if a[col].dtype.kind == "f":
                np.testing.assert_allclose(a[col], b[col], rtol=1e-12, atol=0)
            else:
                assert a[col].tolist() == b[col].tolist(), (name, col)
    assert held.fan()["p10"].isna().any() == on_disk.fan()["p10"].isna().any()
    again, _ = read_sweep(out)
    assert isinstance(again.rows, Files)
    pd.testing.assert_frame_equal(again.summary(), on_disk.summary(), check_exact=True)
    pd.testing.assert_frame_equal(again.fan(), on_disk.fan(), check_exact=True)


def test_the_command_prints_the_same_summary_with_or_without_a_folder(tmp_path: Path) -> None:
    args = ["sweep", "n95-2020", "--samples", "24", "--chunk-size", "5", "--seed", "7",
            "--variants", "history,no-controls"]
    kept = bf(*args, "--out", str(tmp_path / "s"))
    held = bf(*args, "--no-save")
    assert kept.returncode == 0 and held.returncode == 0, kept.stderr + held.stderr
    assert kept.stdout == held.stdout and "P90" in kept.stdout
    a = json.loads(bf(*args, "--out", str(tmp_path / "j"), "--json").stdout)["summary"]
    b = json.loads(bf(*args, "--no-save", "--json").stdout)["summary"]
    assert [(r["variant"], r["region"], r["commodity"]) for r in a] == \
        [(r["variant"], r["region"], r["commodity"]) for r in b]
    for x, y in zip(a, b, strict=True):
        numbers = [k for k in y if k.startswith(("unmet_pct_", "p_"))]
        assert len(numbers) == 5
        assert [x[k] for k in numbers] == pytest.approx([y[k] for k in numbers], rel=1e-12, abs=0)


def test_sweep_and_run_label_regions_by_name_alike() -> None:
    """Both tables say "Michigan", not the id "mi" (COLUMNS=200: rich does not wrap names)."""
    env = {**os.environ, "COLUMNS": "200"}
    shown = {}
    for command in (["sweep", "n95-2020", "--samples", "2"], ["run", "n95-2020"]):
        proc = subprocess.run([sys.executable, "-m", "borderflow.cli", *command, "--no-save"],
                              capture_output=True, text=True, timeout=300, env=env)
        assert proc.returncode == 0, proc.stderr
        shown[command[0]] = proc.stdout
    for text in shown.values():
        assert "Michigan" in text and "Latin America except Mexico" in text
        assert not re.search(r"│ (mi|us-rest|latam) +│", text)


def test_a_sweep_without_the_check_reduces_its_days_as_they_come_to_the_same_kpis(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from borderflow.engine import allocators

    args = {"samples": 10, "seed": 6, "daily": ["on", "mi"]}
    checked = sweep("n95-2020", chunk_size=4, **args)  # through engine.run
    monkeypatch.setattr(allocators, "CHECK", False)

    def no_run(*args: object, **kwargs: object) -> None:
        raise AssertionError("engine.run is on this path")

    monkeypatch.setattr(allocators, "run", no_run)
    for chunk_size in (5, 10):  # no batch of one: the engine's last bits differ there (day 3)
        r = sweep("n95-2020", chunk_size=chunk_size, **args)
        pd.testing.assert_frame_equal(r.kpis, checked.kpis, check_exact=True)
        pd.testing.assert_frame_equal(_by_sample(r.daily), _by_sample(checked.daily),
                                      check_exact=True)


def _by_sample(daily: pd.DataFrame | None) -> pd.DataFrame:
    """Daily rows in one order whatever the chunks (a chunk lists them region by region)."""
    assert daily is not None
    keys = ["variant", "sample", "region", "commodity", "day"]
    return daily.sort_values(keys, kind="stable").reset_index(drop=True)
