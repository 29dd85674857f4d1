"""The stress-test report: the targets ranked by exposure (a bar chart and the table) and a
heatmap of each target's impact on each region and commodity. Built from the folder's
tables and its `stress --json` document, so a folder's report can be rebuilt from its files."""

from __future__ import annotations

from collections.abc import Mapping
from html import escape
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from ..results.schema import STRESS
from .figures import _layout, _name
from .html import _figure, _page, schema_table

HEATMAP_TARGETS = 40  # the most exposed; the rest are in the tables


def exposure_bars(rows: pd.DataFrame) -> go.Figure:
    """One bar per target, most exposed on top, with its TTS in the hover."""
    shown = rows.head(HEATMAP_TARGETS).iloc[::-1]
    tts = ["survives" if pd.isna(t) else f"TTS {int(t)} days" for t in shown["tts_days"]]
    fig = go.Figure(go.Bar(
        y=[escape(str(t)) for t in shown["target"]], x=shown["exposure_index"].round(4).tolist(),
        orientation="h", customdata=list(zip(tts, shown["impact_units"].round(0).tolist(),
                                             strict=True)),
        hovertemplate="%{y}: exposure %{x:.3f}<br>%{customdata[0]}, "
                      "%{customdata[1]:,.0f} units lost<extra></extra>"))
    return _layout(fig, "Exposure: impact of each target's disruption, the worst = 1",
                   height=140 + 24 * len(shown), xaxis_title="risk exposure index",
                   xaxis={"range": [0, 1.05]})


def impact_heatmap(rows: pd.DataFrame, regions: pd.DataFrame,
                   names: Mapping[str, Any]) -> go.Figure:
    """Rows: the most exposed targets; columns: region and commodity; colour: the unmet demand
    the disruption adds, as a share of the region's demand (red: hurt, blue: better off)."""
    targets = rows["target"].head(HEATMAP_TARGETS).tolist()
    keys = list(dict.fromkeys(zip(regions["region"], regions["commodity"], strict=True)))
    cells = regions.set_index(["target", "region", "commodity"])
    z = [[round(float(cells.loc[(t, r, c), "impact_pct"]), 3) if (t, r, c) in cells.index
          else None for r, c in keys] for t in targets]
    units = [[float(cells.loc[(t, r, c), "impact_units"]) if (t, r, c) in cells.index else 0.0
              for r, c in keys] for t in targets]
    peak = max((abs(v) for zr in z for v in zr if v is not None), default=0.0) or 1.0
    fig = go.Figure(go.Heatmap(
        z=z, x=[f"{_name(names, r)} {escape(str(c))}" for r, c in keys],
        y=[escape(str(t)) for t in targets], customdata=units, zmid=0, zmin=-peak, zmax=peak,
        colorscale="RdBu_r", colorbar={"title": "Δ unmet, % of demand"},
        texttemplate="%{z:+.1f}",
        hovertemplate="%{y} out: %{x} %{z:+.2f}% of demand (%{customdata:+,.0f} units)"
                      "<extra></extra>"))
    return _layout(fig, "Who is hurt when each target is out (unmet demand added, % of the "
                   "region's demand)", height=180 + 26 * len(targets),
                   yaxis={"autorange": "reversed"})


def stress_figures(doc: dict[str, Any], regions: pd.DataFrame,
                   names: Mapping[str, Any]) -> dict[str, go.Figure]:
    rows = pd.DataFrame(doc["rows"], columns=STRESS.names)
    if not len(rows):
        return {}
    return {"exposure": exposure_bars(rows), "impact": impact_heatmap(rows, regions, names)}


def stress_report(doc: dict[str, Any], regions: pd.DataFrame, names: Mapping[str, Any]) -> str:
    """The report of one stress test (its `--json` document and its regions table);
    `names`: region id -> {name}."""
    title = f"{doc['scenario']}" + (f" / {doc['variant']}" if doc.get("variant") else "")
    rows = pd.DataFrame(doc["rows"], columns=STRESS.names)
    ttr = "each target's own" if doc.get("ttr_days") is None else f"{doc['ttr_days']} days"
    basis = "shortage cost" if doc.get("exposure_basis") == "cost" else "units of unmet demand"
    body = [f"<h1>borderflow: {escape(title)} — stress test</h1>",
            f"<p>Each target taken out from day {int(doc.get('start', 0))} for its time to "
            f"recover ({escape(ttr)}), the rest of the network as written, under the "
            f"{escape(str(doc['allocator']))} allocator. Time to survive (TTS): days until the "
            "sites are first short by more than undisrupted. Impact: the unmet demand the "
            "disruption adds to the horizon's end. Exposure: the impact in "
            f"{escape(basis)}, the worst target's = 1.</p>"]
    figs = stress_figures(doc, regions, names)
    if "exposure" in figs:
        body.append(_figure("exposure", figs["exposure"]))
    shown = rows.assign(worst_region=[None if r is None else _name(names, r)
                                      for r in rows["worst_region"]])
    body += ["<h2>Targets, most exposed first</h2>", schema_table(shown, STRESS, names)]
    if "impact" in figs:
        body += ["<h2>Who is hurt</h2>", _figure("impact", figs["impact"])]
    return _page(f"borderflow: {title} stress test", body)
