"""How the command line shows results: rich tables and one-line notes. Computes nothing; the
KPI and sweep tables take their columns, headings and decimals from `results.schema`."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
from rich.table import Table

from ..model import Scenario
from ..results import Comparison, Result
from ..results.schema import KPIS, STRESS, SUMMARY, Column
from ..results.schema import Table as Declared
from ..studies import Sensitivity, StressResult


def fmt(value: float, digits: int = 0) -> str:
    if value != value or value in (float("inf"), float("-inf")):
        return "-"
    return f"{value:,.{digits}f}"


def cell(value: Any) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def _shown(column: Column, value: Any, s: Scenario | None) -> str:
    if column.name == "region" and s is not None:
        return s.regions[str(value)].name or str(value)
    if column.digits is None:
        return str(value)
    if column.dtype == "int":
        return str(value)
    return fmt(float(value), column.digits)


def schema_table(frame: pd.DataFrame, declared: Declared, title: str, s: Scenario | None = None,
                 style: Any = None) -> Table:
    """`frame`'s rows under the columns `declared` says, headed and formatted as it says;
    `style(row)` colours a row."""
    table = Table(title=title, title_justify="left")
    columns = declared.shown(frame)
    for c in columns:
        text = c.digits is None
        table.add_column(c.heading, justify="left" if text else "right",
                         no_wrap=c.name == "region")
    for row in frame.itertuples(index=False):
        table.add_row(*(_shown(c, getattr(row, c.name), s) for c in columns),
                      style=style(row) if style else "")
    return table


def severity(row: Any) -> str:
    return "bold red" if row.unmet_pct >= 10 else "yellow" if row.unmet > 0.5 else ""


def kpi_table(result: Result) -> Table:
    title = f"{result.scenario.name}" + (f" / {result.variant}" if result.variant else "") + \
        f": {result.days} days from {result.scenario.start.isoformat()} ({result.allocator})"
    return schema_table(result.kpis, KPIS, title, result.scenario, severity)


def sweep_table(summary: pd.DataFrame, title: str, s: Scenario | None = None) -> Table:
    return schema_table(summary, SUMMARY, title, s)


def avoidable_view(table: Any, s: Scenario, title: str) -> Table:
    """Unmet under the priority rules and under the optimal allocation, and the difference."""
    view = Table(title=f"{title}: shortage better allocation would have avoided",
                 title_justify="left")
    for name in ("region", "commodity", "unmet (priority)", "unmet (optimal)", "avoidable",
                 "% of demand"):
        view.add_column(name, justify="left" if name in ("region", "commodity") else "right")
    for row in table.itertuples(index=False):
        view.add_row(s.regions[str(row.region)].name or str(row.region), str(row.commodity),
                     fmt(float(row.unmet_priority)), fmt(float(row.unmet_optimal)),
                     fmt(float(row.avoidable)), fmt(float(row.avoidable_pct), 1))
    return view


def policy_notes(result: Result) -> list[str]:
    """Rated orders, retaliations that fired, conservation and care: one line each."""
    lines = []
    dates = result.scenario.dates
    start = result.scenario.start
    for row in result.orders.itertuples(index=False):
        due = start + dt.timedelta(days=int(row.due_day))
        if row.status == "pending":
            state = f"pending: due {due}, after the horizon ({row.shortfall:,.0f} to go)"
        elif row.status == "short":
            state = f"short by {row.shortfall:,.0f} (due {due})"
        else:
            filled = int(row.filled_day)
            arrival = start + dt.timedelta(days=filled)
            when = "on time" if row.status == "on_time" else \
                f"{int(row.days_late)} day{'s' if row.days_late != 1 else ''} late (due {due})"
            state = f"arrived in full {arrival}, {when}" + ("" if filled < result.days else
                                                            " (after the horizon)")
        lines.append(f"rated order {row.order} ({row.rating}): {row.delivered:,.0f} of "
                     f"{row.quantity:,.0f} {row.commodity} to {row.buyer}, {state}")
    for row in result.policies.itertuples(index=False):
        if not pd.isna(row.fired_day):
            lines.append(f"retaliation {row.policy} fired on {dates[int(row.fired_day)]}")
    for (site, commodity), spells in result.conservation.groupby(["site", "commodity"],
                                                                 sort=False):
        when = ", ".join(f"{s.entered} to " + ("the end" if pd.isna(s.left_day) else
                                                f"{s.left - dt.timedelta(days=1)}")
                         for s in spells.itertuples(index=False))  # the last day conserving
        lines.append(f"{site} conserved {commodity} {when} ({int(spells['days'].sum())} days)")
    for site, rows in result.care.groupby("site", sort=False):
        total = float(rows["unstaffed"].sum())
        if total <= 0:
            lines.append(f"{site}: every patient staffed")
            continue
        peak = rows.loc[rows["unstaffed"].idxmax()]
        lines.append(f"{site}: {total:,.0f} unstaffed patient-days (peak {peak['unstaffed']:,.0f} "
                     f"on {dates[int(peak['day'])]})")
    return lines


EFFECT_MARK = {"hurt": " [red]▲[/red]", "gains": " [green]▼[/green]"}


def _variant_table(c: Comparison, what: str, first: tuple[str, str]) -> Table:
    """A table with two label columns, then one column per variant."""
    table = Table(title=f"{c.scenario.name}: {what} by variant (change against {c.baseline})",
                  title_justify="left")
    for name in first:
        table.add_column(name)
    for name in c.results:
        table.add_column(name, justify="right")
    return table


def comparison_table(c: Comparison) -> Table:
    table = _variant_table(c, "unmet demand", ("region", "commodity"))
    regions = c.scenario.regions
    for (region, commodity), rows in c.table.groupby(["region", "commodity"], sort=False):
        cells = []
        for row in rows.itertuples(index=False):
            mark = EFFECT_MARK.get(str(row.effect), "")
            delta = "" if row.variant == c.baseline else f" ({row.delta_unmet_pct:+.1f} pp)"
            cells.append(f"{fmt(float(row.unmet))} = {row.unmet_pct:.1f}%{delta}{mark}")
        table.add_row(regions[str(region)].name or str(region), str(commodity), *cells)
    return table


def normal_comparison(c: Comparison) -> Table | None:
    """Unmet demand against normal use (no conservation) by variant, when some variant's
    sites conserved (else it is the unmet demand table again)."""
    rows = c.table
    if not ((rows["normal_unmet"] - rows["unmet"]).abs() > 1e-9 * (1 + rows["unmet"])).any():
        return None
    table = _variant_table(c, "unmet demand at normal use (no conservation)",
                           ("region", "commodity"))
    first = rows[rows["variant"] == c.baseline].set_index(["region", "commodity"])
    regions = c.scenario.regions
    for (region, commodity), group in rows.groupby(["region", "commodity"], sort=False):
        base = float(first.loc[(region, commodity), "normal_unmet_pct"])
        cells = [f"{fmt(float(r.normal_unmet))} = {r.normal_unmet_pct:.1f}%" +
                 ("" if r.variant == c.baseline else f" ({r.normal_unmet_pct - base:+.1f} pp)")
                 for r in group.itertuples(index=False)]
        table.add_row(regions[str(region)].name or str(region), str(commodity), *cells)
    return table


def care_comparison(c: Comparison) -> Table:
    table = _variant_table(c, "unstaffed patient-days", ("care site", "region"))
    for site, rows in c.care.groupby("site", sort=False):
        cells = []
        for row in rows.itertuples(index=False):
            mark = EFFECT_MARK.get(str(row.effect), "")
            delta = "" if row.variant == c.baseline else f" ({row.delta_unstaffed_patient_days:+,.0f})"
            cells.append(f"{fmt(float(row.unstaffed_patient_days))}{delta}{mark}")
        region = str(rows["region"].iloc[0])
        table.add_row(str(site), c.scenario.regions[region].name or region, *cells)
    return table


def cost_comparison(c: Comparison) -> Table | None:
    """Each variant's costs in all (shortage, holding, transport), when any has costs."""
    if not any(r.costs["total"] for r in c.results.values()):
        return None
    table = Table(title=f"{c.scenario.name}: costs by variant (change against {c.baseline})",
                  title_justify="left")
    for name in ("variant", "shortage", "holding", "transport", "total", "Δ total"):
        table.add_column(name, justify="left" if name == "variant" else "right")
    base = c.results[c.baseline].costs["total"]
    for name, r in c.results.items():
        k = r.costs
        table.add_row(name, *(fmt(k[p]) for p in ("shortage", "holding", "transport", "total")),
                      "" if name == c.baseline else f"{k['total'] - base:+,.0f}")
    return table


def hurt_lines(c: Comparison) -> list[str]:
    lines = []
    regions = c.scenario.regions
    for name in list(c.results)[1:]:
        rows = c.table[c.table["variant"] == name]
        care = c.care[c.care["variant"] == name]
        for effect, word in (("hurt", "hurts"), ("gains", "helps")):
            hit = rows[rows["effect"] == effect]
            who = [f"{regions[str(r.region)].name or r.region} {r.commodity} "
                   f"({r.delta_unmet:+,.0f} unmet)" for r in hit.itertuples(index=False)]
            who += [f"{r.site} ({r.delta_unstaffed_patient_days:+,.0f} unstaffed patient-days)"
                    for r in care[care["effect"] == effect].itertuples(index=False)]
            if who:
                lines.append(f"{name} {word}: {', '.join(who)}")
        if not len(rows[rows["effect"] != "same"]) and not len(care[care["effect"] != "same"]):
            lines.append(f"{name}: no region's unmet demand or care changes")
    return lines


def frame_table(frame: pd.DataFrame, title: str) -> Table:
    """Any frame, every column as text (query results)."""
    table = Table(title=title, title_justify="left")
    for name in frame.columns:
        table.add_column(str(name), overflow="fold")
    for row in frame.itertuples(index=False):
        table.add_row(*(cell(v) for v in row))
    return table


def sensitivity_tables(study: Sensitivity, top: int) -> list[Table]:
    """The ranking's head, then per output the assumptions that move it most."""
    ranking = Table(title=f"{study.scenario.name}: the assumptions that matter most (each "
                    f"set to x {1 - study.factor:g} and x {1 + study.factor:g})",
                    title_justify="left")
    for name in ("rank", "assumption", "line", "moves most", "score"):
        ranking.add_column(name, justify="right" if name in ("rank", "line", "score") else "left")
    for r in study.ranking.head(max(top, 10)).itertuples(index=False):
        ranking.add_row(str(r.rank), str(r.assumption), str(r.line), str(r.output),
                        f"{r.score:.2f}")
    tables = [ranking]
    unit = {True: "unstaffed patient-days", False: study.kpi}
    for output in study.outputs:
        rows = study.top(output, top)
        if not len(rows) or float(rows["swing"].max()) <= 0:
            continue
        base = study.base[output]
        t = Table(title=f"{output}: {unit[output.startswith('care:')]} {fmt(base, 1)} as "
                  "written", title_justify="left")
        for name in ("assumption", "value", "low", "high", "Δ low", "Δ high"):
            t.add_column(name, justify="left" if name == "assumption" else "right")
        for r in rows.itertuples(index=False):
            t.add_row(str(r.assumption), f"{r.value:,.4g}", fmt(float(r.low), 1),
                      fmt(float(r.high), 1), f"{r.delta_low:+,.1f}", f"{r.delta_high:+,.1f}")
        tables.append(t)
    return tables


def stress_table(result: StressResult, top: int) -> Table:
    """The most exposed targets; a time to survive that never runs out shows as "survives"."""
    rows = result.rows.head(top).astype(object)
    for col in ("tts_days", "tts_optimal_days"):
        rows[col] = ["survives" if pd.isna(v) else int(v) for v in rows[col]]
    if not result.optimal_tts:
        rows["tts_optimal_days"] = "-"
    s = result.scenario
    rows["worst_region"] = [s.regions[r].name or r if isinstance(r, str) else "" for r in
                            rows["worst_region"]]
    ttr = "each target's own TTR" if result.ttr_days is None else f"TTR {result.ttr_days} days"
    more = f", {len(result.rows) - top} more in --json" if len(result.rows) > top else ""
    return schema_table(rows, STRESS, f"{s.name}{' / ' + result.variant if result.variant else ''}"
                        f": stress test, {ttr} from day {result.start} ({result.allocator}"
                        f"{more})")
