"""One function per figure of the report. Each takes the result tables (as `Result` builds them
or as a run folder stores them) and returns a plotly Figure; none computes a KPI: they only
select, sum over days for display, and draw what `results/` already computed.

User-supplied names (regions, nodes, policies) are HTML-escaped before plotly sees them: plotly
renders a few HTML tags inside labels, and an escaped name shows as written."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from html import escape
from typing import Any

import pandas as pd
import plotly.graph_objects as go

# plotly's "plotly_white" look in a few settings: the named template is copied and validated
# into every figure (most of the time it takes to draw a run) and written into every figure's
# JSON, ~6.5 KB each.
_AXIS = {"gridcolor": "#EBF0F8", "linecolor": "#EBF0F8", "zerolinecolor": "#EBF0F8",
         "automargin": True}
STYLE: dict[str, Any] = {
    "template": "none", "font": {"color": "#2a3f5f"}, "paper_bgcolor": "white",
    "plot_bgcolor": "white", "xaxis": _AXIS, "yaxis": _AXIS,
    "colorway": ["#636efa", "#EF553B", "#00cc96", "#ab63fa", "#FFA15A", "#19d3f3", "#FF6692",
                 "#B6E880", "#FF97FF", "#FECB52"],
}

TITLES = {
    "days_of_supply": "Days of supply at the point of care, by region",
    "unmet_demand": "Unmet demand by region and commodity",
    "flows": "Who shipped what to whom (red: held back by policy)",
    "policy_timeline": "Policy timeline: when each policy and retaliation was in force",
    "care": "Care capacity: patients against the patients the staff on duty can care for",
    "map": "The network on a map, day by day",
    "heatmap": "Who is hurt: change in unmet demand against the baseline (percentage points of demand)",
}

BLOCKED = "rgba(214, 39, 40, 0.55)"


def _name(regions: Mapping[str, Any], region: object) -> str:
    """The display name of a region id (escaped)."""
    info = regions.get(str(region))
    name = info.get("name") if isinstance(info, Mapping) else None
    return escape(str(name or region))


def _layout(fig: go.Figure, title: str, **kw: Any) -> go.Figure:
    fig.update_layout(STYLE, title=title, margin={"l": 60, "r": 30, "t": 60, "b": 50}, **kw)
    return fig


def days_of_supply(supply: pd.DataFrame, regions: Mapping[str, Any]) -> go.Figure:
    """One line per region and commodity: the sites' end-of-day stock in days of that day's
    demand; the dashed line at zero is a stockout."""
    fig = go.Figure()
    for (region, commodity), rows in supply.groupby(["region", "commodity"], sort=True):
        fig.add_trace(go.Scatter(
            x=[str(d) for d in rows["date"]], y=rows["days_of_supply"].round(3).tolist(),
            mode="lines", name=f"{_name(regions, region)} {escape(str(commodity))}",
            hovertemplate="%{x}: %{y:.1f} days<extra>%{fullData.name}</extra>"))
    fig.add_hline(y=0, line={"color": "crimson", "dash": "dash"}, annotation_text="stockout",
                  annotation_position="bottom right")
    return _layout(fig, TITLES["days_of_supply"], yaxis_title="days of supply",
                   xaxis_title="date", hovermode="x unified")


def unmet_demand(kpis: pd.DataFrame, regions: Mapping[str, Any]) -> go.Figure:
    """Unmet demand (units) per region, one bar per commodity; hover shows the share of demand."""
    fig = go.Figure()
    for commodity, rows in kpis.groupby("commodity", sort=True):
        fig.add_trace(go.Bar(
            x=[_name(regions, r) for r in rows["region"]], y=rows["unmet"].round(3).tolist(),
            name=escape(str(commodity)), customdata=rows["unmet_pct"].round(2).tolist(),
            hovertemplate="%{x}: %{y:,.0f} unmet (%{customdata:.1f}% of demand)"
                          "<extra>%{fullData.name}</extra>"))
    return _layout(fig, TITLES["unmet_demand"], barmode="group", yaxis_title="units unmet")


def flows(flows: pd.DataFrame, constraints: pd.DataFrame) -> go.Figure:
    """A Sankey of shipments summed over the horizon, one commodity at a time (a menu picks
    it: units of different commodities do not add up); red links are requests a policy held
    back (an export control, or a stockpile release's cap): requested minus shipped on the days
    a policy was the binding limit, summed over those days, so a need repeated daily counts
    each day."""
    shipped = flows.groupby(["from", "to", "commodity"], sort=True)["quantity"].sum().reset_index()
    by_policy = constraints[constraints["reason"].fillna("").str.startswith("policy:")].copy()
    by_policy["blocked"] = by_policy["requested"] - by_policy["shipped"]
    blocked = (by_policy[by_policy["blocked"] > 1e-9]
               .groupby(["from", "to", "commodity", "reason"], sort=True)["blocked"].sum()
               .reset_index())
    commodities = sorted(set(shipped["commodity"]) | set(blocked["commodity"]))
    fig = go.Figure()
    most = 1
    for k, commodity in enumerate(commodities):
        sank, held = shipped[shipped["commodity"] == commodity], blocked[blocked["commodity"] == commodity]
        nodes = sorted(set(sank["from"]) | set(sank["to"]) | set(held["from"]) | set(held["to"]))
        most = max(most, len(nodes))
        index = {n: i for i, n in enumerate(nodes)}
        name = escape(str(commodity))
        links = [(row[0], row[1], float(row.quantity), f"{name} shipped", "rgba(31, 119, 180, 0.35)")
                 for row in sank.itertuples(index=False)] + \
                [(row[0], row[1], float(row.blocked),
                  f"{name} held back by policy {escape(str(row.reason).removeprefix('policy:'))}",
                  BLOCKED) for row in held.itertuples(index=False)]
        fig.add_trace(go.Sankey(
            name=name, visible=k == 0, arrangement="snap",
            node={"label": [escape(n) for n in nodes], "pad": 24, "thickness": 14},
            link={"source": [index[a] for a, *_ in links], "target": [index[b] for _, b, *_ in links],
                  "value": [round(v, 3) for _, _, v, *_ in links], "label": [x[3] for x in links],
                  "color": [x[4] for x in links],
                  "hovertemplate": "%{source.label} → %{target.label}<br>%{label}: %{value:,.0f}"
                                   "<extra></extra>"}))
    menu = [{"type": "dropdown", "x": 0, "xanchor": "left", "y": 1.08, "yanchor": "bottom",
             "buttons": [{"label": escape(str(c)), "method": "update",
                          "args": [{"visible": [j == k for j in range(len(commodities))]}]}
                         for k, c in enumerate(commodities)]}] if len(commodities) > 1 else []
    # room for every node of the busiest commodity, so labels do not overlap
    return _layout(fig, TITLES["flows"], height=max(450, 160 + 36 * most), updatemenus=menu)


def policy_timeline(policies: pd.DataFrame, start: dt.date, days: int) -> go.Figure:
    """A bar per policy from its first to its last day in force (hover says on how many days it
    was in force, which is fewer if it paused), and a marker where a retaliation fired."""
    rows = policies.iloc[::-1]  # first policy on top
    names = [escape(str(p)) for p in rows["policy"]]
    on = rows["first_day"].notna().to_numpy()
    first = [int(v) if ok else 0 for v, ok in zip(rows["first_day"], on, strict=True)]
    last = [int(v) if ok else -1 for v, ok in zip(rows["last_day"], on, strict=True)]
    base = [(start + dt.timedelta(days=f)).isoformat() for f in first]
    length = [(lst - f + 1) * 86_400_000 if ok else 0 for f, lst, ok in zip(first, last, on, strict=True)]
    by = rows["enabled_by"] if "enabled_by" in rows else [None] * len(rows)
    text = [f"{escape(str(t))}: in force on {int(a)} days" + (
                f", switched on by {escape(str(b))}" if isinstance(b, str) and b != "scenario"
                else "") if ok else f"{escape(str(t))}: never in force"
            for t, a, b, ok in zip(rows["type"], rows["active_days"], by, on, strict=True)]
    fig = go.Figure(go.Bar(y=names, x=length, base=base, orientation="h", hovertext=text,
                           hoverinfo="text+y", name="in force", marker={"color": "#1f77b4"}))
    fired = rows[rows["fired_day"].notna()]
    if len(fired):
        fig.add_trace(go.Scatter(
            y=[escape(str(p)) for p in fired["policy"]],
            x=[(start + dt.timedelta(days=int(d))).isoformat() for d in fired["fired_day"]],
            mode="markers", marker={"symbol": "star", "size": 14, "color": "crimson"},
            name="retaliation fired"))
    end = (start + dt.timedelta(days=days)).isoformat()
    fig.update_xaxes(type="date", range=[start.isoformat(), end])
    return _layout(fig, TITLES["policy_timeline"], height=140 + 28 * len(names),
                   xaxis_title="date", showlegend=len(fired) > 0)


def care(care: pd.DataFrame, start: dt.date) -> go.Figure:
    """Per care site, all in patients: patients in care, what the staff on duty can care for
    (staff x patients per staff; staff counts are in the hover) and patients beyond that."""
    fig = go.Figure()
    for site, rows in care.groupby("site", sort=True):
        dates = [(start + dt.timedelta(days=int(d))).isoformat() for d in rows["day"]]
        label = escape(str(site))
        fig.add_trace(go.Scatter(x=dates, y=rows["patients"].round(3).tolist(), mode="lines",
                                 name=f"{label} patients"))
        if "capacity" not in rows:  # a run folder written before the column existed
            rows = rows.assign(capacity=float("nan"))
        fig.add_trace(go.Scatter(x=dates, y=rows["capacity"].round(3).tolist(), mode="lines",
                                 line={"dash": "dot"}, name=f"{label} staff capacity",
                                 customdata=rows["staff"].round(0).tolist(),
                                 hovertemplate="%{y:,.0f} patients (%{customdata:,.0f} staff on "
                                               "duty)"))
        fig.add_trace(go.Scatter(x=dates, y=rows["unstaffed"].round(3).tolist(), mode="lines",
                                 fill="tozeroy", line={"color": "crimson"},
                                 name=f"{label} unstaffed patients"))
    return _layout(fig, TITLES["care"], xaxis_title="date", yaxis_title="patients",
                   hovermode="x unified")


def heatmap(table: pd.DataFrame, regions: Mapping[str, Any], baseline: str) -> go.Figure:
    """Rows: region and commodity; columns: the variants other than the baseline; colour: the
    change in unmet demand as a share of demand (red = hurt, blue = gains)."""
    others = table[table["variant"] != baseline]
    variants = list(dict.fromkeys(others["variant"]))
    keys = list(dict.fromkeys(zip(table["region"], table["commodity"], strict=True)))
    rows = [f"{_name(regions, r)} {escape(str(c))}" for r, c in keys]
    z: list[list[float | None]] = []
    text: list[list[str]] = []
    indexed = others.set_index(["region", "commodity", "variant"])
    for key in keys:
        zr: list[float | None] = []
        tr: list[str] = []
        for v in variants:
            if (*key, v) in indexed.index:
                row = indexed.loc[(*key, v)]
                zr.append(round(float(row["delta_unmet_pct"]), 3))
                tr.append(f"{row['effect']}: {float(row['delta_unmet']):+,.0f} units")
            else:
                zr.append(None)
                tr.append("")
        z.append(zr)
        text.append(tr)
    peak = max((abs(v) for zr in z for v in zr if v is not None), default=0.0) or 1.0
    fig = go.Figure(go.Heatmap(
        z=z, x=[escape(v) for v in variants], y=rows, text=text, zmid=0, zmin=-peak, zmax=peak,
        colorscale="RdBu_r", colorbar={"title": "Δ unmet, pp of demand"},
        texttemplate="%{z:+.1f} pp",
        hovertemplate="%{y}, %{x}: %{z:+.1f} pp (%{text})<extra></extra>"))
    return _layout(fig, TITLES["heatmap"], height=160 + 34 * len(rows),
                   xaxis_title=f"variant (against {escape(baseline)})")
