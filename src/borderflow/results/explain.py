"""Explain in plain words what happened on a lane: what was asked, what went, what stopped it."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from ..model import UsageError
from ..model.messages import did_you_mean
from .result import Result


def _words(result: Result, reason: str | None, allowed: float) -> str:
    if reason is None:
        return "shipped in full"
    if reason == "stock":
        return "the supplier ran short of stock (shared pro rata among its customers)"
    if reason == "lane_capacity":
        return "held by the lane's capacity"
    if reason == "stockpile_closed":
        return "the stockpile was not released"
    pid = reason.partition(":")[2]
    policy = next((p for p in result.scenario.policies if p.id == pid), None)
    return policy.explain(allowed) if policy is not None else f"limited by {pid}"


def _qty(x: float) -> str:
    return f"{x:,.0f}"


def explain(result: Result, lane: str, day: int | dt.date | None = None,
            commodity: str | None = None) -> list[str]:
    """One line per day (or per run of days with the same outcome when no day is given)."""
    names = list(dict.fromkeys(result.network.arc_names))
    if lane not in names:
        raise UsageError("--lane", f"no lane {lane!r} in {result.scenario.name}"
                         f"{did_you_mean(lane, names)}")
    rows = result.constraints[result.constraints["lane"] == lane]
    if commodity is not None:
        rows = rows[rows["commodity"] == commodity]
    if day is not None:
        t = result.scenario.day(day)
        if not 0 <= t < result.days:
            raise UsageError("--day", f"day {day} is outside the run's {result.days} days")
        rows = rows[rows["day"] == t]
    head = lane.replace("->", " -> ")
    if rows.empty:
        when = f" on {result.scenario.dates[result.scenario.day(day)]}" if day is not None else ""
        return [f"{head}: nothing was requested or shipped{when}"]
    if day is not None:
        return [_line(result, head, r["date"].isoformat(), r) for _, r in rows.iterrows()]
    return _runs(result, head, rows)


def _line(result: Result, head: str, when: str, r: pd.Series) -> str:
    reason = None if pd.isna(r["reason"]) else str(r["reason"])
    return (f"{when}: {head} requested {_qty(float(r['requested']))} {r['commodity']}, "
            f"shipped {_qty(float(r['shipped']))}: {_words(result, reason, float(r['allowed']))}")


def _runs(result: Result, head: str, rows: pd.DataFrame) -> list[str]:
    """Consecutive days with the same commodity and reason become one line with totals."""
    reason = rows["reason"].astype(object).where(rows["reason"].notna(), "")
    key = (rows["commodity"] != rows["commodity"].shift()) | (reason != reason.shift()) | \
        (rows["day"] != rows["day"].shift() + 1)
    lines = []
    for _, run in rows.groupby(key.cumsum(), sort=False):
        first, last = run.iloc[0], run.iloc[-1]
        when = first["date"].isoformat() if len(run) == 1 else \
            f"{first['date'].isoformat()} to {last['date'].isoformat()} ({len(run)} days)"
        total = first.copy()
        for column in ("requested", "allowed", "shipped"):
            total[column] = run[column].sum()
        lines.append(_line(result, head, when, total))
    return lines
