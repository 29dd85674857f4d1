"""The attribution report: where each region's shortage comes from (a waterfall per commodity,
with a menu of regions: from the unmet demand with no listed policy, through each policy's
contribution, to the unmet demand as in the variant), each policy in each region (a heatmap per
commodity), the care sites' unstaffed patient-days, the largest contributions and
interactions, and, when given, a table of the value of relaxing each policy (shadow prices).

Built from an attribution's tables (`store.AttributionTables`, in memory or read back from its
folder), so a folder's report can be rebuilt from its files. It draws: the contributions, the
totals and the interactions are `borderflow.attribute`'s; only shares of them are taken here."""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from html import escape
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from ..results.schema import (
    ATTRIBUTION,
    ATTRIBUTION_CARE_TOTALS,
    ATTRIBUTION_INTERACTIONS,
    ATTRIBUTION_TOTALS,
    KPIS,
    Column,
    Table,
)
from ..store import AttributionTables
from .figures import _layout, _name
from .html import _figure, _num, _page, _region, schema_table

SMALL = 0.5  # a contribution or change under half a unit is none (as `attribute` prints it)
TOP = 20  # rows of the table of largest contributions
NONE_LABEL, VARIANT_LABEL = "no listed policy", "as in the variant"
WORSE, BETTER, TOTAL = "#c0392b", "#2166ac", "#7f7f7f"
PRICES_HEADING = "Value of relaxing a policy (shadow prices)"

LARGEST = Table("largest", "the largest contributions, in size", (
    *ATTRIBUTION.columns[:4],
    Column("share", "float", "the contribution as a share of the change from no listed policy "
           "to the variant", "of the change, %", 0),
    Column("pct_of_demand", "float", "the contribution as a share of demand", "% of demand", 2),
    Column("stderr", "float", "standard error (sampled orders)", "± s.e.", 0, quiet=True)))

# Sorts a table.sortable by the clicked column (numbers by their data-v value), the second
# click on a column reverses it; the report's only script besides plotly's.
SORT_SCRIPT = """<script>
document.querySelectorAll("table.sortable th").forEach((th, col) => th.addEventListener("click", () => {
  const body = th.closest("table").tBodies[0], up = th.dataset.dir !== "up";
  const key = (tr) => { const td = tr.cells[col];
    return td.dataset.v !== undefined ? Number(td.dataset.v) : td.textContent; };
  const rows = [...body.rows].sort((a, b) => { const x = key(a), y = key(b);
    return (typeof x === "number" ? x - y : String(x).localeCompare(String(y))) * (up ? 1 : -1); });
  th.closest("tr").querySelectorAll("th").forEach((h) => delete h.dataset.dir);
  th.dataset.dir = up ? "up" : "down";
  rows.forEach((tr) => body.appendChild(tr));
}));
</script>"""


def _unit(t: AttributionTables, commodity: str) -> str:
    """What the commodity's units are called, in the plural ("respirators", "kg")."""
    unit = str((t.manifest.get("commodities") or {}).get(commodity, {}).get("unit") or "unit")
    return unit if unit.endswith("s") or len(unit) <= 2 else unit + "s"


def _pct(value: float, demand: float) -> str:
    return f"{100 * value / demand:+.2f}%" if demand > 0 else "-"


def _compact(v: float) -> str:
    """A cell's label: +1.2M, -340k, +56; empty for none."""
    if abs(v) < SMALL:
        return ""
    for size, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(v) >= size:
            return f"{v / size:+.{1 if abs(v) < 10 * size else 0}f}{suffix}"
    return f"{v:+.0f}"


def _moved(t: AttributionTables, commodity: str) -> tuple[list[str], list[str]]:
    """The regions whose unmet demand of `commodity` any listed policy changes, and the
    policies that change any region's (both in the scenario's order)."""
    rows = t.rows[t.rows["commodity"] == commodity]
    big = rows[rows["contribution"].abs() >= SMALL]
    totals = t.totals[t.totals["commodity"] == commodity]
    change = (totals["unmet_variant"] - totals["unmet_none"]).abs() >= SMALL
    regions = [r for r, c in zip(totals["region"], change, strict=True)
               if c or r in set(big["region"])]
    return regions, [p for p in t.document["policies"] if p in set(big["policy"])]


def commodities(t: AttributionTables) -> list[str]:
    """The commodities some listed policy changes the unmet demand of."""
    return [c for c in dict.fromkeys(t.totals["commodity"]) if _moved(t, c)[0]]


def waterfall(t: AttributionTables, commodity: str) -> go.Figure:
    """One waterfall per region (a menu picks it; the largest change first): from the unmet
    demand with no listed policy, each policy's contribution, to the unmet demand as in the
    variant; hover: units and % of the region's demand."""
    names, unit = t.manifest["regions"], _unit(t, commodity)
    regions, policies = _moved(t, commodity)
    totals = t.totals[t.totals["commodity"] == commodity].set_index("region")
    rows = t.rows[t.rows["commodity"] == commodity].set_index(["region", "policy"])["contribution"]
    x = [NONE_LABEL, *[escape(p) for p in policies], VARIANT_LABEL]
    fig = go.Figure()
    titles = []
    for region in regions:
        none, variant, demand = (float(totals.loc[region, c]) for c in
                                 ("unmet_none", "unmet_variant", "demand"))
        steps = [float(rows.get((region, p), 0.0)) for p in policies]
        hover = [[f"{none:,.0f} {unit}", _pct(none, demand).lstrip("+")],
                 *[[f"{v:+,.0f} {unit}", _pct(v, demand)] for v in steps],
                 [f"{variant:,.0f} {unit}", _pct(variant, demand).lstrip("+")]]
        fig.add_trace(go.Waterfall(
            x=x, y=[round(v, 3) for v in (none, *steps, variant)],
            measure=["absolute", *["relative"] * len(steps), "total"],
            name=_name(names, region), customdata=hover, visible=False,
            text=[_compact(v).lstrip("+") if i in (0, len(steps) + 1) else _compact(v)
                  for i, v in enumerate((none, *steps, variant))], textposition="auto",
            increasing={"marker": {"color": WORSE}}, decreasing={"marker": {"color": BETTER}},
            totals={"marker": {"color": TOTAL}}, connector={"line": {"color": "#bbb"}},
            cliponaxis=False,
            hovertemplate="%{x}: %{customdata[0]}<br>%{customdata[1]} of demand<extra></extra>"))
        titles.append(f"{_name(names, region)}, {escape(commodity)}: unmet demand, policy by "
                      "policy")
    change = [abs(float(totals.loc[r, "unmet_variant"] - totals.loc[r, "unmet_none"]))
              for r in regions]
    first = max(range(len(regions)), key=lambda i: change[i])
    fig.data[first].visible = True
    menu = [{"type": "dropdown", "x": 1, "xanchor": "right", "y": 1.12, "yanchor": "bottom",
             "active": first, "showactive": True,
             "buttons": [{"label": _name(names, r), "method": "update",
                          "args": [{"visible": [j == i for j in range(len(regions))]},
                                   {"title.text": titles[i]}]}
                         for i, r in enumerate(regions)]}] if len(regions) > 1 else []
    _layout(fig, titles[first], height=460, showlegend=False, updatemenus=menu,
            yaxis_title=f"unmet demand ({escape(unit)})")
    return fig.update_layout(margin_t=90, title_x=0.02)  # the menu above the plot's right


def heatmap(t: AttributionTables, commodity: str) -> go.Figure:
    """Rows: the policies that change anything; columns: the regions with demand; colour: the
    contribution as a share of the region's demand (red: made worse, blue: better, white: none;
    full colour at 100%, so one huge cell does not wash out the rest); labels: units."""
    names, unit = t.manifest["regions"], _unit(t, commodity)
    _, policies = _moved(t, commodity)
    totals = t.totals[t.totals["commodity"] == commodity]
    regions, demand = list(totals["region"]), dict(zip(totals["region"], totals["demand"],
                                                       strict=True))
    cells = t.rows[t.rows["commodity"] == commodity].set_index(["policy", "region"])["contribution"]
    units = [[round(float(cells.get((p, r), 0.0)), 1) for r in regions] for p in policies]
    z = [[round(100 * v / demand[r], 3) if demand[r] > 0 else None
          for v, r in zip(row, regions, strict=True)] for row in units]
    peak = min(100.0, max((abs(v) for row in z for v in row if v is not None), default=0.0)) or 1.0
    fig = go.Figure(go.Heatmap(
        z=z, x=[_name(names, r) for r in regions], y=[escape(p) for p in policies],
        zmid=0, zmin=-peak, zmax=peak, colorscale="RdBu_r", xgap=1, ygap=1,
        colorbar={"title": "Δ unmet,<br>% of demand"},
        text=[[_compact(v) for v in row] for row in units], texttemplate="%{text}",
        customdata=[[f"{v:+,.0f}" for v in row] for row in units],
        hovertemplate="%{y} in %{x}: %{customdata} " + escape(unit)
                      + " (%{z:+.2f}% of demand)<extra></extra>"))
    return _layout(fig, f"Each policy's contribution to unmet {escape(commodity)} demand, by "
                   "region (red: made worse)", height=180 + 34 * len(policies),
                   yaxis={"autorange": "reversed"})


def care_bars(t: AttributionTables) -> go.Figure | None:
    """Per care site, each policy's contribution to its unstaffed patient-days; None when no
    policy changes any."""
    care = t.care[t.care["contribution"].abs() >= SMALL]
    if not len(care):
        return None
    sites = list(dict.fromkeys(t.care_totals["site"]))
    fig = go.Figure()
    for policy in [p for p in t.document["policies"] if p in set(care["policy"])]:
        mine = t.care[t.care["policy"] == policy].set_index("site")["contribution"]
        fig.add_trace(go.Bar(
            y=[escape(s) for s in sites], x=[round(float(mine.get(s, 0.0)), 1) for s in sites],
            name=escape(policy), orientation="h",
            hovertemplate="%{y}: " + escape(policy) + " %{x:+,.0f} unstaffed patient-days"
                          "<extra></extra>"))
    return _layout(fig, "Each policy's contribution to unstaffed patient-days",
                   barmode="relative", height=220 + 40 * len(sites), showlegend=True,
                   xaxis_title="unstaffed patient-days", legend={"orientation": "h", "y": -0.35})


def attribution_figures(t: AttributionTables) -> dict[str, go.Figure]:
    """The report's figures by key, in the order the report shows them: `waterfall-C` and
    `heatmap-C` per commodity C some policy changes, then `care`."""
    moved = commodities(t)
    figs: dict[str, go.Figure] = {f"waterfall-{c}": waterfall(t, c) for c in moved}
    figs.update({f"heatmap-{c}": heatmap(t, c) for c in moved})
    care = care_bars(t)
    if care is not None:
        figs["care"] = care
    return figs


def largest(t: AttributionTables, top: int = TOP) -> pd.DataFrame:
    """The `top` largest contributions in size (LARGEST's columns)."""
    rows = t.rows[t.rows["contribution"].abs() >= SMALL]
    rows = rows.reindex(rows["contribution"].abs().sort_values(ascending=False, kind="stable")
                        .index).head(top)
    totals = t.totals.set_index(["region", "commodity"])
    keys = list(zip(rows["region"], rows["commodity"], strict=True))
    change = [float(totals.loc[k, "unmet_variant"] - totals.loc[k, "unmet_none"]) for k in keys]
    demand = [float(totals.loc[k, "demand"]) for k in keys]
    return rows.assign(
        share=[100 * v / c if abs(c) >= SMALL else math.nan
               for v, c in zip(rows["contribution"], change, strict=True)],
        pct_of_demand=[100 * v / d if d > 0 else math.nan
                       for v, d in zip(rows["contribution"], demand, strict=True)],
    )[LARGEST.names].reset_index(drop=True)


def largest_table(t: AttributionTables, top: int = TOP) -> str:
    """The largest contributions as an HTML table (red rows: made worse)."""
    return schema_table(largest(t, top), LARGEST, t.manifest["regions"],
                        lambda r: "bad" if r.contribution > 0 else "")


def prices_table(prices: pd.DataFrame, regions: Mapping[str, Any]) -> str:
    """Any table of shadow prices as a sortable table: a column borderflow declares elsewhere
    (region, commodity, policy, ...) keeps its heading and decimals, any other is headed by its
    name; numbers carry their value for sorting."""
    known = {c.name: c for table in (ATTRIBUTION, ATTRIBUTION_TOTALS, KPIS) for c in table.columns}
    head = [known[str(n)].heading.replace("\n", " ") if str(n) in known else str(n).replace("_", " ")
            for n in prices.columns]
    rows = []
    for record in prices.itertuples(index=False):
        cells = []
        for name, value in zip(prices.columns, record, strict=True):
            c = known.get(str(name))
            if isinstance(value, bool) or not isinstance(value, numbers.Real):
                text = _region(regions, value) if name == "region" else \
                    "" if value is None or value is pd.NA else escape(str(value))
                cells.append(f"<td>{text}</td>")
            elif math.isnan(value):
                cells.append("<td></td>")
            else:
                digits = c.digits if c and c.digits is not None else \
                    0 if isinstance(value, numbers.Integral) else 2
                cells.append(f'<td class="n" data-v="{float(value)!r}">{_num(value, digits)}</td>')
        rows.append("<tr>" + "".join(cells) + "</tr>")
    ths = "".join(f'<th title="click to sort">{escape(h)}</th>' for h in head)
    return (f'<table class="sortable" id="shadow-prices"><thead><tr>{ths}</tr></thead><tbody>\n'
            + "\n".join(rows) + "\n</tbody></table>")


def attribution_report(t: AttributionTables, prices: pd.DataFrame | None = None) -> str:
    """The report of one attribution; `prices`, when given and not empty, is shown as a table
    under PRICES_HEADING (any columns)."""
    doc, names = t.document, t.manifest["regions"]
    title = str(doc["scenario"]) + (f" / {doc['variant']}" if doc.get("variant") else "")
    how = "every coalition run" if doc["method"] == "exact" else \
        f"{doc['permutations']} sampled orders of the policies, with standard errors"
    body = [f"<h1>borderflow: {escape(title)} — who caused the shortage</h1>",
            f"<p>Each listed policy's contribution to each region's unmet demand, and to each "
            "care site's unstaffed patient-days: its Shapley value, its effect averaged over "
            f"every order in which the policies could be switched on ({escape(how)}; "
            f"{int(doc['runs'])} runs of the priority allocator). A region's contributions add "
            f"up to its unmet demand as in the variant less that with no listed policy. "
            "Positive (red): the policy made the shortage worse. Shares of demand are of the "
            "region's demand as in the variant: crisis conservation lowers it, so the unmet "
            "demand with no listed policy may exceed it.</p>",
            "<p>Policies: " + ", ".join(f"<code>{escape(p)}</code>" for p in doc["policies"])
            + ".</p>",
            "<h2>The largest contributions</h2>", largest_table(t)]
    figs = attribution_figures(t)
    waterfalls = [k for k in figs if k.startswith("waterfall-")]
    if waterfalls:
        body += ["<h2>Where each region's shortage comes from</h2>",
                 '<p class="muted">One chart per commodity; the menu picks the region.</p>',
                 *[_figure(k, figs[k]) for k in waterfalls],
                 "<h2>Each policy in each region</h2>",
                 *[_figure(k, figs[k]) for k in figs if k.startswith("heatmap-")]]
    else:
        body.append("<p>No listed policy changes any region's unmet demand.</p>")
    body += ["<h2>Unmet demand with no listed policy and as in the variant</h2>",
             schema_table(t.totals, ATTRIBUTION_TOTALS, names)]
    if len(t.care_totals):
        body += ["<h2>Care sites: unstaffed patient-days</h2>",
                 schema_table(t.care_totals, ATTRIBUTION_CARE_TOTALS, names)]
        if "care" in figs:
            body.append(_figure("care", figs["care"]))
    pairs = t.interactions[t.interactions["interaction"].abs() >= SMALL]
    if len(pairs):
        body += ["<h2>The strongest interactions between two policies</h2>",
                 '<p class="muted">Negative: the two overlap (either alone does what both do); '
                 "positive: they compound.</p>",
                 schema_table(pairs, ATTRIBUTION_INTERACTIONS, names)]
    if prices is not None and len(prices):
        body += [f"<h2>{escape(PRICES_HEADING)}</h2>",
                 '<p class="muted">Click a heading to sort.</p>', prices_table(prices, names),
                 SORT_SCRIPT]
    return _page(f"borderflow: {title} attribution", body)
