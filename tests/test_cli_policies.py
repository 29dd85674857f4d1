"""compare, explain and screen on the command line."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd

DEMO = str(Path(__file__).parent / "data" / "policy-demo.yaml")


def bf(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "borderflow.cli", *args], capture_output=True,
                          text=True, timeout=120)


def test_compare_marks_who_is_hurt() -> None:
    proc = bf("compare", DEMO)
    assert proc.returncode == 0, proc.stderr
    assert "change against no-controls" in proc.stdout
    hurt = next(line for line in proc.stdout.splitlines() if line.startswith("hit-back hurts:"))
    # With pulp banned from day 0 the hospital gets only its own 10 gowns and the 10 made from
    # the plant's 5 t of pulp: unmet 200 - 20 = 180, against 10 with pulp flowing.
    assert "us gown (+170 unmet)" in hurt
    # the change in unmet % is in percentage points
    assert re.search(r"= \d+\.\d% \([+-]\d+\.\d pp\)", proc.stdout)


def test_compare_json_and_out(tmp_path: Path) -> None:
    proc = bf("compare", DEMO, "--variants", "no-controls,hit-back", "--json",
              "--out", str(tmp_path / "cmp"))
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["baseline"] == "no-controls" and doc["variants"] == ["no-controls", "hit-back"]
    gown = [r for r in doc["rows"] if r["variant"] == "hit-back" and r["commodity"] == "gown"]
    assert gown[0]["effect"] == "hurt" and gown[0]["delta_unmet"] > 0
    table = pd.read_parquet(tmp_path / "cmp" / "compare.parquet")
    assert list(table.columns)[:10] == ["variant", "region", "commodity", "demand", "served",
                                         "unmet", "unmet_pct", "delta_unmet", "delta_unmet_pct",
                                         "effect"]  # then the schema's cost columns


def test_compare_unknown_variant_is_bad_input() -> None:
    proc = bf("compare", DEMO, "--variants", "no-controls,histroy")
    assert proc.returncode == 2 and "did you mean 'history'" in proc.stderr


def test_explain_says_what_stopped_the_masks() -> None:
    proc = bf("explain", DEMO, "--lane", "broker->on-hosp", "--day", "2020-04-02")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("2020-04-02: broker -> on-hosp requested ")
    assert proc.stdout.strip().endswith("shipped 0: blocked by antidiv")


def test_explain_groups_runs_of_days() -> None:
    proc = bf("explain", DEMO, "--lane", "pulpmill->gownplant")
    lines = proc.stdout.strip().splitlines()
    assert lines[-1].startswith("2020-04-08 to 2020-04-20 (13 days): pulpmill -> gownplant")
    assert lines[-1].endswith("blocked by pulp-ban")


def test_explain_unknown_lane() -> None:
    proc = bf("explain", DEMO, "--lane", "plant->onhosp")
    assert proc.returncode == 2 and "did you mean 'plant->on-hosp'" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_screen_a_shipment() -> None:
    proc = bf("screen", DEMO, "--from", "broker", "--to", "on-hosp", "--commodity", "n95",
              "--quantity", "500", "--date", "2020-04-07")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[0] == "broker -> on-hosp, 500 n95: blocked by antidiv"
    proc = bf("screen", DEMO, "--from", "plant", "--to", "on-hosp", "--commodity", "n95",
              "--quantity", "500", "--date", "2020-04-07", "--variant", "no-controls")
    assert proc.stdout.splitlines()[0] == "plant -> on-hosp, 500 n95: allowed in full"


def test_screen_bad_date_is_bad_input() -> None:
    proc = bf("screen", DEMO, "--from", "plant", "--to", "on-hosp", "--commodity", "n95",
              "--quantity", "5", "--date", "2021-01-01")
    assert proc.returncode == 2 and "outside the horizon" in proc.stderr


def test_run_reports_orders_retaliation_and_conservation() -> None:
    proc = bf("run", DEMO)
    assert proc.returncode == 0, proc.stderr
    assert "rated order dpa (DX): 500 of 500 n95 to fema, arrived in full 2020-04-11" in proc.stdout
    assert "retaliation retaliate fired on 2020-04-07" in proc.stdout
    assert "on-hosp conserved n95 2020-04-01 to 2020-04-04 (4 days)" in proc.stdout
    assert "arrived in full 2020-04-11, on time" in proc.stdout


def test_run_says_an_order_not_yet_due_is_pending_and_shows_both_shortfalls() -> None:
    """Over 5 days the DX order due on day 10 is not short, it is pending; Ontario's hospital
    conserves, so the KPI table shows unmet at normal use beside unmet after conservation."""
    proc = bf("run", DEMO, "--days", "5", "--no-save")
    assert proc.returncode == 0, proc.stderr
    assert "rated order dpa (DX):" in proc.stdout
    assert "pending: due 2020-04-11, after the horizon" in proc.stdout
    assert "short by" not in proc.stdout
    assert "unmet at" in proc.stdout and "normal use" in proc.stdout
    doc = json.loads(bf("run", DEMO, "--days", "5", "--no-save", "--json").stdout)
    assert doc["orders"][0]["status"] == "pending"
    on = next(k for k in doc["kpis"] if k["region"] == "on")
    assert on["normal_demand"] > on["demand"] and on["normal_unmet"] >= on["unmet"]
    assert doc["conservation"][0]["site"] == "on-hosp"


def test_compare_shows_unmet_at_normal_use_only_where_sites_conserve(tmp_path: Path) -> None:
    proc = bf("compare", DEMO)
    assert proc.returncode == 0, proc.stderr
    assert "unmet demand at normal use (no conservation) by variant" in proc.stdout
    two = bf("compare", "two-country")
    assert two.returncode == 0, two.stderr
    assert "at normal use" not in two.stdout
