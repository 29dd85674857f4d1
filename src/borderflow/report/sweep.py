"""The sweep report: stockout probabilities, quantiles of unmet demand and, for the regions the
sweep kept daily series of, fan charts over days. Like the run report it is one offline file
(plotly.js inlined once), user names escaped, and rebuilt byte for byte from the sweep folder.

It draws what `sweep/` computed (`SweepResult.summary()` and `.fan()`); it computes nothing."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from html import escape
from typing import Any

import pandas as pd
import plotly.graph_objects as go
from plotly.colors import hex_to_rgb
from plotly.colors import qualitative as palettes
from plotly.subplots import make_subplots

from ..results.schema import SUMMARY
from ..studies import SweepResult
from .figures import _layout, _name
from .html import _figure, _page, _table, schema_table

TITLES = {
    "stockout_probability": "Probability of any stockout, by variant (share of samples with a "
                            "day of unmet demand)",
    "unmet_quantiles": "Unmet demand, % of demand: median (bar) and P10–P90 (whisker) over samples",
}
FAN_TITLE = "{}: days of supply and unmet demand to date over samples"
FAN_NOTE = ("Bands: P10–P90 (light) and P25–P75 (dark) over samples; line: the median. Days of "
            "supply: the region's sites' end-of-day stock in days of that day's demand. Unmet "
            "to date: unmet demand so far as a share of demand so far.")
COLOURS = palettes.Plotly


def _rgba(colour: str, alpha: float) -> str:
    r, g, b = hex_to_rgb(colour)
    return f"rgba({r}, {g}, {b}, {alpha})"


def _rows(summary: pd.DataFrame, regions: Mapping[str, Any]) -> list[str]:
    keys = dict.fromkeys(zip(summary["region"], summary["commodity"], strict=True))
    return [f"{_name(regions, r)} {escape(str(c))}" for r, c in keys]


def stockout_probability(summary: pd.DataFrame, regions: Mapping[str, Any]) -> go.Figure:
    """Rows: region and commodity; columns: variants; colour: P(any stockout)."""
    variants = list(dict.fromkeys(summary["variant"]))
    table = summary.set_index(["region", "commodity", "variant"])["p_stockout"]
    keys = list(dict.fromkeys(zip(summary["region"], summary["commodity"], strict=True)))
    z = [[round(float(table[(*k, v)]), 4) if (*k, v) in table.index else None for v in variants]
         for k in keys]
    fig = go.Figure(go.Heatmap(
        z=z, x=[escape(str(v)) for v in variants], y=_rows(summary, regions), zmin=0, zmax=1,
        colorscale="Reds", colorbar={"title": "P(stockout)"}, texttemplate="%{z:.0%}",
        hovertemplate="%{y}, %{x}: %{z:.1%} of samples run out<extra></extra>"))
    fig.update_yaxes(autorange="reversed")  # first region on top, as in the table
    return _layout(fig, TITLES["stockout_probability"], height=160 + 34 * len(keys),
                   xaxis_title="variant")


def unmet_quantiles(summary: pd.DataFrame, regions: Mapping[str, Any]) -> go.Figure:
    """Per variant, a bar at the median unmet % of each region and commodity, whiskers from
    P10 to P90."""
    fig = go.Figure()
    for i, (variant, rows) in enumerate(summary.groupby("variant", sort=False)):
        p10, p50, p90 = (rows[f"unmet_pct_{p}"].round(3) for p in ("p10", "p50", "p90"))
        fig.add_trace(go.Bar(
            x=_rows(rows, regions), y=p50.tolist(), name=escape(str(variant)),
            marker={"color": COLOURS[i % len(COLOURS)]},
            error_y={"type": "data", "symmetric": False, "array": (p90 - p50).round(3).tolist(),
                     "arrayminus": (p50 - p10).round(3).tolist()},
            customdata=list(zip(p10.tolist(), p90.tolist(), strict=True)),
            hovertemplate="%{x}: median %{y:.1f}% (P10 %{customdata[0]:.1f}%, "
                          "P90 %{customdata[1]:.1f}%)<extra>%{fullData.name}</extra>"))
    return _layout(fig, TITLES["unmet_quantiles"], barmode="group", yaxis_title="unmet, % of demand")


def fan(rows: pd.DataFrame, variants: list[str], title: str, start: dt.date) -> go.Figure:
    """One region: a row per commodity, days of supply (left) and unmet to date (right); per
    variant (coloured in the order of `variants`, as in the other figures) a light P10–P90
    band, a darker P25–P75 band and the median line."""
    commodities = sorted(set(rows["commodity"]))
    fig = make_subplots(rows=len(commodities), cols=2, shared_xaxes=True,
                        vertical_spacing=0.22 / max(1, len(commodities)), horizontal_spacing=0.08,
                        subplot_titles=[f"{escape(str(c))}: {what}" for c in commodities
                                        for what in ("days of supply", "unmet to date, % of demand")])
    for r, commodity in enumerate(commodities, start=1):
        for col, measure in enumerate(("days_of_supply", "unmet_to_date_pct"), start=1):
            for i, variant in enumerate(variants):
                q = rows[(rows["commodity"] == commodity) & (rows["measure"] == measure) &
                         (rows["variant"] == variant)].sort_values("day")
                if not len(q):
                    continue
                colour = COLOURS[i % len(COLOURS)]
                x = [(start + dt.timedelta(days=int(d))).isoformat() for d in q["day"]]
                name = escape(str(variant))
                band = {"x": x, "mode": "lines", "line": {"width": 0}, "legendgroup": name,
                        "name": name, "showlegend": False, "hoverinfo": "skip"}
                for low, high, alpha in (("p10", "p90", 0.15), ("p25", "p75", 0.3)):
                    fig.add_trace(go.Scatter(y=q[low].round(3).tolist(), **band), row=r, col=col)
                    fig.add_trace(go.Scatter(y=q[high].round(3).tolist(), fill="tonexty",
                                             fillcolor=_rgba(colour, alpha), **band), row=r, col=col)
                fig.add_trace(go.Scatter(
                    x=x, y=q["p50"].round(3).tolist(), mode="lines", legendgroup=name, name=name,
                    showlegend=r == 1 and col == 1, line={"color": colour, "width": 2},
                    customdata=list(zip(q["p10"].round(3), q["p90"].round(3), strict=True)),
                    hovertemplate="%{x}: median %{y:.1f} (P10 %{customdata[0]:.1f}, "
                                  "P90 %{customdata[1]:.1f})<extra>%{fullData.name}</extra>"),
                    row=r, col=col)
        fig.add_hline(y=0, line={"color": "crimson", "dash": "dash", "width": 1}, row=r, col=1)
    return _layout(fig, title, height=120 + 260 * len(commodities), hovermode="x unified")


def _key(region: str) -> str:
    return "fan-" + re.sub(r"[^a-z0-9_-]", "_", region)


def sweep_figures(result: SweepResult, info: Mapping[str, Any]) -> dict[str, go.Figure]:
    """The sweep report's figures by key: the two of TITLES, then `fan-REGION` per region with
    daily series."""
    regions = info["regions"]
    summary = result.summary()
    figs = {"stockout_probability": stockout_probability(summary, regions),
            "unmet_quantiles": unmet_quantiles(summary, regions)}
    variants = list(dict.fromkeys(summary["variant"]))
    start = dt.date.fromisoformat(info["start"])
    for region, rows in result.fan().groupby("region", sort=False):
        figs[_key(str(region))] = fan(rows, variants, FAN_TITLE.format(_name(regions, region)),
                                      start)
    return figs


def sweep_report(result: SweepResult, info: Mapping[str, Any]) -> str:
    """The report of a sweep, from its result and its folder's manifest."""
    regions = info["regions"]
    descriptions = info["variant_descriptions"]
    variants = [f"<tr><td>{escape(v or '(as written)')}</td>"
                f"<td>{escape(str(descriptions.get(v, '')))}</td></tr>" for v in result.variants]
    start = dt.date.fromisoformat(info["start"])
    facts = [("scenario", escape(str(info["scenario"]))),
             ("description", escape(str(info.get("description") or ""))),
             ("horizon", f"{int(info['days'])} days from {start.isoformat()}"),
             ("samples", f"{result.samples:,} per variant, seed {result.seed}")]
    body = [f"<h1>borderflow: {escape(str(info['scenario']))} — Monte Carlo sweep</h1>",
            "<dl>" + "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in facts) + "</dl>",
            _table(["variant", "description"], variants),
            "<h2>Unmet demand and stockout risk</h2>",
            schema_table(result.summary(), SUMMARY, regions)]
    figs = sweep_figures(result, info)
    for key, fig in figs.items():
        # figure titles are our words and names escaped when the figure was built
        body += [f"<h2>{fig.layout.title.text}</h2>", _figure(key, fig)]
        if key.startswith("fan-"):
            body.append(f'<p class="muted">{escape(FAN_NOTE)}</p>')
    if not result.has_daily:
        body.append('<p class="muted">No fan charts: this sweep kept no daily series; run it with '
                    "<code>--daily REGION[,REGION]</code> for them.</p>")
    return _page(f"borderflow: {info['scenario']} sweep", body)
