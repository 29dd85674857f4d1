"""The sensitivity report: one tornado chart per output (the assumptions that move it most,
each bar from the output with the low value to the output with the high value), and the
ranking. Built from the `sensitivity --json` document, so a folder's report can be rebuilt
from its files."""

from __future__ import annotations

from html import escape
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from ..results.schema import SENSITIVITY
from .figures import _layout
from .html import _figure, _num, _page, _table

BARS = 12  # assumptions per tornado


def tornado(effects: pd.DataFrame, output: str, base: float, kpi: str, factor: float) -> go.Figure:
    """The BARS assumptions with the largest swing of `output`, largest on top: a bar from the
    base to the output at the low value, one to the output at the high value."""
    rows = effects[effects["output"] == output]
    rows = rows.sort_values("swing", ascending=False, kind="stable").head(BARS).iloc[::-1]
    names = [escape(str(a)) for a in rows["assumption"]]
    fig = go.Figure()
    for side, colour, scale in (("low", "#636efa", 1 - factor), ("high", "#EF553B", 1 + factor)):
        fig.add_trace(go.Bar(
            y=names, x=(rows[side] - base).round(6).tolist(), base=base, orientation="h",
            name=f"value x {scale:g}", marker={"color": colour},
            customdata=rows[[f"{side}_value", side]].to_numpy().tolist(),
            hovertemplate="%{y}<br>set to %{customdata[0]:,.4g}: " + escape(output)
                          + " %{customdata[1]:,.4g}<extra></extra>"))
    unit = "unstaffed patient-days" if output.startswith("care:") else kpi
    fig.add_vline(x=base, line_dash="dot", line_color="#444")
    return _layout(fig, f"{escape(output)}: {escape(unit)} (as written: {base:,.4g})",
                   barmode="overlay", height=140 + 30 * len(names), xaxis_title=escape(unit),
                   legend={"orientation": "h", "y": -0.2})


def sensitivity_figures(doc: dict[str, Any]) -> dict[str, go.Figure]:
    """One tornado per output that any assumption moves, keyed `tornado-<i>`."""
    effects = pd.DataFrame(doc["effects"], columns=SENSITIVITY.names)
    figs = {}
    for i, output in enumerate(doc["outputs"]):
        part = effects[effects["output"] == output]
        if len(part) and float(part["swing"].max()) > 0:
            figs[f"tornado-{i}"] = tornado(effects, output, float(doc["base"][output]),
                                           str(doc["kpi"]), float(doc["factor"]))
    return figs


def sensitivity_report(doc: dict[str, Any]) -> str:
    """The report of one sensitivity study (its `--json` document)."""
    factor, kpi = float(doc["factor"]), str(doc["kpi"])
    title = f"{doc['scenario']}" + (f" / {doc['variant']}" if doc.get("variant") else "")
    body = [f"<h1>borderflow: {escape(title)} — sensitivity</h1>",
            f"<p>Each assumption set to its value x {1 - factor:g} and x {1 + factor:g}, one at a "
            f"time, all else as written; outputs: {escape(kpi)} per region and commodity, "
            "unstaffed patient-days per care site. Ranked by the largest effect on any output, "
            "each output's effects scaled so its largest is 1.</p>"]
    rows = [f"<tr><td class=\"n\">{int(r['rank'])}</td><td>{escape(str(r['assumption']))}</td>"
            f"<td class=\"n\">{int(r['line'])}</td><td class=\"n\">{_num(r['value'], 2)}</td>"
            f"<td class=\"n\">{_num(r['score'], 2)}</td><td>{escape(str(r['output']))}</td>"
            f"<td>{escape(str(r.get('comment') or ''))}</td></tr>" for r in doc["ranking"]]
    body += ["<h2>Assumptions, ranked</h2>",
             _table(["rank", "assumption", "line", "value", "score", "moves most", "comment"],
                    rows[:40])]
    if len(rows) > 40:
        body.append(f'<p class="muted">and {len(rows) - 40} more (sensitivity.json).</p>')
    for key, fig in sensitivity_figures(doc).items():
        output = doc["outputs"][int(key.removeprefix("tornado-"))]
        body += [f"<h2>What moves {escape(output)}</h2>", _figure(key, fig)]
    if doc.get("skipped"):
        body += ["<h2>Not perturbed</h2>",
                 _table(["assumption", "why"], [f"<tr><td>{escape(s['assumption'])}</td>"
                                                f"<td>{escape(s['why'])}</td></tr>"
                                                for s in doc["skipped"]])]
    return _page(f"borderflow: {title} sensitivity", body)
