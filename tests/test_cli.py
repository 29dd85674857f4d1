"""The command line, run as a user runs it (a subprocess), and its output contract."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd

from borderflow.results.schema import KPIS

EXPECTED_KPI_KEYS = {"region", "commodity", "demand", "served", "unmet", "unmet_pct",
                     "stockout_days", "min_days_of_supply"}


def bf(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "borderflow.cli", *args], capture_output=True,
                          text=True, cwd=cwd, timeout=120)


def test_run_prints_a_table_per_region() -> None:
    proc = bf("run", "two-country")
    assert proc.returncode == 0, proc.stderr
    for word in ("Michigan", "Ontario", "unmet %", "stockout"):
        assert word in proc.stdout
    assert "Traceback" not in proc.stderr


def test_run_json_follows_the_contract() -> None:
    proc = bf("run", "two-country", "--json", "--variant", "narrow-border")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert set(doc) == {"scenario", "variant", "allocator", "days", "kpis", "care", "balance"}
    assert (doc["scenario"], doc["variant"], doc["allocator"], doc["days"]) == \
        ("two-country", "narrow-border", "priority", 60)
    # DESIGN's columns first, then those the schema adds (backlog, mean delay, cost)
    assert all(list(row)[:len(EXPECTED_KPI_KEYS)] == KPIS.names[:8] and set(row) == set(KPIS.names)
               for row in doc["kpis"])
    assert set(KPIS.names[:8]) == EXPECTED_KPI_KEYS
    assert {row["region"] for row in doc["kpis"]} == {"mi", "on"}
    assert doc["balance"]["max_abs_error"] < 1e-6


def test_days_shortens_the_horizon() -> None:
    doc = json.loads(bf("run", "two-country", "--json", "--days", "10").stdout)
    assert doc["days"] == 10
    assert bf("run", "two-country", "--days", "61").returncode == 2


def test_out_writes_tables_atomically(tmp_path: Path) -> None:
    out = tmp_path / "run1"
    proc = bf("run", "two-country", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in out.iterdir()) == [
        "care.parquet", "constraints.parquet", "flows.parquet", "kpis.parquet", "manifest.json",
        "policies.parquet", "report.html", "sites.parquet", "stocks.parquet", "summary.json",
        "supply.parquet"]
    kpis = pd.read_parquet(out / "kpis.parquet")
    assert list(kpis.columns)[:8] == ["region", "commodity", "demand", "served", "unmet",
                                      "unmet_pct", "stockout_days", "min_days_of_supply"]
    assert list(kpis.columns) == KPIS.names
    flows = pd.read_parquet(out / "flows.parquet")
    assert list(flows.columns) == ["day", "date", "from", "to", "commodity", "quantity",
                                   "rejected"]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["kpis"] == json.loads(bf("run", "two-country", "--json").stdout)["kpis"]
    # Replacing a previous run works; nothing temporary is left beside it.
    assert bf("run", "two-country", "--variant", "bigger-plant", "--out", str(out)).returncode == 0
    assert json.loads((out / "summary.json").read_text())["variant"] == "bigger-plant"
    assert [p.name for p in tmp_path.iterdir()] == ["run1"]


def test_a_failed_run_leaves_no_folder(tmp_path: Path) -> None:
    out = tmp_path / "never"
    proc = bf("run", "two-country", "--variant", "no-such-variant", "--out", str(out))
    assert proc.returncode == 2
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_out_refuses_a_foreign_folder(tmp_path: Path) -> None:
    (tmp_path / "mine.txt").write_text("keep me")
    proc = bf("run", "two-country", "--out", str(tmp_path))
    assert proc.returncode == 2 and "not a borderflow results folder" in proc.stderr
    assert (tmp_path / "mine.txt").read_text() == "keep me"


def test_unknown_variant_is_bad_input() -> None:
    proc = bf("run", "two-country", "--variant", "narow-border")
    assert proc.returncode == 2
    assert "did you mean 'narrow-border'" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_unknown_scenario_is_bad_input() -> None:
    proc = bf("run", "no-such-scenario")
    assert proc.returncode == 2 and "built-in: " in proc.stderr


def test_run_optimal_says_which_method_it_picked_on_stderr() -> None:
    proc = bf("run", "two-country", "--allocator", "optimal", "--json", "--no-save")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["allocator"] == "optimal"  # stdout stays one document
    assert "optimal allocator: LP of" in proc.stderr
    assert "simplex; solved in" in proc.stderr  # a small LP: HiGHS's simplex


def test_schema_is_json_schema_generated_from_the_model() -> None:
    doc = json.loads(bf("schema").stdout)
    assert doc["$schema"].endswith("2020-12/schema")
    assert {"format", "name", "start", "days", "nodes", "lanes", "policies"} <= \
        set(doc["properties"])
    assert "from" in doc["$defs"]["Lane"]["properties"]  # aliases, as written in YAML


def test_schema_accepts_the_builtin_scenarios() -> None:
    import jsonschema

    from borderflow.model import builtin_names, builtin_path
    from borderflow.model.yamlio import read_yaml_file

    schema = json.loads(bf("schema").stdout)
    for name in builtin_names():
        data = read_yaml_file(builtin_path(name)).data
        data = json.loads(json.dumps(data, default=str))  # dates as ISO text, as JSON has them
        jsonschema.validate(data, schema)


def test_scenarios_lists_the_builtins() -> None:
    proc = bf("scenarios")
    assert proc.returncode == 0 and "two-country" in proc.stdout


def test_validate_accepts_a_valid_file() -> None:
    from borderflow.model import builtin_path

    proc = bf("validate", str(builtin_path("two-country")))
    assert proc.returncode == 0 and "valid" in proc.stdout


def test_format_reference_in_docs_is_up_to_date() -> None:
    doc = Path(__file__).resolve().parents[1] / "docs" / "scenario-format.md"
    assert doc.read_text() == bf("schema", "--markdown").stdout, \
        "regenerate it: borderflow schema --markdown > docs/scenario-format.md"
