"""The single-file HTML report: a title, the scenario summary, the KPI table and the figures,
with plotly's JavaScript inlined once so the file works offline (no CDN, no network).

Every user-supplied text (descriptions, region, node and policy names) is HTML-escaped; the
figures' data is JSON in which plotly escapes `<`, `>` and `/`. Figure divs carry fixed ids,
so the same tables give the same file byte for byte."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Mapping, Sequence
from html import escape
from typing import Any

import pandas as pd
import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

from ..results import Comparison
from ..results.schema import CONSERVATION, KPIS, ORDERS, Column, Table
from ..store import RunTables
from . import figures
from .network_map import drawable, network_map

CONFIG = {"responsive": True, "displaylogo": False,
          "toImageButtonOptions": {"format": "png", "scale": 2}}

STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem auto;
       max-width: 1100px; padding: 0 1rem; color: #222; }
h1 { margin-bottom: .2rem; } h2 { margin-top: 2.2rem; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; margin: .6rem 0; font-size: .92rem; }
th, td { padding: .25rem .6rem; border-bottom: 1px solid #eee; }
th { text-align: left; background: #f6f6f6; } td.n { text-align: right; font-variant-numeric: tabular-nums; }
tr.bad td { color: #b00; font-weight: 600; } tr.warn td { color: #a60; }
dl { display: grid; grid-template-columns: max-content auto; gap: .2rem 1rem; }
dt { color: #666; } dd { margin: 0; } .fig { margin: 1rem 0 2rem; } .muted { color: #666; }
"""


def _num(value: Any, digits: int = 0) -> str:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return "-"
    return "-" if not math.isfinite(v) else f"{v:,.{digits}f}"


def _region(regions: Mapping[str, Any], rid: object) -> str:
    info = regions.get(str(rid), {})
    return escape(str(info.get("name") or rid))


def _cell(column: Column, value: Any, regions: Mapping[str, Any]) -> str:
    if column.name == "region":
        return f"<td>{_region(regions, value)}</td>"
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return "<td></td>"
    if column.digits is None:
        return f"<td>{escape(str(value))}</td>"
    return f'<td class="n">{_num(value, column.digits)}</td>'


def schema_table(frame: pd.DataFrame, table: Table, regions: Mapping[str, Any],
                 row_class: Callable[[Any], str] | None = None) -> str:
    """`frame`'s rows as an HTML table of the columns `table` declares, headed and formatted
    as it says (region ids shown by name); `row_class` gives each row's class."""
    rows = []
    columns = table.shown(frame)
    for r in frame.itertuples(index=False):
        cells = "".join(_cell(c, getattr(r, c.name), regions) for c in columns)
        rows.append(f"<tr>{cells}</tr>" if row_class is None else
                    f'<tr class="{row_class(r)}">{cells}</tr>')
    return _table([c.heading.replace("\n", " ") for c in columns], rows)


def severity(row: Any) -> str:
    """How a KPI row is marked: `bad` at 10% unmet or more, `warn` for any unmet demand."""
    return "bad" if row.unmet_pct >= 10 else "warn" if row.unmet > 0.5 else ""


def kpi_table(kpis: pd.DataFrame, regions: Mapping[str, Any]) -> str:
    """The per-region KPI table (as `borderflow run` prints it) in HTML."""
    return schema_table(kpis, KPIS, regions, severity)


def _table(head: Sequence[str], rows: Sequence[str]) -> str:
    ths = "".join(f"<th>{escape(h)}</th>" for h in head)
    return f"<table><thead><tr>{ths}</tr></thead><tbody>\n" + "\n".join(rows) + "\n</tbody></table>"


def _figure(key: str, fig: go.Figure) -> str:
    div: str = fig.to_html(full_html=False, include_plotlyjs=False, div_id=f"figure-{key}",
                           config=CONFIG)
    return f'<div class="fig">{div}</div>'


def _page(title: str, body: Sequence[str]) -> str:
    """One HTML document; plotly.js inlined exactly once, in the head."""
    return "\n".join([
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{escape(title)}</title>",
        f"<style>{STYLE}</style>",
        f'<script type="text/javascript">{get_plotlyjs()}</script>',
        "</head><body>",
        *body,
        '<p class="muted">Made by borderflow. Every figure has a camera button for a PNG; '
        "<code>borderflow report DIR --png</code> writes them all.</p>",
        "</body></html>",
        "",
    ])


def run_figures(run: RunTables) -> dict[str, go.Figure]:
    """The run report's figures by key (the keys of `figures.TITLES`); care only if the
    scenario has care sites."""
    info = run.manifest
    regions = info["regions"]
    start = dt.date.fromisoformat(info["start"])
    figs = {
        "days_of_supply": figures.days_of_supply(run.supply, regions),
        "unmet_demand": figures.unmet_demand(run.kpis, regions),
        "flows": figures.flows(run.flows, run.constraints),
        "policy_timeline": figures.policy_timeline(run.policies, start, int(info["days"])),
    }
    if len(run.care):
        figs["care"] = figures.care(run.care, start)
    nodes = info.get("nodes") or {}  # folders written before the map have no places
    if drawable(nodes):
        figs["map"] = network_map(nodes, run.flows, run.constraints, run.sites, start,
                                  int(info["days"]))
    return figs


def run_report(run: RunTables) -> str:
    """The report of one run, from its tables (in memory or read back from a run folder)."""
    info, summary = run.manifest, run.summary
    variant = str(info["variants"][0])
    described = info["variant_descriptions"].get(variant)
    name = str(info["scenario"]) + (f" / {variant}" if variant else "")
    facts = [("scenario", escape(str(info["scenario"]))),
             ("description", escape(str(info.get("description") or "")))]
    if variant:
        facts.append(("variant", escape(variant) + (
            f" — {escape(str(described))}" if described else "")))
    start = dt.date.fromisoformat(info["start"])
    facts += [("horizon", f"{int(info['days'])} days from {start.isoformat()}"),
              ("allocator", escape(str(summary.get("allocator", "")))),
              ("mass balance error", f"{float(summary['balance']['max_abs_error']):.2g} units")]
    body = [f"<h1>borderflow: {escape(name)}</h1>",
            "<dl>" + "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in facts) + "</dl>",
            "<h2>Key figures by region</h2>", kpi_table(run.kpis, info["regions"])]
    care = summary.get("care") or []
    if care:
        body.append(_table(["care site", "region", "unstaffed patient-days"], [
            f"<tr><td>{escape(str(c['site']))}</td><td>{_region(info['regions'], c['region'])}</td>"
            f'<td class="n">{_num(c["unstaffed_patient_days"])}</td></tr>' for c in care]))
    if summary.get("orders"):
        body += ["<h2>Rated orders</h2>", schema_table(
            pd.DataFrame(summary["orders"]), ORDERS, info["regions"],
            lambda r: "bad" if r.status == "short" else "warn" if r.status == "late" else "")]
    if summary.get("conservation"):
        body += ["<h2>Crisis conservation: when each site entered and left it</h2>",
                 schema_table(pd.DataFrame(summary["conservation"]), CONSERVATION,
                              info["regions"])]
    for key, fig in run_figures(run).items():
        body += [f"<h2>{escape(figures.TITLES[key])}</h2>", _figure(key, fig)]
    return _page(f"borderflow: {name}", body)


def comparison_figures(c: Comparison) -> dict[str, go.Figure]:
    regions = {rid: {"name": r.name or rid} for rid, r in c.scenario.regions.items()}
    return {"heatmap": figures.heatmap(c.table, regions, c.baseline)}


def comparison_report(c: Comparison) -> str:
    """The report of a variant comparison: the variants, the heatmap of who is hurt, and the
    comparison tables."""
    s = c.scenario
    regions = {rid: {"name": r.name or rid} for rid, r in s.regions.items()}
    variants = [f"<tr><td>{escape(v)}</td><td>{escape(s.variants[v].description)}</td></tr>"
                if v in s.variants else f"<tr><td>{escape(v)}</td><td></td></tr>" for v in c.results]
    body = [f"<h1>borderflow: {escape(s.name)} — variants compared</h1>",
            f"<p>{escape(s.description)}</p>",
            f"<p>Baseline: <b>{escape(c.baseline)}</b>. {s.days} days from {s.start.isoformat()}.</p>",
            _table(["variant", "description"], variants)]
    for key, fig in comparison_figures(c).items():
        body += [f"<h2>{escape(figures.TITLES[key])}</h2>", _figure(key, fig)]
    rows = [f"<tr><td>{escape(str(r.variant))}</td><td>{_region(regions, r.region)}</td>"
            f"<td>{escape(str(r.commodity))}</td><td class=\"n\">{_num(r.unmet)}</td>"
            f'<td class="n">{_num(r.unmet_pct, 1)}</td><td class="n">{_num(r.delta_unmet)}</td>'
            f'<td class="n">{r.delta_unmet_pct:+.1f} pp</td>'
            f"<td>{escape(str(r.effect))}</td></tr>" for r in c.table.itertuples(index=False)]
    # a change in a percentage is in percentage points (pp), not a percentage of it
    body += ["<h2>Unmet demand by variant</h2>",
             _table(["variant", "region", "commodity", "unmet", "unmet %", "Δ unmet", "Δ unmet pp",
                     "effect"], rows)]
    if len(c.care):
        care = [f"<tr><td>{escape(str(r.variant))}</td><td>{escape(str(r.site))}</td>"
                f'<td class="n">{_num(r.unstaffed_patient_days)}</td>'
                f'<td class="n">{_num(r.delta_unstaffed_patient_days)}</td>'
                f"<td>{escape(str(r.effect))}</td></tr>" for r in c.care.itertuples(index=False)]
        body += ["<h2>Unstaffed patient-days by variant</h2>",
                 _table(["variant", "care site", "unstaffed patient-days", "Δ", "effect"], care)]
    return _page(f"borderflow: {s.name} variants", body)
