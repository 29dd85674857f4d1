"""An attribution saved and reported: its folder (tables, document, manifest kind) written and
read back, listed by the catalogue and `borderflow runs`, queried through its views; the
offline report's waterfalls, heatmaps, care bars and the shadow-price hook; `attribute --out`
and its bad paths."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import pytest

from borderflow import attribute
from borderflow.model import loads
from borderflow.report import attribution_figures, attribution_report, folder_report
from borderflow.report.attribution import PRICES_HEADING, largest
from borderflow.results.schema import ATTRIBUTION_TABLES
from borderflow.store import attribution_tables, catalogue, manifest, read_attribution, save
from borderflow.store.attributions import DOCUMENT, FILES
from test_architecture import _matches
from test_report import EVIL, PLOTLYJS, assert_offline_single_file

# Three of the flagship's policies in its retaliation variant: 8 coalitions, both commodities
# changed, and the Detroit nurses Canada keeps home (care) follow the export ban.
FLAGSHIP = {"scenario": "n95-2020", "variant": "ban-and-retaliation",
            "policies": ["us-export-ban", "dpa-3m", "airbridge"]}
CLI = ["n95-2020", "--variant", "ban-and-retaliation", "--policies",
       "us-export-ban,dpa-3m,airbridge"]


@pytest.fixture(scope="module")
def flagship() -> Any:
    return attribute(FLAGSHIP["scenario"], variant=FLAGSHIP["variant"],
                     policies=FLAGSHIP["policies"])


def bf(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "borderflow.cli", *args], capture_output=True,
                          text=True, timeout=300, cwd=cwd)


# ---- the folder ---------------------------------------------------------------------------------

def test_the_folder_round_trips_and_the_catalogue_lists_and_queries_it(flagship: Any,
                                                                        tmp_path: Path) -> None:
    folder = save(flagship, tmp_path / "att")
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [*FILES.values(), DOCUMENT, manifest.FILE])
    m = manifest.read(folder)
    assert m["kind"] == "attribution" and m["variants"] == ["ban-and-retaliation"]
    assert m["commodities"]["n95"] == {"unit": "respirator"}
    assert "3 policies, every coalition (8 runs); largest: airbridge" in m["summary"]
    back, memory = read_attribution(folder), attribution_tables(flagship)
    for table in ATTRIBUTION_TABLES:
        pd.testing.assert_frame_equal(back.tables[table.name], memory.tables[table.name])
        _matches(back.tables[table.name], table)
    assert back.document == json.loads(json.dumps(flagship.summary()))
    # the numbers are attribute's: its rows, with the exact stderr empty
    rows = flagship.rows.assign(stderr=float("nan"))
    pd.testing.assert_frame_equal(back.rows, rows, check_dtype=False)

    entries = catalogue.runs()
    assert entries["kind"].tolist() == ["attribution"]
    assert entries["path"].iloc[0] == str(folder.resolve())
    listed = bf("runs", "--kind", "attribution")
    assert listed.returncode == 0 and "attribution" in listed.stdout and "n95-2020" in listed.stdout
    top = catalogue.query("select region_name, policy, contribution from attribution "
                          "order by abs(contribution) desc limit 1")
    assert top.iloc[0].tolist()[:2] == ["rest of the United States", "airbridge"]
    assert top.iloc[0]["contribution"] == pytest.approx(rows["contribution"].abs().max() * -1)
    care = catalogue.query("select site, unstaffed_variant from attribution_care_totals")
    assert care["unstaffed_variant"].iloc[0] == pytest.approx(
        float(flagship.care_totals["unstaffed_variant"].iloc[0]))


def test_save_names_a_new_folder_by_scenario_and_variant(flagship: Any, tmp_path: Path) -> None:
    folder = save(flagship, root=tmp_path)
    assert folder.parent == (tmp_path / "attributions").resolve()
    assert folder.name.startswith("n95-2020-ban-and-retaliation-")


def test_an_incomplete_folder_is_bad_input_naming_the_file(flagship: Any, tmp_path: Path) -> None:
    folder = save(flagship, tmp_path / "att")
    (folder / FILES["attribution_care"]).unlink()
    proc = bf("report", str(folder))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "not a complete borderflow attribution folder (missing attribution_care.parquet)" \
        in proc.stderr


# ---- the report ---------------------------------------------------------------------------------

def _trace(fig: go.Figure, name: str) -> Any:
    return next(t for t in fig.data if t.name == name)


def test_the_waterfall_goes_from_no_policy_through_each_to_the_variant(flagship: Any) -> None:
    t = attribution_tables(flagship)
    figs = attribution_figures(t)
    assert list(figs) == ["waterfall-n95", "waterfall-surgical", "heatmap-n95",
                          "heatmap-surgical", "care"]
    fig = figs["waterfall-n95"]
    menu = fig.layout.updatemenus[0]
    assert [b.label for b in menu.buttons] == [tr.name for tr in fig.data]
    assert [tr.visible for tr in fig.data].count(True) == 1
    ontario = _trace(fig, "Ontario")
    total = t.totals.set_index(["region", "commodity"]).loc[("on", "n95")]
    assert list(ontario.x) == ["no listed policy", "dpa-3m", "us-export-ban", "as in the variant"]
    assert list(ontario.measure) == ["absolute", "relative", "relative", "total"]
    assert ontario.y[0] == pytest.approx(total["unmet_none"], abs=1e-3)
    assert ontario.y[-1] == pytest.approx(total["unmet_variant"], abs=1e-3)
    assert ontario.y[0] + sum(ontario.y[1:-1]) == pytest.approx(ontario.y[-1], rel=1e-6)
    ban = float(flagship.rows.query("region == 'on' and commodity == 'n95' and "
                                    "policy == 'us-export-ban'")["contribution"].iloc[0])
    share = 100 * ban / total["demand"]
    assert list(ontario.customdata[2]) == [f"{ban:+,.0f} respirators", f"{share:+.2f}%"]
    assert "of demand" in ontario.hovertemplate
    # the heatmap is diverging around 0, policies by regions, red where a policy made it worse
    heat = figs["heatmap-n95"].data[0]
    assert heat.zmid == 0 and heat.zmin == -heat.zmax
    assert list(heat.y) == ["dpa-3m", "us-export-ban"] and "Ontario" in heat.x
    z = heat.z[1][list(heat.x).index("Ontario")]
    assert z == pytest.approx(share, abs=1e-3) and z > 0
    care = figs["care"].data
    assert [b.name for b in care] == ["us-export-ban"] and care[0].x[0] > 8000


def test_the_report_is_one_offline_file_with_every_figure_and_table(flagship: Any) -> None:
    t = attribution_tables(flagship)
    html = attribution_report(t)
    assert_offline_single_file(html)
    for key in attribution_figures(t):
        assert f'id="figure-{key}"' in html
    for heading in ("The largest contributions", "Where each region's shortage comes from",
                    "Each policy in each region", "Care sites: unstaffed patient-days",
                    "The strongest interactions between two policies"):
        assert heading in html
    assert PRICES_HEADING not in html and "<script>\ndocument" not in html
    first = largest(t).iloc[0]
    assert (first["region"], first["policy"]) == ("us-rest", "airbridge")
    assert f"{first['contribution']:,.0f}" in html
    assert attribution_report(t) == html  # the same tables, the same bytes


def test_shadow_prices_are_a_sortable_table_of_whatever_columns_they_have(flagship: Any) -> None:
    t = attribution_tables(flagship)
    prices = pd.DataFrame({"policy": ["us-export-ban", "dpa-3m"], "region": ["on", "mi"],
                           "value_per_unit_relaxed": [1.5, 0.25], "binding_days": [3, 12],
                           "note": ["quota", EVIL]})
    html = attribution_report(t, prices)
    assert_offline_single_file(html)
    assert f"<h2>{PRICES_HEADING}</h2>" in html
    table = re.search(r'<table class="sortable" id="shadow-prices">(.*?)</table>', html, re.S)
    assert table
    heads = re.findall(r"<th[^>]*>([^<]*)</th>", table.group(1))
    assert heads == ["policy", "region", "value per unit relaxed", "binding days", "note"]
    rows = re.findall(r"<tr>(.*?)</tr>", table.group(1).split("</thead>")[1])
    assert '<td>Ontario</td>' in rows[0] and '<td class="n" data-v="1.5">1.50</td>' in rows[0]
    assert '<td class="n" data-v="12.0">12</td>' in rows[1]
    assert EVIL not in html.replace(PLOTLYJS, "") and "&lt;script&gt;alert(1)" in html
    assert 'table.sortable th' in html  # the sorting script, inline like the rest of the file
    assert PRICES_HEADING not in attribution_report(t, prices.iloc[:0])  # empty: no section


TINY = """
format: 1
name: tiny
start: 2020-04-01
days: 10
commodities: {n95: {unit: respirator}}
regions:
  us: {country: US}
  ca: {country: CA, name: 'NAME'}
nodes:
  plant: {kind: plant, region: us, produce: {n95: {capacity: 1000}}}
  toronto: {kind: site, region: ca, demand: {n95: 10}}
lanes:
  - {from: plant, to: toronto, lead_time: 1}
policies:
  - {id: ban, type: export_control, commodities: [n95], from_country: US, description: 'NAME'}
"""


def test_user_names_are_escaped() -> None:
    a = attribute(loads(TINY.replace("NAME", EVIL)))
    html = attribution_report(attribution_tables(a))
    assert EVIL not in html.replace(PLOTLYJS, "")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


# ---- the command --------------------------------------------------------------------------------

def test_out_writes_the_folder_and_report_and_report_rebuilds_it(tmp_path: Path) -> None:
    out = tmp_path / "att"
    proc = bf("attribute", *CLI, "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert f"wrote {out}" in proc.stderr
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [*FILES.values(), DOCUMENT, manifest.FILE, "report.html", "prices.parquet"])
    first = (out / "report.html").read_bytes()
    assert_offline_single_file(first.decode())
    assert 'id="figure-waterfall-n95"' in first.decode()
    priced = pd.read_parquet(out / "prices.parquet")  # the variant's, by lane and week
    assert len(priced) and {"policy", "lane", "week", "price"} <= set(priced.columns)
    assert "Value of relaxing a policy" in first.decode()
    (out / "report.html").unlink()
    assert bf("report", str(out)).returncode == 0
    assert (out / "report.html").read_bytes() == first  # rebuilt from the folder alone
    html, figures = folder_report(out)
    assert html.encode() == first and "heatmap-surgical" in figures()
    doc = json.loads(bf("attribute", *CLI, "--out", str(out), "--json").stdout)
    assert doc == json.loads((out / DOCUMENT).read_text())  # --json is the folder's document
    assert catalogue.runs()["kind"].tolist() == ["attribution"]  # written again: one entry


@pytest.mark.parametrize("where", ["file", "below-a-file", "foreign"])
def test_a_bad_out_is_bad_input_before_the_work(tmp_path: Path, where: str) -> None:
    (tmp_path / "a-file").write_text("keep me")
    (tmp_path / "theirs").mkdir()
    (tmp_path / "theirs" / "notes.txt").write_text("keep me")
    out = {"file": tmp_path / "a-file", "below-a-file": tmp_path / "a-file" / "att",
           "foreign": tmp_path / "theirs"}[where]
    # a variant the scenario does not have: had the work run first, this would be the error
    proc = bf("attribute", "n95-2020", "--variant", "nope", "--out", str(out))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.startswith("--out: "), proc.stderr
    assert ("is a file, not a folder" if where == "below-a-file" else
            "exists and is not a borderflow results folder") in proc.stderr
    assert (tmp_path / "a-file").read_text() == "keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file", "theirs"]
    assert catalogue.runs().empty
