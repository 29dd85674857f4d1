"""`borderflow sensitivity`: hand-computed effects on a tiny network, the batch equal to runs
one by one, what counts as an assumption, and bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import borderflow
from borderflow.model import ScenarioError, UsageError
from borderflow.model.assumptions import comment_of
from borderflow.model.paths import get_path, set_path
from borderflow.studies import sensitivity

TINY = """\
format: 1
name: tiny
start: 2020-04-01
days: 5
commodities: {n95: {unit: respirator}}
regions:
  us: {country: US}
nodes:
  h:
    kind: site
    region: us
    stock: {n95: 30}        # assumption: three days of use
    demand: {n95: 10}       # assumption: ten a day
    target_days: 7
  p: {kind: plant, region: us, produce: {n95: {capacity: 0}}}
lanes:
  # assumption: a comment on a line of its own marks nothing
  - {from: p, to: h, lead_time: 2}
"""


def write(tmp_path: Path, text: str = TINY) -> Path:
    path = tmp_path / "tiny.yaml"
    path.write_text(text)
    return path


def effect(study: object, assumption: str, output: str = "us:n95") -> tuple[float, float]:
    t = study.table  # type: ignore[attr-defined]
    row = t[(t["assumption"] == assumption) & (t["output"] == output)].iloc[0]
    return round(float(row["low"]), 9), round(float(row["high"]), 9)


def test_effects_worked_by_hand(tmp_path: Path) -> None:
    """No supply: 5 days of 10 against 30 in stock leaves 20 of 50 unmet, 40%.
    Demand x 0.8 = 8: 40 asked, 10 unmet, 25%; x 1.2 = 12: 60 asked, 30 unmet, 50%.
    Stock x 0.8 = 24: 26 unmet, 52%; x 1.2 = 36: 14 unmet, 28%.
    Demand swings 25 points, stock 24: demand ranks first. Both run in the one batch."""
    study = sensitivity(write(tmp_path))
    assert study.base == {"us:n95": 40.0}
    assert effect(study, "nodes.h.demand.n95") == (25.0, 50.0)
    assert effect(study, "nodes.h.stock.n95") == (52.0, 28.0)
    assert study.ranking["assumption"].tolist() == ["nodes.h.demand.n95", "nodes.h.stock.n95"]
    assert study.ranking["line"].tolist() == [13, 12]
    assert (study.batched, study.alone) == (4, 0)
    unmet = sensitivity(write(tmp_path), kpi="unmet")
    assert effect(unmet, "nodes.h.demand.n95") == (10.0, 30.0)


def test_only_numbers_marked_beside_them_count(tmp_path: Path) -> None:
    study = sensitivity(write(tmp_path))
    assert set(study.table["assumption"]) == {"nodes.h.demand.n95", "nodes.h.stock.n95"}
    assert comment_of('  a: "x # y"   # assumption: z') == "assumption: z"
    assert comment_of("  url: a#b") == ""
    assert comment_of("  - 3 #assumption") == "assumption"


def test_the_batch_equals_runs_one_by_one() -> None:
    """On the flagship, numbers that change only demand, stock or production capacity run in
    one batch (Ontario's epidemic too: it only changes its hospitals' demand; it has no care
    site); a lead time and a lane capacity run alone. Each case's output equals a plain
    simulate of the scenario with that one number changed."""
    names = ["nodes.us-hospitals.stock.n95", "nodes.mx-hospitals.demand.n95",
             "nodes.3m-aberdeen.produce.n95.capacity", "lanes.3m-china->fema.lead_time",
             "lanes.us-broker->latam-distributor.capacity", "epidemics.on.doubling_time"]
    study = sensitivity("n95-2020", assumptions=names, outputs="mx:n95,latam:n95,on:n95,mi:n95")
    assert study.batched == 8 and study.alone == 4
    base = borderflow.load("n95-2020")
    checked = 0
    for row in study.table.itertuples(index=False):
        original = get_path(base, str(row.assumption))
        for side in ("low", "high"):
            value = getattr(row, f"{side}_value")
            data = base.model_dump(by_alias=True, exclude_none=True)
            set_path(data, str(row.assumption), int(value) if isinstance(original, int) else value)
            k = borderflow.simulate(base._carry(type(base).model_validate(data))).kpis
            region, commodity = row.output.split(":")
            want = k[(k.region == region) & (k.commodity == commodity)]["unmet_pct"].iloc[0]
            assert getattr(row, side) == pytest.approx(float(want), abs=1e-9), \
                (row.assumption, side, row.output)
            checked += 1
    assert checked == 2 * 6 * 4


def test_values_that_cannot_be_perturbed_are_skipped_and_said(tmp_path: Path) -> None:
    """A conservation multiplier of 1 x 1.2 is not a valid multiplier; a lead time of 1 rounds
    back to 1 either way; 0 stays 0."""
    text = TINY.replace("  - {from: p, to: h, lead_time: 2}",
                        "  - {from: p, to: h, lead_time: 1}   # assumption") + """\
policies:
  - {id: save, type: conservation, sites: [h], below_days_of_supply: 2, multiplier: 1}  # assumption
"""
    text = text.replace("produce: {n95: {capacity: 0}}}", "produce: {n95: {capacity: 0}}}  # assumption")
    study = sensitivity(write(tmp_path, text))
    why = dict(study.skipped)
    assert "is not valid there" in why["policies.save.multiplier (high)"]
    assert "rounds back" in why["lanes.p->h.lead_time (low)"]  # 0.8 and 1.2 round to 1
    assert why["nodes.p.produce.n95.capacity"] == "0 stays 0 when scaled"
    assert "policies.save.below_days_of_supply" not in why  # not marked: its line's comment
    assert effect(study, "policies.save.multiplier")[1] == 40.0  # only the low value ran


def test_bad_input(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="--outputs"):
        sensitivity(write(tmp_path), outputs="nowhere:n95")
    with pytest.raises(UsageError, match="--factor"):
        sensitivity(write(tmp_path), factor=1.5)
    with pytest.raises(UsageError, match="--kpi"):
        sensitivity(write(tmp_path), kpi="bogus")
    with pytest.raises(UsageError, match=r"nodes\.h\.demand\.gown is not a number"):
        sensitivity(write(tmp_path), assumptions=["nodes.h.demand.gown"])
    bare = write(tmp_path, TINY.replace("# assumption", "# a guess"))
    with pytest.raises(ScenarioError, match="no number is marked as an assumption"):
        sensitivity(bare)


def bf(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "borderflow.cli", *args], capture_output=True,
                          text=True, cwd=cwd, timeout=300)


def test_cli_tables_json_and_folder(tmp_path: Path) -> None:
    path = write(tmp_path)
    proc = bf("sensitivity", str(path), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "the assumptions that matter most" in proc.stdout
    assert "nodes.h.demand.n95" in proc.stdout and "us:n95: unmet_pct 40.0 as written" in proc.stdout
    doc = json.loads(bf("sensitivity", str(path), "--json", cwd=tmp_path).stdout)
    assert doc["ranking"][0]["assumption"] == "nodes.h.demand.n95"
    assert doc["base"] == {"us:n95": 40.0}
    proc = bf("sensitivity", str(path), "--out", str(tmp_path / "sens"), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    folder = tmp_path / "sens"
    assert {p.name for p in folder.iterdir()} == {"sensitivity.parquet", "sensitivity.json",
                                                   "report.html", "manifest.json"}
    html = (folder / "report.html").read_text()
    assert "What moves us:n95" in html and "https://" not in html.split("<script")[0]
    before = (folder / "report.html").read_bytes()
    rebuilt = bf("report", str(folder), cwd=tmp_path)
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert (folder / "report.html").read_bytes() == before  # rebuilt from the folder alone
    rows = bf("query", "select assumption, low, high from sensitivity order by assumption",
              "--format", "json", cwd=tmp_path)
    assert rows.returncode == 0, rows.stderr
    assert [r["assumption"] for r in json.loads(rows.stdout)] == ["nodes.h.demand.n95",
                                                                  "nodes.h.stock.n95"]
    bad = bf("sensitivity", str(path), "--outputs", "us:gown", cwd=tmp_path)
    assert bad.returncode == 2 and "--outputs" in bad.stderr and "Traceback" not in bad.stderr
