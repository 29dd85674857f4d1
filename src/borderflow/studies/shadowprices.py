"""The value of relaxing a policy (`borderflow prices`): after the horizon LP (the optimal
allocator), the shadow prices of every limit a policy or the network sets, in units of unmet
demand saved per unit relaxed.

- a **ban** (or a closed stockpile, a disruption at factor 0): each blocked lane-day stays in
  the LP as a shipment with an upper bound of 0 (`optimal.define_shipments(keep_blocked)`),
  so its reduced cost is the value of exempting one unit on that lane that day;
- a **quota** (and an exemption's quota): each group-day's row dual, the value of one more
  unit of quota; a **licence** (a quota over the horizon): its row's dual;
- **lane capacity**: a lane-day shipping at its capacity, its reduced cost; a lane's
  `capacity_total`, its group-day row's dual;
- a **rated order**: its delivery row's dual, the unmet saved per unit *less* ordered (while
  the order is short the dual is its penalty instead: `penalised`).

Every price comes with the range over which it holds, from HiGHS's ranging of the bound
(`relax_range`: units of relaxation before the optimal basis changes; `tighten_range`: the
other way). The price holds at least that far; a degenerate optimum (many limits binding at
once, as daily limits on one lane do) can change basis sooner than the price changes. Where
the dual is not unique (relaxing and tightening are worth different amounts) the range on
one side is 0: the price holds on the other side only. Where HiGHS reports no ranging (no
basis), the ranges are missing and `ranging` says so. Prices are in the LP's objective units:
priority-weighted unit-days of unmet demand (units of unmet demand when every site's priority
is 1, as in the built-in scenarios).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..engine import compile_network, lane_limits, resolve
from ..engine.optimal import LP, Solution, build, solve
from ..model import Scenario, apply_variant
from ..policy import FIXED_REASONS
from ..results.simulation import as_scenario

TOL = 1e-4  # prices below this are noise (a unit shipped costs 1e-6 in the LP)
LANE_CAPACITY = FIXED_REASONS.index("lane_capacity")
COLUMNS = ["kind", "policy", "lane", "commodity", "day", "week", "bound", "price",
           "relax_range", "tighten_range", "penalised", "lp_column", "lp_row"]


@dataclass(frozen=True, eq=False)
class Prices:
    """Shadow prices of the horizon LP: `rows` one per limit and day (COLUMNS), `weekly` the
    largest price per kind, policy, lane, commodity and week (with the day it falls on and the
    number of binding days), `policies` per policy its largest price and binding days."""

    scenario: Scenario
    variant: str | None
    objective: float
    ranging: bool
    rows: pd.DataFrame
    weekly: pd.DataFrame
    policies: pd.DataFrame

    def summary(self) -> dict[str, Any]:
        """The `prices --json` document."""
        def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
            return list(json.loads(frame.to_json(orient="records")))

        return {"scenario": self.scenario.name, "variant": self.variant or "",
                "objective": self.objective, "units": "priority-weighted units of unmet demand "
                "saved per unit relaxed", "ranging": self.ranging,
                "policies": records(self.policies), "weekly": records(self.weekly),
                "rows": records(self.rows)}


def prices(scenario: Scenario | str | Path, variant: str | None = None) -> Prices:
    """The shadow prices of `scenario` (under `variant`) after the horizon LP."""
    s = apply_variant(as_scenario(scenario), variant)
    net = resolve(compile_network(s))
    lp = build(net, keep_blocked=True)
    sol = solve(lp, net, duals=True)
    rows = pd.DataFrame(_rows(net, lp, sol), columns=COLUMNS)
    rows = rows[rows["price"] > TOL].sort_values(["price", "day"], ascending=[False, True]) \
        .reset_index(drop=True)
    return Prices(s, variant, sol.objective, sol.ranging is not None, rows, weekly(rows),
                  by_policy(rows))


def _policy(net: Any, reason: int) -> str:
    name = str(net.policies.reasons[reason])
    return name.split(":", 1)[1] if ":" in name else name


def _kind(net: Any, reason: int, blocked: bool) -> str:
    name = str(net.policies.reasons[reason])
    if reason == LANE_CAPACITY:
        return "lane_capacity"
    if name == "stockpile_closed" or name.startswith("release"):
        return "stockpile_closed"
    if name.startswith("disruption:"):
        return "disruption"
    return "ban" if blocked else "quota"


def _rows(net: Any, lp: LP, sol: Solution) -> list[dict[str, Any]]:
    assert sol.col_dual is not None and sol.row_dual is not None
    r = sol.ranging
    nan = float("nan")
    x = lp.variables["shipments"]
    limits = lane_limits(net)
    com = np.asarray(net.commodities, dtype=object)
    out: list[dict[str, Any]] = []

    def add(kind: str, reason: int, lane: str, commodity: str, day: int | None, bound: float,
            price: float, relax: float, tighten: float, penalised: bool = False,
            column: int = -1, row: int = -1) -> None:
        out.append({"kind": kind, "policy": _policy(net, reason), "lane": lane,
                    "commodity": commodity, "day": day, "week": None if day is None
                    else day // 7 + 1, "bound": bound, "price": price, "relax_range": relax,
                    "tighten_range": tighten, "penalised": penalised, "lp_column": column,
                    "lp_row": row})

    # arc-days: blocked ones (bound 0), and lanes shipping at their capacity
    on_lane = net.arc_lane >= 0
    t, a = np.nonzero(x.index >= 0)
    col = x.index[t, a]
    dual = -sol.col_dual[col]
    ub = x.upper[col - int(col.min())] if col.size else np.zeros(0)  # columns from x's first
    blocked = limits.blocked[t, a]
    at_cap = ~blocked & on_lane[a] & np.isfinite(net.arc_cap[a]) & (dual > TOL)
    for j in np.flatnonzero((blocked | at_cap) & (dual > TOL)):
        k = int(col[j])
        reason = int(limits.blocker[t[j], a[j]]) if blocked[j] else LANE_CAPACITY
        relax = nan if r is None else float(r.col_up[k] - ub[j])
        tighten = 0.0 if blocked[j] else (nan if r is None else float(ub[j] - r.col_down[k]))
        add(_kind(net, reason, bool(blocked[j])), reason, net.arc_names[a[j]],
            str(com[net.arc_com[a[j]]]), int(t[j]), float(ub[j]), float(dual[j]), relax, tighten,
            column=k)

    offset = 0
    for c in lp.constraints.values():
        rows = np.arange(offset, offset + c.size)
        offset += c.size
        if c.name not in ("quota", "licence", "rated-order delivery"):
            continue
        d = sol.row_dual[rows]
        for i in np.flatnonzero(np.abs(d) > TOL):
            row, item = int(rows[i]), int(c.item[i])
            if c.name == "rated-order delivery":
                claim = net.policies.claims[item]
                q = float(c.upper[i])
                add("rated_order", claim.reason, net.arc_names[claim.arc],
                    str(com[net.arc_com[claim.arc]]), None, q, float(d[i]),
                    nan if r is None else float(q - r.row_down[row]),
                    nan if r is None else float(r.row_up[row] - q),
                    penalised=_penalised(lp, sol, item, net), row=row)
                continue
            g = item
            reason = int(net.policies.group_reason[g])
            members = net.policies.member_arc[net.policies.member_group == g]
            lanes = sorted({net.arc_names[m] for m in members.tolist()})
            lane = lanes[0] if len(lanes) == 1 else f"{len(lanes)} lanes"
            commodities = sorted({str(com[net.arc_com[m]]) for m in members.tolist()})
            q = float(c.upper[i])
            kind = "licence" if c.name == "licence" else _kind(net, reason, False)
            add(kind, reason, lane, ", ".join(commodities),
                None if c.name == "licence" else int(c.day[i]), q, float(-d[i]),
                nan if r is None else float(r.row_up[row] - q),
                nan if r is None else float(q - r.row_down[row]), row=row)
    return out


def _penalised(lp: LP, sol: Solution, claim: int, net: Any) -> bool:
    """Whether a rated order ends short (its dual is then its penalty, not others' unmet)."""
    ks = [k for k, c in enumerate(net.policies.claims) if c.is_order]
    slack = lp.variables["order_shortfall"].index[ks.index(claim)]
    return bool(sol.col_value[slack] > 1e-6)


def weekly(rows: pd.DataFrame) -> pd.DataFrame:
    """Per kind, policy, lane, commodity and week: the day of the largest price, that price and
    its ranges, and how many days the limit binds (a price above TOL)."""
    cols = ["kind", "policy", "lane", "commodity", "week", "day", "price", "relax_range",
            "tighten_range", "binding_days"]
    daily = rows[rows["week"].notna()]
    if daily.empty:
        return pd.DataFrame(columns=cols)
    keys = ["kind", "policy", "lane", "commodity", "week"]
    best = daily.loc[daily.groupby(keys, sort=False)["price"].idxmax()]
    days = daily.groupby(keys, sort=False).size().rename("binding_days")
    out = best.merge(days, left_on=keys, right_index=True)
    out["week"] = out["week"].astype(int)
    out["day"] = out["day"].astype(int)
    return out[cols].sort_values("price", ascending=False).reset_index(drop=True)


def by_policy(rows: pd.DataFrame) -> pd.DataFrame:
    """Per policy (or network limit): its largest price, the limits and days it binds on.
    A rated order still short at the end is priced at its penalty, not at others' unmet: it
    counts as binding, with no price (`penalised`)."""
    cols = ["policy", "kind", "largest_price", "binding", "lanes", "penalised"]
    if rows.empty:
        return pd.DataFrame(columns=cols)
    priced = rows["price"].where(~rows["penalised"].astype(bool))
    g = rows.assign(priced=priced).groupby(["policy", "kind"], sort=False)
    out = pd.DataFrame({"largest_price": g["priced"].max(), "binding": g.size(),
                        "lanes": g["lane"].nunique(),
                        "penalised": g["penalised"].any()}).reset_index()
    return out[cols].sort_values("largest_price", ascending=False, na_position="last") \
        .reset_index(drop=True)
