"""The web app over HTTP (FastAPI's test client): pages, runs, edits, compare, history,
uploads, downloads, and each security rule of `borderflow serve`."""

from __future__ import annotations

import asyncio
import io
import os
import re
import select
import socket
import subprocess
import sys
import threading
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from html import unescape
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
import pytest

from borderflow.model import Scenario, load
from borderflow.results import Result, compare, simulate
from borderflow.web import Settings, create_app
from borderflow.web.runs import Busy, Pool

with warnings.catch_warnings():
    # starlette prefers the `httpx2` fork and warns, once, at import, that `httpx` is deprecated
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

FLAGSHIP = "/scenarios/builtin/n95-2020"
TAG = "<script>alert(1)</script>"

TINY = """\
format: 1
name: tiny
description: a plant in the US, a hospital in Ontario
start: 2020-04-01
days: 10
commodities: {n95: {unit: respirator}}
regions: {us: {country: US}, on: {country: CA, name: Ontario}}
nodes:
  plant: {kind: plant, region: us, produce: {n95: {capacity: 100}}}
  hospital:
    kind: site
    region: on
    stock: {n95: 100}
    demand:
      n95: {csv: demand.csv, column: n95}
lanes:
  - {from: plant, to: hospital, lead_time: 1}
policies:
  - {id: ban, type: export_control, commodities: [n95], from_country: US, start: 2}
variants:
  open: {disable: [ban]}
  banned: {}
"""
DEMAND = "n95\n" + "".join(f"{50 + d}\n" for d in range(10))


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(tmp_path))) as c:
        yield c


def csrf(client: TestClient) -> str:
    if "borderflow_csrf" not in client.cookies:
        client.get("/")
    token = client.cookies.get("borderflow_csrf")
    assert token
    return token


def enabled(s: Scenario, variant: str | None = None) -> list[str]:
    from borderflow.model import apply_variant

    return [p.id for p in apply_variant(s, variant).policies if p.enabled]


def run(client: TestClient, url: str, variant: str | None, policies: list[str],
        **values: str) -> Any:
    data: dict[str, Any] = {"csrf": csrf(client), "variant": variant or "", "policy": policies}
    data.update({f"f:{k}": v for k, v in values.items()})
    return client.post(f"{url}/run", data=data)


def kpi_numbers(html: str) -> list[str]:
    table = re.search(r'<div id="kpis">(.*?)</div>', html, re.S)
    assert table, "no KPI table on the page"
    return re.findall(r'<td class="n">([^<]*)</td>', table.group(1))


def kpi_rows(html: str) -> dict[tuple[str, str], list[float]]:
    """The KPI table: (region, commodity) -> demand, served, unmet, unmet %, stockout days..."""
    table = re.search(r'<div id="kpis">(.*?)</div>', html, re.S)
    assert table
    rows = {}
    for region, commodity, cells in re.findall(r"<tr[^>]*><td>([^<]*)</td><td>([^<]*)</td>(.*?)</tr>",
                                               table.group(1)):
        rows[(region, commodity)] = [float(v.replace(",", "")) if v != "-" else float("nan")
                                     for v in re.findall(r'<td class="n">([^<]*)</td>', cells)]
    return rows


def upload(client: TestClient, yaml: str | bytes, csvs: dict[str, str | bytes] | None = None,
           name: str = "scenario.yaml", token: str | None = None) -> Any:
    files: list[tuple[str, tuple[str, Any, str]]] = [
        ("scenario", (name, io.BytesIO(yaml.encode() if isinstance(yaml, str) else yaml),
                      "application/x-yaml"))]
    for csv_name, data in (csvs or {}).items():
        files.append(("csv", (csv_name, io.BytesIO(data.encode() if isinstance(data, str) else data),
                              "text/csv")))
    return client.post("/upload", data={"csrf": csrf(client) if token is None else token},
                       files=files)


# ---- pages ----------------------------------------------------------------------------------


def test_home_lists_builtin_scenarios_and_offers_an_upload_form(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert f'href="{FLAGSHIP}"' in page.text and 'href="/scenarios/builtin/two-country"' in page.text
    assert 'action="/upload"' in page.text and 'enctype="multipart/form-data"' in page.text
    assert f'name="csrf" value="{client.cookies.get("borderflow_csrf")}"' in page.text


def test_scenario_page_shows_network_by_region_border_lanes_variants_and_policies(
        client: TestClient) -> None:
    s = load("n95-2020")
    page = client.get(FLAGSHIP).text
    regions = re.findall(r'<div class="region"><h3>([^<]*) <span', page)
    assert regions == [r.name for r in s.regions.values()]
    ontario = page.split("<h3>Ontario")[1].split("</div>")[0]
    assert "<b>on-distributor</b>" in ontario and "<b>on-hospitals</b>" in ontario
    assert "<b>3m-aberdeen</b>" not in ontario
    lanes = page.split('id="border-lanes"')[1].split("</table>")[0]
    assert "<td>3m-aberdeen</td><td>on-distributor</td><td>US → CA</td>" in lanes
    assert "<td>us-distributor</td><td>us-hospitals</td>" not in lanes  # inside the US
    for v in s.variants:
        assert f'<option value="{v}">variant {v}</option>' in page
    for p in s.policies:
        assert f'id="policy-{p.id}"' in page
    # as written, the retaliation is off and the ban on
    assert re.search(r'id="policy-us-export-ban" checked', page)
    assert re.search(r'id="policy-ca-pulp-ban">', page)
    assert 'name="f:nodes.3m-aberdeen.produce.n95.capacity" id="f-nodes.3m-aberdeen.produce.n95.capacity" ' \
           'value="767000"' in page
    assert 'name="f:policies.us-export-ban.end"' in page and 'value="2020-04-06"' in page


def test_a_variant_preloads_its_policy_switches_and_values(client: TestClient) -> None:
    page = client.get(f"{FLAGSHIP}?variant=no-controls").text
    assert re.search(r'id="policy-us-export-ban">', page)  # unchecked
    page = client.get(f"{FLAGSHIP}?variant=ban-no-exemptions").text
    ban_end = re.search(r'name="f:policies.us-export-ban.end"[^>]*value="([^"]*)"', page)
    assert ban_end and ban_end.group(1) == ""  # open-ended in this variant
    assert client.get(f"{FLAGSHIP}?variant=nope").status_code == 404
    assert client.get("/scenarios/builtin/nope").status_code == 404


def test_plotly_is_served_locally_and_no_page_loads_anything_from_elsewhere(
        client: TestClient) -> None:
    js = client.get("/plotly.min.js")
    assert js.status_code == 200 and js.headers["content-type"].startswith("text/javascript")
    assert "plotly" in js.text[:2000].lower() and len(js.content) > 1_000_000
    assert client.get("/static/app.js").status_code == 200
    ran = run(client, FLAGSHIP, "history", enabled(load("n95-2020"), "history"))
    attributed = client.post(f"{FLAGSHIP}/attribute", data={
        "csrf": csrf(client), "variant": "history", "policy": ["us-export-ban", "dpa-3m"]})
    assert attributed.status_code == 200
    for page in (client.get("/").text, client.get(FLAGSHIP).text, ran.text,
                 client.get(f"{FLAGSHIP}/attribute").text, attributed.text):
        for src in re.findall(r'(?:src|href)="([^"]*)"', page):
            assert src.startswith(("/", "?")), src
    assert '<script src="/plotly.min.js"></script>' in ran.text
    assert '<script src="/plotly.min.js"></script>' in attributed.text


# ---- runs and edits -------------------------------------------------------------------------


def test_run_shows_the_kpis_of_exactly_that_configuration_and_saves_it(
        client: TestClient, tmp_path: Path) -> None:
    s = load("n95-2020")
    page = run(client, FLAGSHIP, "history", enabled(s, "history"))
    assert page.status_code == 200 and "/runs/" in str(page.url)
    expected = simulate(s, variant="history").kpis
    numbers = kpi_numbers(page.text)
    assert numbers[:3] == [f"{expected.demand.iloc[0]:,.0f}", f"{expected.served.iloc[0]:,.0f}",
                           f"{expected.unmet.iloc[0]:,.0f}"]
    for key in ("days_of_supply", "unmet_demand", "flows", "policy_timeline", "care"):
        assert f'data-figure="figure-{key}"' in page.text
    run_id = str(page.url).rsplit("/", 1)[1]
    folder = tmp_path / "runs" / run_id
    stored = pd.read_parquet(folder / "kpis.parquet")
    pd.testing.assert_frame_equal(stored, expected.reset_index(drop=True), check_dtype=False)
    assert (folder / "summary.json").is_file() and (folder / "web.json").is_file()


def test_the_optimal_allocator_can_be_chosen(client: TestClient, tmp_path: Path) -> None:
    s = load("n95-2020")
    data: dict[str, Any] = {"csrf": csrf(client), "variant": "ban-no-exemptions",
                            "policy": enabled(s, "ban-no-exemptions"), "allocator": "optimal"}
    page = client.post(f"{FLAGSHIP}/run", data=data)
    assert page.status_code == 200 and "optimal allocator" in page.text
    expected = simulate(s, variant="ban-no-exemptions", allocator="optimal").kpis
    assert kpi_rows(page.text)[("Ontario", "n95")][2] == round(
        float(expected.set_index(["region", "commodity"]).loc[("on", "n95"), "unmet"]))
    assert re.search(r'<option value="optimal" selected>', page.text)
    bad = client.post(f"{FLAGSHIP}/run", data={**data, "allocator": "magic"})
    assert bad.status_code == 422 and "allocator &#39;magic&#39;: choose one of priority, optimal" in bad.text


def test_switching_the_export_ban_off_changes_the_results(client: TestClient) -> None:
    s = load("n95-2020")
    on = enabled(s, "ban-no-exemptions")
    banned = run(client, FLAGSHIP, "ban-no-exemptions", on)
    lifted = run(client, FLAGSHIP, "ban-no-exemptions", [p for p in on if p != "us-export-ban"])
    assert kpi_numbers(banned.text) != kpi_numbers(lifted.text)
    unmet = {name: kpi_rows(page.text)[("Ontario", "n95")][2]
             for name, page in (("banned", banned), ("lifted", lifted))}
    assert unmet["banned"] > unmet["lifted"]
    assert "us-export-ban off" in lifted.text


def test_editing_a_key_number_reruns_with_it(client: TestClient) -> None:
    s = load("n95-2020")
    on = enabled(s, "history")
    page = run(client, FLAGSHIP, "history", on, **{"nodes.3m-aberdeen.produce.n95.capacity": "0"})
    assert page.status_code == 200
    assert "nodes.3m-aberdeen.produce.n95.capacity = 0" in page.text
    base = simulate(s, variant="history").kpis["unmet"].sum()
    edited_total = sum(float(n.replace(",", "")) for n in kpi_numbers(page.text)[2::6])
    assert edited_total > base + 1
    # the form comes back with the edited value, ready for the next run
    assert re.search(r'id="f-nodes.3m-aberdeen.produce.n95.capacity" value="0"', page.text)


def test_a_bad_edit_is_reported_next_to_its_field_by_the_model(client: TestClient) -> None:
    on = enabled(load("n95-2020"), "history")
    page = run(client, FLAGSHIP, "history", on, **{"nodes.3m-aberdeen.produce.n95.capacity": "-5"})
    assert page.status_code == 422
    problems = re.findall(r'<span class="problem" data-field="([^"]*)">([^<]*)</span>', page.text)
    assert problems == [("nodes.3m-aberdeen.produce.n95.capacity", "must be &gt;= 0, got -5")]
    assert re.search(r'id="f-nodes.3m-aberdeen.produce.n95.capacity" value="-5"', page.text)
    page = run(client, FLAGSHIP, "history", on, **{"policies.us-export-ban.end": "2020-03-01"})
    problems = re.findall(r'<span class="problem" data-field="([^"]*)">([^<]*)</span>', page.text)
    # a date before the horizon is accepted (a ban's real date); one before its start is not
    assert [p for p, _ in problems] == ["policies.us-export-ban.end"]
    assert "must end after it starts" in problems[0][1]
    page = run(client, FLAGSHIP, None, on, **{"policies.us-export-ban.start": "soon"})
    assert page.status_code == 422 and "got &#39;soon&#39;" in page.text
    page = run(client, FLAGSHIP, None, on, **{"nodes.nope.stock.n95": "3"})
    assert page.status_code == 422 and "is not a field this page can change" in page.text


def test_problems_go_to_their_field_else_their_policy_else_the_top() -> None:
    from borderflow.model import Problem, ScenarioError
    from borderflow.web.edits import _sorted

    s = load("n95-2020")
    data = s.model_dump(by_alias=True, exclude_none=True)
    i = next(i for i, p in enumerate(s.policies) if p.id == "ca-retaliation")
    j = next(i for i, p in enumerate(s.policies) if p.id == "us-export-ban")
    bad = _sorted(ScenarioError([Problem("f", 1, ("policies", i, "activate", 0), "a"),
                                 Problem("f", 1, ("policies", j, "end"), "b"),
                                 Problem("f", 1, ("lanes", 0, "capacity"), "c")]),
                  data, ["policies.us-export-ban.end", "policies.us-export-ban.start"])
    assert bad.fields == {"policies.us-export-ban.end": ["b"]}
    assert bad.policies == {"ca-retaliation": ["activate.0: a"]}
    assert bad.general == ["lanes.0.capacity: c"]


def test_run_history_lists_every_run_with_its_changes(client: TestClient) -> None:
    on = enabled(load("n95-2020"), "history")
    first = run(client, FLAGSHIP, "history", on)
    second = run(client, FLAGSHIP, "history", [p for p in on if p != "dpa-3m"])
    page = client.get("/runs").text
    for r in (first, second):
        assert str(r.url).rsplit("/", 1)[1] in page
    assert "dpa-3m off" in page
    assert page.index(str(second.url).rsplit("/", 1)[1]) < page.index(str(first.url).rsplit("/", 1)[1])


def test_runs_are_saved_and_registered_in_the_results_catalogue(client: TestClient,
                                                                tmp_path: Path) -> None:
    from borderflow.store import catalogue

    on = enabled(load("n95-2020"), "history")
    plain = run(client, FLAGSHIP, "history", on)
    edited_ = run(client, FLAGSHIP, "history", on, **{"policies.dpa-3m.quantity": "1000"})
    client.get("/runs")  # waits for the registrations that follow each answer
    entries = catalogue.runs(tmp_path, kind="run")
    by_folder = {Path(p).name: e for p, e in zip(entries.path, entries.to_dict("records"), strict=True)}
    for page, label in ((plain, "history"), (edited_, "history (edited)")):
        name = str(page.url).rsplit("/", 1)[1]
        assert Path(by_folder[name]["path"]) == (tmp_path / "runs" / name).resolve()
        assert by_folder[name]["variants"] == label and by_folder[name]["allocator"] == "priority"
    assert str(edited_.url).rsplit("/", 1)[1].startswith("n95-2020-history-edited-")
    kpis = catalogue.query("select sum(unmet) as unmet from run_kpis where variant = 'history'", tmp_path)
    assert kpis.unmet[0] == pytest.approx(simulate("n95-2020", variant="history").kpis.unmet.sum())


def test_a_run_answered_just_before_shutdown_is_still_registered(tmp_path: Path) -> None:
    from borderflow.store import catalogue

    with TestClient(create_app(Settings(tmp_path))) as client:
        page = run(client, FLAGSHIP, "history", enabled(load("n95-2020"), "history"))
    name = str(page.url).rsplit("/", 1)[1]
    assert [Path(p).name for p in catalogue.runs(tmp_path).path] == [name]
    assert not (tmp_path / "runs" / name / "report.html").exists()  # written on first download


def test_history_shows_command_line_runs_too(client: TestClient, tmp_path: Path) -> None:
    from borderflow.store import save

    folder = save(simulate("two-country"), root=tmp_path)  # as `borderflow run` does
    page = client.get("/runs").text
    assert f'href="/runs/{folder.name}"' in page and "command line" in page
    opened = client.get(f"/runs/{folder.name}")
    assert opened.status_code == 200 and "made by the command line" in opened.text
    assert kpi_numbers(opened.text)[0] == f"{simulate('two-country').kpis.demand.iloc[0]:,.0f}"
    assert 'id="run-form"' not in opened.text


def test_a_broken_catalogue_stops_serve_before_it_starts(tmp_path: Path) -> None:
    from borderflow.model import ScenarioError

    (tmp_path / "catalog.duckdb").write_text("not a database")
    with pytest.raises(ScenarioError, match=r"catalog\.duckdb"):
        create_app(Settings(tmp_path))
    r = subprocess.run([sys.executable, "-m", "borderflow.cli", "serve", "--results", str(tmp_path)],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "catalog.duckdb" in r.stderr and "Traceback" not in r.stderr


def test_downloads_tables_as_csv_and_parquet_and_the_report(client: TestClient,
                                                               tmp_path: Path) -> None:
    page = run(client, FLAGSHIP, "history", enabled(load("n95-2020"), "history"))
    run_id = str(page.url).rsplit("/", 1)[1]
    stored = pd.read_parquet(tmp_path / "runs" / run_id / "kpis.parquet")
    csv = client.get(f"/runs/{run_id}/tables/kpis.csv")
    assert csv.status_code == 200 and "attachment" in csv.headers["content-disposition"]
    pd.testing.assert_frame_equal(pd.read_csv(io.StringIO(csv.text)), stored, check_dtype=False)
    parquet = client.get(f"/runs/{run_id}/tables/flows.parquet")
    assert parquet.status_code == 200
    pd.testing.assert_frame_equal(pd.read_parquet(io.BytesIO(parquet.content)),
                                  pd.read_parquet(tmp_path / "runs" / run_id / "flows.parquet"))
    report = client.get(f"/runs/{run_id}/report.html")
    assert report.status_code == 200 and report.text.startswith("<!DOCTYPE html>")
    assert "borderflow: n95-2020" in report.text and (tmp_path / "runs" / run_id / "report.html").is_file()
    for bad in (f"/runs/{run_id}/tables/nope.csv", f"/runs/{run_id}/tables/kpis.exe",
                "/runs/..%2F..%2Fetc/report.html", "/runs/20200101-000000-abcdef/report.html"):
        assert client.get(bad).status_code == 404, bad


def test_compare_shows_every_variant_side_by_side_and_the_heatmap(client: TestClient) -> None:
    page = client.get(f"{FLAGSHIP}/compare")
    assert page.status_code == 200
    c = compare("n95-2020")
    head = re.search(r'id="comparison">\s*<thead><tr>(.*?)</tr>', page.text, re.S)
    assert head and re.findall(r'<th class="n">([^<]*)</th>', head.group(1)) == list(c.results)
    row = c.table[(c.table.region == "on") & (c.table.commodity == "n95")
                  & (c.table.variant == "ban-no-exemptions")].iloc[0]
    assert f"{row.unmet:,.0f} ({row.unmet_pct:.1f}%) {row.delta_unmet_pct:+.1f} pp ▲" in page.text
    assert 'data-figure="figure-heatmap"' in page.text
    assert client.get("/scenarios/builtin/nope/compare").status_code == 404


# ---- attribution ----------------------------------------------------------------------------

ATTRIBUTE = f"{FLAGSHIP}/attribute"
THREE = ["us-export-ban", "dpa-3m", "airbridge"]  # 8 coalitions: quick, and care changes


def attribute_page(client: TestClient, variant: str | None, policies: list[str]) -> Any:
    return client.post(ATTRIBUTE, data={"csrf": csrf(client), "variant": variant or "",
                                        "policy": policies})


def test_the_scenario_page_links_to_its_variants_attribution(client: TestClient) -> None:
    page = client.get(f"{FLAGSHIP}?variant=ban-and-retaliation").text
    link = re.search(r'<a href="([^"]*)" id="attribute-link">', page)
    assert link and unescape(link.group(1)) == f"{ATTRIBUTE}?variant=ban-and-retaliation"
    ran = run(client, FLAGSHIP, "history", enabled(load("n95-2020"), "history"))
    assert f'href="{ATTRIBUTE}?variant=history" id="attribute-link"' in ran.text


def test_the_attribution_form_offers_the_variants_policies_in_force(client: TestClient) -> None:
    from borderflow.model import apply_variant

    page = client.get(f"{ATTRIBUTE}?variant=ban-and-retaliation")
    assert page.status_code == 200
    s = apply_variant(load("n95-2020"), "ban-and-retaliation")
    offered = re.findall(r'name="policy" value="([^"]*)"', page.text)
    assert offered == [p.id for p in s.policies if p.enabled]
    ticked = re.findall(r'name="policy" value="([^"]*)" id="[^"]*" checked', page.text)
    assert "ca-retaliation" in offered and "ca-retaliation" not in ticked  # not a player by default
    assert ticked == [p.id for p in s.policies if p.enabled and p.type != "retaliation"]
    assert 'name="variant" value="ban-and-retaliation"' in page.text
    assert '<option value="ban-and-retaliation" selected>' in page.text
    assert "data-figure" not in page.text and "/plotly.min.js" not in page.text


def test_the_attribution_page_shows_what_borderflow_attribute_computes(client: TestClient) -> None:
    from borderflow import attribute

    page = attribute_page(client, "ban-and-retaliation", THREE)
    assert page.status_code == 200
    a = attribute("n95-2020", variant="ban-and-retaliation", policies=THREE)
    top = a.rows.reindex(a.rows["contribution"].abs().sort_values(ascending=False).index)
    table = re.search(r'<div id="largest">(.*?)</div>', page.text, re.S)
    assert table
    first = re.search(r"<tbody>\s*<tr[^>]*>(.*?)</tr>", table.group(1), re.S)
    assert first and re.findall(r"<td[^>]*>([^<]*)</td>", first.group(1))[:4] == [
        "rest of the United States", "surgical", "airbridge",
        f"{top['contribution'].iloc[0]:,.0f}"]
    for key in ("waterfall-n95", "waterfall-surgical", "heatmap-n95", "heatmap-surgical", "care"):
        assert f'data-figure="figure-{key}"' in page.text
    assert '<script src="/plotly.min.js"></script>' in page.text
    assert "3 policies,\nevery coalition:\n8 runs" in page.text
    for p in THREE:  # the form keeps what was asked
        assert f'value="{p}" id="attribute-{p}" checked' in page.text
    assert 'value="ness-release" id="attribute-ness-release">' in page.text


def test_a_bad_attribution_request_is_a_clear_page_not_a_500(client: TestClient) -> None:
    r = attribute_page(client, "nope", THREE)
    assert r.status_code == 404 and "n95-2020 has no variant &#39;nope&#39;" in r.text
    assert client.get(f"{ATTRIBUTE}?variant=nope").status_code == 404
    assert client.get("/scenarios/builtin/nope/attribute").status_code == 404
    r = attribute_page(client, "history", ["ca-retaliation"])  # off in this variant
    assert r.status_code == 422
    assert "ca-retaliation is not enabled in this variant" in unescape(r.text)
    r = attribute_page(client, "history", ["no-such-policy"])
    assert r.status_code == 422 and "no policy &#39;no-such-policy&#39; in n95-2020" in r.text
    r = attribute_page(client, "history", [])
    assert r.status_code == 422 and "tick at least one policy" in r.text
    assert 'id="attribute-form"' in r.text  # the form again, to fix it
    r = client.post(ATTRIBUTE, data={"variant": "history", "policy": THREE})  # no CSRF token
    assert r.status_code == 403
    assert "script-src 'self'" in r.headers["content-security-policy"]


# ---- uploads --------------------------------------------------------------------------------


def test_upload_a_scenario_with_its_csv_then_run_it(client: TestClient) -> None:
    r = upload(client, TINY, {"demand.csv": DEMAND})
    assert r.status_code == 200 and "/scenarios/upload/" in str(r.url)
    assert "<h1>tiny" in r.text
    url = str(r.url).removeprefix("http://testserver")
    assert f'href="{url}"' in client.get("/").text
    ran = run(client, url, "open", [])
    assert ran.status_code == 200
    numbers = kpi_numbers(ran.text)
    assert numbers[0] == f"{sum(50 + d for d in range(10)):,.0f}"


def test_upload_a_workbook_or_csv_tables_and_run_them(client: TestClient,
                                                      tmp_path: Path) -> None:
    """A scenario uploaded as an Excel workbook, or as its CSV tables alone, is the scenario
    `borderflow export` wrote: the run shows the numbers of the YAML upload's run."""
    from borderflow.model.export import export

    yaml_page = upload(client, TINY, {"demand.csv": DEMAND})
    expected = kpi_numbers(run(client, str(yaml_page.url).removeprefix("http://testserver"),
                               "open", []).text)
    folder = tmp_path / "src"
    folder.mkdir()
    (folder / "tiny.yaml").write_text(TINY.replace("demand.csv", "use.csv"))
    (folder / "use.csv").write_text(DEMAND)  # demand.csv is the name of a table
    tiny = load(folder / "tiny.yaml")
    book = export(tiny, tmp_path / "book" / "tiny.xlsx")
    tables = export(tiny, tmp_path / "tables")
    assert (tables / "use.csv").read_text() == DEMAND
    pages = [upload(client, book.read_bytes(), {"use.csv": DEMAND}, name="tiny.xlsx")]
    files = [("csv", (p.name, io.BytesIO(p.read_bytes()), "text/csv"))
             for p in sorted(tables.glob("*.csv"))]
    pages.append(client.post("/upload", data={"csrf": csrf(client)}, files=files))
    for page in pages:
        assert page.status_code == 200 and "<h1>tiny" in page.text, page.text[:500]
        url = str(page.url).removeprefix("http://testserver")
        assert kpi_numbers(run(client, url, "open", []).text) == expected


def test_a_bad_csv_table_upload_names_the_table_and_row(client: TestClient,
                                                        tmp_path: Path) -> None:
    from borderflow.model.export import export

    (tmp_path / "tiny.yaml").write_text(TINY.replace("demand.csv", "use.csv"))
    (tmp_path / "use.csv").write_text(DEMAND)
    tables = export(load(tmp_path / "tiny.yaml"), tmp_path / "tables")
    nodes = (tables / "nodes.csv").read_text().replace(",on", ",onn")
    files = [("csv", (p.name, io.BytesIO(nodes.encode() if p.name == "nodes.csv"
                                         else p.read_bytes()), "text/csv"))
             for p in sorted(tables.glob("*.csv"))]
    r = client.post("/upload", data={"csrf": csrf(client)}, files=files)
    assert r.status_code == 400
    assert "nodes.csv:3: nodes." in r.text and "unknown region &#39;onn&#39;" in r.text
    assert str(tmp_path) not in r.text  # the server's folders are never shown
    r = client.post("/upload", data={"csrf": csrf(client)},
                    files=[("csv", ("nodes.csv", io.BytesIO(nodes.encode()), "text/csv"))])
    assert r.status_code == 400 and "scenario.csv" in r.text


def test_a_run_outlives_its_upload(tmp_path: Path) -> None:
    import shutil

    with TestClient(create_app(Settings(tmp_path))) as client:
        url = str(upload(client, TINY, {"demand.csv": DEMAND}).url).removeprefix("http://testserver")
        ran = run(client, url, "open", [])
    shutil.rmtree(tmp_path / "uploads" / url.rsplit("/", 1)[1])
    with TestClient(create_app(Settings(tmp_path))) as client:
        page = client.get(str(ran.url).removeprefix("http://testserver"))
        assert page.status_code == 200
        assert kpi_numbers(page.text) == kpi_numbers(ran.text)
        assert 'id="run-form"' not in page.text and "Results: tiny" in page.text
        assert client.get(url).status_code == 404


def test_upload_error_is_shown_next_to_its_line(client: TestClient, tmp_path: Path) -> None:
    bad = TINY.replace("lead_time: 1}", "lead_time: 0}").replace("capacity: 100", "capacity: lots")
    r = upload(client, bad, {"demand.csv": DEMAND}, name="mine.yaml")
    assert r.status_code == 400
    lines = bad.splitlines()
    for needle, message in (("lead_time: 0", "lead_time"), ("capacity: lots", "capacity")):
        n = next(i for i, line in enumerate(lines, 1) if needle in line)
        row = re.search(rf'<tr id="line-{n}" class="bad">(.*?)</tr>', r.text, re.S)
        assert row, f"line {n} not marked"
        assert f"mine.yaml:{n}:" in row.group(1) and message in row.group(1)
    assert list((tmp_path / "uploads").iterdir()) == []  # nothing kept


def test_upload_keeps_nothing_when_invalid(client: TestClient, tmp_path: Path) -> None:
    upload(client, "format: 1\nname: [", {})
    assert [p for p in (tmp_path / "uploads").iterdir()] == []


def test_uploads_are_size_limited(client: TestClient) -> None:
    big = TINY + "#" * (2**20)
    r = upload(client, big, {"demand.csv": DEMAND})
    assert r.status_code == 413
    assert "scenario.yaml is larger than the limit of 1 MiB per file" in unescape(r.text)
    r = upload(client, TINY, {"demand.csv": DEMAND + "1\n" * (2**19)})
    assert r.status_code == 413 and "demand.csv is larger" in r.text
    many = {f"d{i}.csv": DEMAND for i in range(20)}  # 21 files with the YAML; the limit is 20
    r = upload(client, TINY, {"demand.csv": DEMAND, **many})
    assert r.status_code == 400 and "Too many files" in r.text
    assert upload(client, TINY, {"demand.csv": DEMAND, **dict(list(many.items())[:18])}).status_code == 200


def test_uploads_refuse_object_constructing_yaml_tags(client: TestClient, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    evil = TINY.replace("description: a plant", f'description: !!python/object/apply:os.system '
                        f'["touch {marker}"]\nx: a plant')
    r = upload(client, evil, {"demand.csv": DEMAND})
    assert r.status_code == 400
    assert "tag !!python/object/apply:os.system is not allowed" in r.text
    assert re.search(r'<tr id="line-3" class="bad">', r.text)
    assert not marker.exists()


@pytest.mark.parametrize("path", ["../../../../etc/passwd", "/etc/passwd", "sub/demand.csv",
                                  "..", "other.csv"])
def test_uploaded_scenarios_read_only_their_own_csv_files(client: TestClient, path: str) -> None:
    r = upload(client, TINY.replace("csv: demand.csv", f"csv: {path}"), {"demand.csv": DEMAND})
    assert r.status_code == 400
    n = next(i for i, line in enumerate(TINY.splitlines(), 1) if "csv: demand.csv" in line)
    row = re.search(rf'<tr id="line-{n}" class="bad">(.*?)</tr>', r.text, re.S)
    assert row and "may read only CSV files uploaded with it" in row.group(1)
    assert "root:" not in r.text


def test_a_variant_cannot_point_a_series_outside_the_upload(client: TestClient) -> None:
    evil = TINY.replace("  banned: {}", "  banned: {set: {nodes.hospital.demand.n95.csv: /etc/passwd}}")
    r = upload(client, evil, {"demand.csv": DEMAND})
    assert r.status_code == 400 and "may read only CSV files uploaded with it" in r.text
    evil = TINY.replace("  banned: {}", "  banned: {set: {nodes.hospital.demand.n95: "
                        "{csv: ../x.csv, column: n95}}}")
    r = upload(client, evil, {"demand.csv": DEMAND})
    assert r.status_code == 400 and "may read only CSV files uploaded with it" in r.text


@pytest.mark.parametrize("name", ["../evil.csv", "..\\evil.csv", "/tmp/evil.csv", ".hidden.csv",
                                  "evil.txt"])
def test_csv_file_names_with_folders_are_refused(client: TestClient, tmp_path: Path,
                                                  name: str) -> None:
    r = upload(client, TINY, {"demand.csv": DEMAND, name: DEMAND})
    assert r.status_code == 400 and "refused" in r.text
    assert not (tmp_path / "evil.csv").exists() and not Path("/tmp/evil.csv").exists()
    assert not (tmp_path / "uploads").exists() or list((tmp_path / "uploads").iterdir()) == []


def test_a_csv_replaced_by_a_symlink_out_of_the_upload_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "secret.csv"
    outside.write_text("n95\n" + "1\n" * 10)
    with TestClient(create_app(Settings(tmp_path / "data"))) as client:
        r = upload(client, TINY, {"demand.csv": DEMAND})
        key = str(r.url).rsplit("/", 1)[1]
    folder = tmp_path / "data" / "uploads" / key
    (folder / "demand.csv").unlink()
    (folder / "demand.csv").symlink_to(outside)
    with TestClient(create_app(Settings(tmp_path / "data"))) as client:  # nothing cached
        r = client.get(f"/scenarios/upload/{key}")
        assert r.status_code == 400 and "demand.csv is not a regular file of this upload" in r.text
        assert f"/scenarios/upload/{key}" not in client.get("/").text


def test_every_user_supplied_name_is_escaped(client: TestClient) -> None:
    r = upload(client, TINY.replace("name: tiny", f"name: '{TAG}'"), {"demand.csv": DEMAND})
    assert r.status_code == 400
    assert TAG not in r.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in r.text
    named = (TINY.replace("description: a plant", f"description: '{TAG}' # a plant")
             .replace("name: Ontario", f"name: '{TAG}'")
             .replace("start: 2}", f"start: 2, description: '{TAG}'}}")
             .replace("open: {disable", f"open: {{description: '{TAG}', disable")
             .replace("respirator}", f"'{TAG}'}}"))
    r = upload(client, named, {"demand.csv": DEMAND}, name="x.yaml")
    assert r.status_code == 200, r.text
    url = str(r.url).removeprefix("http://testserver")
    ran = run(client, url, "banned", ["ban"])
    assert ran.status_code == 200
    pages = [r, ran, client.get("/"), client.get(f"{url}/compare"), client.get("/runs"),
             client.get(f"{url}/attribute?variant=banned"),
             client.post(f"{url}/attribute", data={"csrf": csrf(client), "variant": "banned",
                                                   "policy": ["ban"]}),
             client.get(str(ran.url).removeprefix("http://testserver") + "/report.html"),
             upload(client, named.replace("lead_time: 1", f"lead_time: '{TAG}'"),
                    {"demand.csv": DEMAND})]
    for page in pages:
        assert page.status_code in (200, 400)
        assert TAG not in page.text, page.url
        assert "<script>alert" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in ran.text


# ---- security -------------------------------------------------------------------------------


def test_state_changes_need_post_with_the_session_csrf_token(client: TestClient) -> None:
    on = enabled(load("n95-2020"), "history")
    real = csrf(client)
    wrong_last = real[:-1] + ("B" if real.endswith("A") else "A")  # always differs from the real one
    for token in (None, "", "x" * 43, wrong_last):
        data: dict[str, Any] = {"variant": "history", "policy": on}
        if token is not None:
            data["csrf"] = token
        r = client.post(f"{FLAGSHIP}/run", data=data)
        assert r.status_code == 403 and "CSRF" in r.text
        r = upload(client, TINY, {"demand.csv": DEMAND}, token=token or "")
        assert r.status_code == 403
    assert client.get(f"{FLAGSHIP}/run").status_code == 405
    assert client.get("/upload").status_code == 405
    assert run(client, FLAGSHIP, "history", on).status_code == 200


def test_the_csrf_cookie_is_http_only_and_same_site(tmp_path: Path) -> None:
    with TestClient(create_app(Settings(tmp_path))) as client:
        cookie = client.get("/").headers["set-cookie"].lower()
    assert "borderflow_csrf=" in cookie and "httponly" in cookie and "samesite=strict" in cookie


def test_a_csrf_pair_the_server_did_not_issue_is_refused(tmp_path: Path) -> None:
    """A page on another port of this host is the same site: it can plant a cookie and send
    a matching field. Only a token signed by this server process passes."""
    on = enabled(load("n95-2020"), "history")
    with TestClient(create_app(Settings(tmp_path / "other"))) as other:
        foreign = csrf(other)  # well formed, signed by another server's secret
    with TestClient(create_app(Settings(tmp_path))) as client:
        for planted in ("x" * 43, foreign, foreign.split(".")[0] + ".x"):
            client.cookies.clear()
            client.cookies.set("borderflow_csrf", planted, domain="testserver.local")
            r = client.post(f"{FLAGSHIP}/run", data={"csrf": planted, "variant": "history",
                                                     "policy": on})
            assert r.status_code == 403 and "CSRF" in r.text
            assert "borderflow_csrf=" in r.headers["set-cookie"]  # replaced by an issued one
            assert planted not in r.headers["set-cookie"]
            client.cookies.set("borderflow_csrf", planted, domain="testserver.local")
            assert upload(client, TINY, {"demand.csv": DEMAND}, token=planted).status_code == 403
        assert not (tmp_path / "runs").exists() and not (tmp_path / "uploads").exists()
        assert run(client, FLAGSHIP, "history", on).status_code == 200  # the issued token works


def test_an_unknown_variant_is_a_404_with_the_security_headers(client: TestClient) -> None:
    r = client.post("/scenarios/builtin/two-country/run",
                    data={"csrf": csrf(client), "variant": "nope"})
    assert r.status_code == 404 and "has no variant &#39;nope&#39;" in r.text
    assert "script-src 'self'" in r.headers["content-security-policy"]
    assert r.headers["x-frame-options"] == "DENY"


def test_an_internal_error_is_a_500_with_the_security_headers(tmp_path: Path) -> None:
    def broken(s: Scenario, allocator: str) -> Result:
        raise RuntimeError("a bug")

    with TestClient(create_app(Settings(tmp_path, run=broken))) as client:
        r = run(client, "/scenarios/builtin/two-country", None, [])
    assert r.status_code == 500 and "a bug" not in r.text
    assert "script-src 'self'" in r.headers["content-security-policy"]
    assert r.headers["x-content-type-options"] == "nosniff"


def test_only_the_newest_uploads_are_kept(tmp_path: Path) -> None:
    with TestClient(create_app(Settings(tmp_path, max_uploads=2))) as client:
        urls = [str(upload(client, TINY.replace("name: tiny", f"name: tiny{i}"),
                           {"demand.csv": DEMAND}).url).removeprefix("http://testserver")
                for i in range(3)]
        assert [client.get(u).status_code for u in urls] == [404, 200, 200]
        home = client.get("/").text
        assert "tiny0" not in home and "tiny1" in home and "tiny2" in home
    assert sorted(p.name for p in (tmp_path / "uploads").iterdir()) == sorted(
        u.rsplit("/", 1)[1] for u in urls[1:])


@contextmanager
def served(root: Path) -> Iterator[int]:
    """The app on a real uvicorn server on a free loopback port; yields the port."""
    import uvicorn

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(Settings(root)), host="127.0.0.1",
                                           port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    try:
        yield port
    finally:
        server.should_exit = True
        thread.join(30)


def answer_before_the_end(port: int, path: str, headers: str, body: bytes) -> bytes:
    """Send a request's head and the start of its body, never its end, and return the server's
    answer: it must come while the body is still unfinished."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{headers}\r\n".encode())
        sock.sendall(body)
        assert select.select([sock], [], [], 10)[0], "no answer while the body was unfinished"
        answer = b""
        try:
            while chunk := sock.recv(65536):  # to the end: the server closes the connection
                answer += chunk
        except ConnectionResetError:
            # closing with our unread body in its buffer, the server's kernel sends a reset,
            # which may arrive after the answer: what came before it is the answer
            pass
        return answer


@pytest.mark.parametrize("path", ["/upload", f"{FLAGSHIP}/run"])
def test_a_chunked_body_is_refused_before_it_is_read(tmp_path: Path, path: str) -> None:
    """Without a Content-Length the size is unknown until the end: refused at once (411), so
    neither memory nor disk fill up. The body sent is the well-formed start of a file or field
    that never ends (a server that reads on waits for the rest)."""
    name = b'name="scenario"; filename="s.yaml"' if path == "/upload" else b'name="f:x"'
    chunk = b"--b\r\nContent-Disposition: form-data; " + name + b"\r\n\r\n" + b"a" * 2**16
    with served(tmp_path) as port:
        cookie = httpx.get(f"http://127.0.0.1:{port}/").cookies["borderflow_csrf"]
        head = (f"Cookie: borderflow_csrf={cookie}\r\nTransfer-Encoding: chunked\r\n"
                "Content-Type: multipart/form-data; boundary=b\r\n")
        answer = answer_before_the_end(port, path, head, b"%x\r\n" % len(chunk) + chunk + b"\r\n")
        assert answer.startswith(b"HTTP/1.1 411 ") and b"Content-Length" in answer
        assert b"script-src 'self'" in answer  # the security headers, as on every answer
        # a Content-Length over the limit is refused before any of the body is sent
        big = 21 * 2**20 if path == "/upload" else 2**20
        answer = answer_before_the_end(port, path, f"Content-Length: {big}\r\n", b"")
        assert answer.startswith(b"HTTP/1.1 413 ") and b"the limit is" in answer
    assert not (tmp_path / "uploads").exists() and not (tmp_path / "runs").exists()


def test_a_body_is_counted_as_it_arrives(tmp_path: Path) -> None:
    """Even without any length header (an ASGI server that passes none), the app stops reading
    a run's form once it passes the limit, and answers 413."""
    app = create_app(Settings(tmp_path))
    read = 0
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        nonlocal read
        read += 2**16
        assert read < 2**24, "the app read 16 MiB of a body without stopping"
        # one field per message, each under the form's 64 KiB per field
        return {"type": "http.request", "body": b"a=" + b"1" * (2**16 - 3) + b"&", "more_body": True}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
             "scheme": "http", "path": f"{FLAGSHIP}/run", "raw_path": f"{FLAGSHIP}/run".encode(),
             "query_string": b"", "root_path": "", "server": ("127.0.0.1", 8000),
             "client": ("127.0.0.1", 5000),
             "headers": [(b"host", b"127.0.0.1:8000"),
                         (b"content-type", b"application/x-www-form-urlencoded")]}
    asyncio.run(app(scope, receive, send))
    assert sent[0]["type"] == "http.response.start" and sent[0]["status"] == 413
    assert read <= 2**18 + 2**16  # the limit for a form, plus the message that passed it


def test_pages_send_a_content_security_policy(client: TestClient) -> None:
    headers = client.get("/").headers
    assert "script-src 'self'" in headers["content-security-policy"]
    assert "'unsafe-inline'" not in headers["content-security-policy"].split("script-src")[1].split(";")[0]
    assert headers["x-frame-options"] == "DENY" and headers["x-content-type-options"] == "nosniff"
    for page in (client.get(FLAGSHIP).text, client.post(f"{FLAGSHIP}/attribute", data={
            "csrf": csrf(client), "variant": "history", "policy": ["dpa-3m"]}).text):
        assert not re.search(r"<script(?![^>]*(src=|type=\"application/json\"))", page)


def test_with_a_token_every_request_needs_it(tmp_path: Path) -> None:
    secret = "s3cret-token-0123456789"
    with TestClient(create_app(Settings(tmp_path, token=secret))) as client:
        for path in ("/", FLAGSHIP, "/plotly.min.js", "/static/app.js", "/runs", "/nope"):
            assert client.get(path).status_code == 401, path
        assert client.get("/", headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert client.get("/?token=wrong").status_code == 401
        assert client.get("/", headers={"Authorization": f"Bearer {secret}"}).status_code == 200
        assert client.post(f"{FLAGSHIP}/run", data={}).status_code == 401
        r = client.get(f"{FLAGSHIP}?variant=history&token={secret}", follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == f"{FLAGSHIP}?variant=history"
        cookie = r.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=strict" in cookie
        assert client.get(FLAGSHIP).status_code == 200  # the cookie carries it now
        assert run(client, FLAGSHIP, "history", []).status_code == 200


def test_the_token_is_compared_in_constant_time() -> None:
    import inspect

    from borderflow.web import security

    assert "hmac.compare_digest" in inspect.getsource(security.same)
    assert security.same("abc", "abc") and not security.same("abc", "abd")


def test_serve_listens_on_loopback_port_8000_by_default(monkeypatch: pytest.MonkeyPatch,
                                                          tmp_path: Path) -> None:
    import uvicorn
    from typer.testing import CliRunner

    from borderflow.cli import app

    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: calls.append({"app": app, **kw}))
    monkeypatch.delenv("BORDERFLOW_TOKEN", raising=False)
    result = CliRunner().invoke(app, ["serve", "--results", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert calls[0]["host"] == "127.0.0.1" and calls[0]["port"] == 8000
    with TestClient(calls[0]["app"], base_url="http://127.0.0.1:8000") as client:
        assert client.get("/").status_code == 200
        for host in ("localhost:8000", "[::1]:8000", "127.0.0.1"):
            assert client.get("/", headers={"Host": host}).status_code == 200, host
        # a page elsewhere that rebinds its own name to 127.0.0.1 is not answered
        evil = client.get("/", headers={"Host": "evil.example:8000"})
        assert evil.status_code == 400 and "answers only to" in evil.text
    # with a token from the environment it may listen on every interface, and checks it
    monkeypatch.setenv("BORDERFLOW_TOKEN", "from-env-0123456789")
    result = CliRunner().invoke(app, ["serve", "--host", "0.0.0.0", "--results", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert calls[1]["host"] == "0.0.0.0"
    with TestClient(calls[1]["app"]) as client:
        assert client.get("/").status_code == 401
        assert client.get("/", headers={"Authorization": "Bearer from-env-0123456789"}).status_code == 200


def test_only_loopback_may_go_without_a_token() -> None:
    from borderflow.web import refuse_to_bind

    for host in ("127.0.0.1", "127.0.0.2", "::1", "[::1]", "localhost"):
        assert refuse_to_bind(host, None) is None, host
    for host in ("0.0.0.0", "192.168.1.5", "::", "example.org", "localhost.example.org", ""):
        assert refuse_to_bind(host, None), host
        assert refuse_to_bind(host, "a-token") is None


def test_serve_refuses_other_hosts_without_a_token(tmp_path: Path) -> None:
    host = "0.0.0.0"
    env = {k: v for k, v in os.environ.items() if k != "BORDERFLOW_TOKEN"}
    r = subprocess.run([sys.executable, "-m", "borderflow.cli", "serve", "--host", host,
                        "--results", str(tmp_path)], capture_output=True, text=True, env=env,
                       timeout=60)
    assert r.returncode == 2
    assert f"refusing to listen on {host} without a token" in r.stderr
    assert "--token" in r.stderr and "BORDERFLOW_TOKEN" in r.stderr and "Traceback" not in r.stderr


def test_the_pool_refuses_work_beyond_its_bound() -> None:
    gate = threading.Event()

    async def main() -> list[str]:
        pool = Pool(workers=1, queue=1)
        first = asyncio.ensure_future(pool.submit(gate.wait, 10))
        second = asyncio.ensure_future(pool.submit(gate.wait, 10))
        await asyncio.sleep(0)
        outcome = []
        try:
            await pool.submit(gate.wait, 10)
        except Busy:
            outcome.append("busy")
        gate.set()
        await first
        await second
        outcome.append("done")
        await pool.submit(lambda: None)  # a slot is free again
        outcome.append("free")
        pool.shutdown()
        return outcome

    assert asyncio.run(main()) == ["busy", "done", "free"]


def test_a_slow_run_never_blocks_pages_and_excess_runs_get_503(tmp_path: Path) -> None:
    from borderflow.store import save

    cli_run = save(simulate(load("two-country")), root=tmp_path).name  # no report yet
    gate = threading.Event()
    started = threading.Semaphore(0)

    def slow(s: Scenario, allocator: str) -> Result:
        started.release()
        assert gate.wait(30)
        return simulate(s, allocator=allocator)

    on = enabled(load("n95-2020"), "history")
    with TestClient(create_app(Settings(tmp_path, workers=2, queue=0, run=slow))) as client:
        token = csrf(client)
        data = {"csrf": token, "variant": "history", "policy": on}
        answers: list[int] = []
        threads = [threading.Thread(target=lambda: answers.append(
            client.post(f"{FLAGSHIP}/run", data=data).status_code)) for _ in range(2)]
        for t in threads:
            t.start()
        assert started.acquire(timeout=30) and started.acquire(timeout=30)  # both workers busy
        assert client.get("/").status_code == 200
        assert client.get(FLAGSHIP).status_code == 200
        busy = client.post(f"{FLAGSHIP}/run", data=data)
        assert busy.status_code == 503 and "busy" in busy.text
        assert client.get(f"{FLAGSHIP}/compare").status_code == 503
        # building a report is work like a run: it waits for no unbounded queue either
        assert client.get(f"/runs/{cli_run}/report.html").status_code == 503
        assert not (tmp_path / "runs" / cli_run / "report.html").exists()
        gate.set()
        for t in threads:
            t.join(60)
        assert answers == [200, 200]
        assert run(client, FLAGSHIP, "history", on).status_code == 200  # slots freed
        assert client.get(f"/runs/{cli_run}/report.html").status_code == 200


def test_templates_and_static_files_are_package_data() -> None:
    from importlib import resources

    root = resources.files("borderflow.web")
    for name in ("templates/base.html", "templates/scenario.html", "templates/upload_error.html",
                 "static/app.js", "static/style.css"):
        assert root.joinpath(name).is_file(), name
