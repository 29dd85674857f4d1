"""Avoidable shortage: unmet under the priority rules less unmet under the optimal allocation."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import borderflow
from borderflow import cli
from borderflow.engine import ALLOCATORS, Network, OptimalError, Trace
from borderflow.results.avoidable import AVOIDABLE_COLUMNS, avoidable_table


def bf(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "borderflow.cli", *args], capture_output=True,
                          text=True, timeout=120)


def test_the_table_is_the_difference_of_the_two_runs() -> None:
    s = borderflow.load("two-country")
    rule = borderflow.simulate(s, allocator="priority")
    best = borderflow.simulate(s, allocator="optimal")
    table = avoidable_table(rule, best)
    assert list(table.columns) == AVOIDABLE_COLUMNS
    assert table["unmet_priority"].tolist() == pytest.approx(rule.kpis["unmet"].tolist())
    assert table["unmet_optimal"].tolist() == pytest.approx(best.kpis["unmet"].tolist())
    assert (table["avoidable"] == table["unmet_priority"] - table["unmet_optimal"]).all()
    # every site weighs 1: the optimum never leaves more unmet in total
    assert table["avoidable"].sum() >= -1e-6 * table["demand"].sum()


def test_run_json_gains_avoidable_and_keeps_its_keys() -> None:
    proc = bf("run", "two-country", "--json", "--avoidable")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert set(doc) == {"scenario", "variant", "allocator", "days", "kpis", "care", "balance",
                        "avoidable"}
    assert doc["allocator"] == "priority"
    assert all(set(row) == set(AVOIDABLE_COLUMNS) for row in doc["avoidable"])
    assert [r["region"] for r in doc["avoidable"]] == [r["region"] for r in doc["kpis"]]


def test_run_optimal_prints_its_table() -> None:
    proc = bf("run", "two-country", "--allocator", "optimal", "--avoidable")
    assert proc.returncode == 0, proc.stderr
    assert "(optimal)" in proc.stdout and "avoided" in proc.stdout


def test_compare_shows_avoidable_shortage_for_each_variant() -> None:
    proc = bf("compare", "two-country", "--json", "--avoidable")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert {"scenario", "baseline", "variants", "rows", "care"} < set(doc)
    assert {r["variant"] for r in doc["avoidable"]} == set(doc["variants"])
    text = bf("compare", "two-country", "--avoidable").stdout
    for name in doc["variants"]:
        assert f"two-country / {name}: shortage better allocation would have avoided" in text


def test_an_lp_without_optimum_is_a_clear_message(monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    class Broken:
        name = "optimal"

        def run(self, net: Network) -> Trace:
            raise OptimalError("no allocation satisfies the quota constraints (1 rows; first: "
                               "policy:cap on day 3)")

    monkeypatch.setitem(ALLOCATORS, "optimal", Broken())
    monkeypatch.setattr(sys, "argv", ["borderflow", "run", "two-country", "--allocator", "optimal"])
    with pytest.raises(SystemExit) as e:
        cli.main()
    assert e.value.code == 1
    printed = capsys.readouterr().err
    assert "no optimal allocation: no allocation satisfies the quota constraints" in printed
    assert "internal error" not in printed and "Traceback" not in printed
