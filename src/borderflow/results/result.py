"""Result: tidy tables built from a run's frozen records (one sample of the batch)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from ..engine import Network, Trace, violations
from ..model import Scenario
from .kpis import COST_PARTS, balance_error, costs, kpi_table, normal_demand, substituted

CARE_COLUMNS = ["day", "site", "patients", "staff", "capacity", "unstaffed"]


@dataclass(frozen=True, eq=False)
class Result:
    """The outcome of one run of one scenario variant with one allocator."""

    scenario: Scenario  # as run (variant applied)
    variant: str | None
    allocator: str
    network: Network
    trace: Trace
    sample: int = 0
    rolling: tuple[int, int] | None = None  # (window, commit) of a rolling-horizon optimal run

    @property
    def days(self) -> int:
        return self.network.days

    @cached_property
    def _dates(self) -> pd.DatetimeIndex:
        return pd.date_range(self.scenario.start, periods=self.days, freq="D")

    def _pairs_frame(self, values: dict[str, np.ndarray[Any, Any]]) -> pd.DataFrame:
        """A [T, N, C] array per column -> rows (day, node, commodity, ...)."""
        net = self.network
        T, (N, C) = self.days, net.shape
        day = np.repeat(np.arange(T), N * C)
        node = np.tile(np.repeat(np.arange(N), C), T)
        com = np.tile(np.arange(C), T * N)
        frame = pd.DataFrame({
            "day": day,
            "node": pd.Categorical.from_codes(node, categories=list(net.nodes)),
            "commodity": pd.Categorical.from_codes(com, categories=list(net.commodities)),
        })
        for name, array in values.items():
            frame[name] = array[:, self.sample].reshape(-1)
        return frame

    @cached_property
    def flows(self) -> pd.DataFrame:
        """Shipments: day, date, from, to, commodity, quantity, rejected (what the lane's yield
        turns away on arrival); days with nothing shipped omitted."""
        net = self.network
        shipped = self.trace.shipped[:, self.sample]  # [T, A]
        t, a = np.nonzero(shipped > 0)
        return pd.DataFrame({
            "day": t,
            "date": self._dates[t].date,
            "from": np.asarray(net.nodes, dtype=object)[net.arc_src[a]],
            "to": np.asarray(net.nodes, dtype=object)[net.arc_dst[a]],
            "commodity": np.asarray(net.commodities, dtype=object)[net.arc_com[a]],
            "quantity": shipped[t, a],
            "rejected": shipped[t, a] * (1.0 - net.arc_yield[a]),
        })

    @cached_property
    def stocks(self) -> pd.DataFrame:
        """End-of-day stock and inbound in-transit: day, node, commodity, stock, in_transit."""
        frame = self._pairs_frame({"stock": self.trace.stock, "in_transit": self.trace.in_transit})
        held = self._held_pairs()
        return frame[np.tile(held, self.days)].reset_index(drop=True)

    def _held_pairs(self) -> np.ndarray[Any, np.dtype[np.bool_]]:
        """Pairs that ever hold, receive or use the commodity (others are all zeros)."""
        tr, s = self.trace, self.sample
        touched = (tr.stock[:, s] > 0) | (tr.in_transit[:, s] > 0) | (tr.demand[:, s] > 0)
        return touched.any(axis=0).reshape(-1)

    @cached_property
    def sites(self) -> pd.DataFrame:
        """Per site and day: day, node, region, commodity, demand (after conservation),
        served, unmet (of the day's demand: lost, or newly owed), backlog (owed at the end of
        the day), normal_demand (without conservation), substituted (of served, what
        substitutes covered), stock (end of day) and days_of_supply (stock over demand)."""
        net = self.network
        tr = self.trace
        owed = np.concatenate([np.zeros_like(tr.backlog[:1]), tr.backlog[:-1]])
        late = np.minimum(tr.served, owed)  # what was served of yesterday's backlog
        with np.errstate(divide="ignore", invalid="ignore"):
            cover = np.where(tr.demand > 0, tr.stock / tr.demand, np.nan)
        frame = self._pairs_frame({"demand": tr.demand, "served": tr.served,
                                   "unmet": tr.demand - (tr.served - late), "backlog": tr.backlog,
                                   "normal_demand": normal_demand(net, tr),
                                   "substituted": substituted(net, tr), "stock": tr.stock,
                                   "days_of_supply": cover})
        region = np.asarray(net.regions, dtype=object)[net.node_region]
        frame.insert(2, "region", region[frame["node"].cat.codes.to_numpy()])
        has_demand = (tr.demand[:, self.sample] > 0).any(axis=0).reshape(-1)
        frame = frame[np.tile(has_demand, self.days)].reset_index(drop=True)
        return frame

    @cached_property
    def care(self) -> pd.DataFrame:
        """Care capacity per site and day: day, site, patients, staff, capacity (patients they
        can care for), unstaffed (patients beyond that)."""
        net, tr, b = self.network, self.trace, self.sample
        T, S = self.days, len(net.care_sites)
        return pd.DataFrame({
            "day": np.repeat(np.arange(T), S),
            "site": np.tile(np.asarray(net.care_sites, dtype=object), T),
            "patients": tr.patients[:, b].reshape(-1),
            "staff": tr.staff[:, b].reshape(-1),
            "capacity": (tr.staff[:, b] * net.care_patients_per_staff[None, :]).reshape(-1),
            "unstaffed": tr.unstaffed[:, b].reshape(-1),
        }, columns=CARE_COLUMNS)

    @cached_property
    def constraints(self) -> pd.DataFrame:
        """Per lane, commodity and day with anything asked or shipped: requested, allowed (by
        lane capacity and policies), shipped, and the reason for any shortfall (`stock`,
        `lane_capacity`, `stockpile_closed`, `policy:<id>`, `rated_order:<id>`)."""
        net, tr, b = self.network, self.trace, self.sample
        t, a = np.nonzero((tr.requested[:, b] > 1e-9) | (tr.shipped[:, b] > 1e-9))
        codes = tr.reason[t, b, a]
        reasons = np.asarray(net.policies.reasons, dtype=object)
        return pd.DataFrame({
            "day": t,
            "date": self._dates[t].date,
            "lane": np.asarray(net.arc_names, dtype=object)[a],
            "from": np.asarray(net.nodes, dtype=object)[net.arc_src[a]],
            "to": np.asarray(net.nodes, dtype=object)[net.arc_dst[a]],
            "commodity": np.asarray(net.commodities, dtype=object)[net.arc_com[a]],
            "requested": tr.requested[t, b, a],
            "allowed": tr.allowed[t, b, a],
            "shipped": tr.shipped[t, b, a],
            "reason": np.where(codes >= 0, reasons[np.maximum(codes, 0)], None),
        })

    @cached_property
    def orders(self) -> pd.DataFrame:
        """Each rated order: quantity, due, delivered (shipped by the end), the day the last unit
        arrived if filled, the shortfall, and its status: `on_time` (filled by its due day),
        `late` (filled after it, `days_late` days), `short` (due within the horizon and not
        filled) or `pending` (not filled, and not due before the horizon ends)."""
        net, tr, b = self.network, self.trace, self.sample
        rows = []
        for k, claim in enumerate(net.policies.claims):
            if not claim.is_order:
                continue
            got = tr.claimed[:, b, k]
            total = float(got.sum())
            done = np.flatnonzero(np.cumsum(got) >= claim.quantity * (1 - 1e-9))
            filled = int(done[0] + net.arc_lead[claim.arc]) if done.size else None
            policy = next(p for p in self.scenario.policies if p.id == claim.id)
            if filled is not None:
                status = "on_time" if filled <= claim.due else "late"
                late = max(0, filled - claim.due)
            else:
                status = "pending" if claim.due >= net.days else "short"
                late = None
            rows.append({
                "order": claim.id, "rating": getattr(policy, "rating", None),
                "supplier": net.nodes[net.arc_src[claim.arc]],
                "buyer": net.nodes[net.arc_dst[claim.arc]],
                "commodity": net.commodities[net.arc_com[claim.arc]],
                "quantity": claim.quantity, "due_day": claim.due, "delivered": total,
                "filled_day": filled,
                "on_time": filled is not None and filled <= claim.due,
                # a filled order is short of nothing (a solver's last 1e-9 is not a shortfall)
                "shortfall": 0.0 if filled is not None else max(0.0, claim.quantity - total),
                "status": status, "days_late": late,
            })
        frame = pd.DataFrame(rows, columns=["order", "rating", "supplier", "buyer", "commodity",
                                            "quantity", "due_day", "delivered", "filled_day",
                                            "on_time", "shortfall", "status", "days_late"])
        return frame.astype({"filled_day": "Int64", "days_late": "Int64"})

    @cached_property
    def policies(self) -> pd.DataFrame:
        """The policy timeline: when each policy was in force (an airlift on its flight days),
        who switched it on (the scenario, or the retaliation that fired), and when retaliations
        fired."""
        pol = self.network.policies
        # an airlift is in force on its flight days, a delivery on the days something arrives
        flights = {c.id: c.flights > 0 for c in pol.claims if not c.is_order} | pol.delivery_days
        switched = {target: p.id for p in self.scenario.policies if p.id in pol.fired
                    and (a := p.activation()) is not None for target in a.activate}
        rows = []
        for i, p in enumerate(self.scenario.policies):
            days = np.flatnonzero(pol.active[i] & flights.get(p.id, True))
            by = "scenario" if p.enabled else switched.get(p.id) if days.size else None
            rows.append({
                "policy": p.id, "type": p.type, "enabled": p.enabled, "enabled_by": by,
                "active_days": int(days.size),
                "first_day": int(days[0]) if days.size else None,
                "last_day": int(days[-1]) if days.size else None,
                "fired_day": pol.fired.get(p.id),
            })
        frame = pd.DataFrame(rows, columns=["policy", "type", "enabled", "enabled_by", "active_days",
                                            "first_day", "last_day", "fired_day"])
        return frame.astype({"first_day": "Int64", "last_day": "Int64", "fired_day": "Int64"})

    @cached_property
    def conservation(self) -> pd.DataFrame:
        """Each spell of crisis conservation, per site and commodity: the day the site entered
        it (days of supply under the policy's threshold), the day it left (cover back at the
        lift level; none if it conserved to the end) and the days it lasted."""
        net, tr, b = self.network, self.trace, self.sample
        on = tr.conserving[:, b].reshape(net.days, -1)  # [T, N*C]
        edges = np.diff(np.vstack([np.zeros((1, on.shape[1]), bool), on,
                                   np.zeros((1, on.shape[1]), bool)]).astype(np.int8), axis=0)
        # a spell starts where the flag rises and ends where it falls; np.nonzero walks days
        # in order, so sorting by pair (stably) pairs each start with its end
        t0, p0 = np.nonzero(edges == 1)
        t1, p1 = np.nonzero(edges == -1)
        o0, o1 = np.argsort(p0, kind="stable"), np.argsort(p1, kind="stable")
        start, end, pair = t0[o0], t1[o1], p0[o0]
        n, c = np.divmod(pair, len(net.commodities))
        dates = np.asarray(self.scenario.dates, dtype=object)
        left = pd.array([int(e) if e < net.days else None for e in end], dtype="Int64")
        frame = pd.DataFrame({
            "site": np.asarray(net.nodes, dtype=object)[n],
            "region": np.asarray(net.regions, dtype=object)[net.node_region[n]],
            "commodity": np.asarray(net.commodities, dtype=object)[c],
            "entered_day": start.astype(int),
            "entered": dates[start] if start.size else np.zeros(0, dtype=object),
            "left_day": left,
            "left": [dates[e] if e < net.days else None for e in end],
            "days": (end - start).astype(int),
        })
        return frame.sort_values(["site", "commodity", "entered_day"], kind="stable",
                                 ignore_index=True)

    @cached_property
    def production(self) -> pd.DataFrame:
        """What each plant made each day: day, node, commodity, produced (zero days omitted)."""
        net = self.network
        made = self.trace.produced[:, self.sample]  # [T, R]
        t, r = np.nonzero(made > 0)
        return pd.DataFrame({
            "day": t,
            "node": np.asarray(net.nodes, dtype=object)[net.rec_node[r]],
            "commodity": np.asarray(net.commodities, dtype=object)[net.rec_com[r]],
            "produced": made[t, r],
        })

    @cached_property
    def supply(self) -> pd.DataFrame:
        """Days of supply at the point of care per region, commodity and day (on days with
        demand): the region's sites' end-of-day stock, that day's demand, and their ratio."""
        net, tr, b = self.network, self.trace, self.sample
        is_site = np.array([k == "site" for k in net.kinds])
        onehot = np.eye(len(net.regions))[net.node_region]  # [N, G]
        demand = np.einsum("tnc,ng->tgc", tr.demand[:, b], onehot)
        stock = np.einsum("tnc,ng->tgc", tr.stock[:, b] * is_site[None, :, None], onehot)
        t, g, c = np.nonzero(demand > 0)
        return pd.DataFrame({
            "day": t,
            "date": self._dates[t].date,
            "region": np.asarray(net.regions, dtype=object)[g],
            "commodity": np.asarray(net.commodities, dtype=object)[c],
            "stock": stock[t, g, c],
            "demand": demand[t, g, c],
            "days_of_supply": stock[t, g, c] / demand[t, g, c],
        }).sort_values(["region", "commodity", "day"], kind="stable").reset_index(drop=True)

    @cached_property
    def kpis(self) -> pd.DataFrame:
        """Per region and commodity: demand, served, unmet, unmet_pct, stockout_days,
        min_days_of_supply."""
        return kpi_table(self.network, self.trace, self.sample)

    @cached_property
    def costs(self) -> dict[str, float]:
        """The run's costs in all: shortage, holding, transport, and their total."""
        parts = costs(self.network, self.trace)[:, self.sample].sum(axis=(1, 2))
        out = {name: float(v) for name, v in zip(COST_PARTS, parts, strict=True)}
        return out | {"total": float(parts.sum())}

    @cached_property
    def balance_error(self) -> float:
        """The largest absolute mass-balance error over commodities, in units."""
        return balance_error(self.network, self.trace, self.sample)

    def violations(self) -> list[str]:
        """Invariants this run breaks (an empty list for a sound run)."""
        return violations(self.network, self.trace)

    def summary(self) -> dict[str, Any]:
        """The `--json` document of DESIGN.md's output contract."""
        care = self.care
        unstaffed = care.groupby("site")["unstaffed"].sum() if len(care) else pd.Series(dtype=float)
        return {
            "scenario": self.scenario.name,
            "variant": self.variant,
            "allocator": self.allocator,
            "days": self.days,
            "kpis": _records(self.kpis),
            "care": [{"site": site, "region": self.scenario.nodes[site].region,
                      "unstaffed_patient_days": float(v)} for site, v in unstaffed.items()],
            "balance": {"max_abs_error": self.balance_error},
            **({"orders": _records(self.orders)} if len(self.orders) else {}),
            **({"conservation": _records(self.conservation)} if len(self.conservation) else {}),
            **({"cost": self.costs} if self.network.has_costs else {}),
            **({} if self.rolling is None else
               {"rolling": {"window": self.rolling[0], "commit": self.rolling[1]}}),
        }


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    out = []
    for row in frame.to_dict(orient="records"):
        out.append({k: (None if v is None or v is pd.NA or
                        (isinstance(v, float) and not np.isfinite(v)) else
                        v.isoformat() if isinstance(v, dt.date) else
                        v.item() if isinstance(v, np.generic) else v) for k, v in row.items()})
    return out
