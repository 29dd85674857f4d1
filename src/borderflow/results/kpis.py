"""Key figures per region and commodity, and the mass-balance check."""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from ..engine import DayRecord, Network, Trace, mass_balance
from .schema import KPIS

KPI_COLUMNS = KPIS.names
Array = np.ndarray[Any, np.dtype[np.float64]]


def kpi_table(net: Network, trace: Trace, sample: int = 0) -> pd.DataFrame:
    """Rows for each (region, commodity) with any demand in one sample of the run: the rows of
    `kpi_batch` for that sample (columns `schema.KPIS`)."""
    rows = kpi_batch(net, trace.sample(sample))
    return rows.drop(columns="sample")


def balance_error(net: Network, trace: Trace, sample: int = 0) -> float:
    """The largest absolute mass-balance error over commodities, in units."""
    errors = mass_balance(net, trace)[sample]
    return float(np.abs(errors).max()) if errors.size else 0.0


def normal_demand(net: Network, trace: Trace) -> np.ndarray[Any, Any]:
    """[T, B, N, C] what sites would have used at normal rates: their demand, undone by the
    conservation multiplier on the days they conserved."""
    return _normal(net, trace.demand, trace.conserving, 0)


def _normal(net: Network, demand: Array, conserving: np.ndarray[Any, Any],
            first: int) -> Array:
    """`normal_demand` of days first.. ([t, B, N, C] demand and where sites conserved)."""
    multiplier = net.policies.conserve_multiplier
    if multiplier is None or not conserving.any():
        return demand
    t, (N, C) = demand.shape[0], net.shape
    m = multiplier[first:first + t].reshape(t, 1, N, C)
    return np.where(conserving, demand / np.where(conserving, m, 1.0), demand)


def substituted(net: Network, trace: Trace) -> np.ndarray[Any, Any]:
    """[T, B, N, C] of what sites served, what substitutes covered (in the served commodity's
    units, at the site and commodity they stood in for)."""
    T, B = trace.served.shape[:2]
    out = np.zeros((T, B, net.shape[0] * net.shape[1]))
    for q, pair in enumerate(net.sub_for_pair.tolist()):  # a handful of rules
        out[:, :, pair] += trace.substituted[:, :, q]
    return out.reshape(trace.served.shape)


def kpi_batch(net: Network, trace: Trace) -> pd.DataFrame:
    """Per sample of the batch (`sample`, the batch index), region and commodity with any
    demand, in that order: the columns of `schema.KPIS` (see `BatchKpis`)."""
    kpis = BatchKpis(net, trace.demand.shape[1])
    kpis.add(trace)
    return kpis.table()


class RegionGroups:
    """The nodes whose figures the region KPIs sum (sites, and any other node with demand:
    every other node adds an exact 0), grouped by region, and those sums in one pass."""

    def __init__(self, net: Network) -> None:
        G = len(net.regions)
        self.is_site = np.array([k == "site" for k in net.kinds], dtype=bool)
        keep = np.flatnonzero(self.is_site | net.demand.any(axis=(0, 2)))
        self.nodes = keep[np.argsort(net.node_region[keep], kind="stable")]
        counts = np.bincount(net.node_region[self.nodes], minlength=G)
        self.present = counts > 0
        self.starts = (np.cumsum(counts) - counts)[self.present]
        self.regions = G

    def by_region(self, values: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
        """[t, B, nodes, C] -> [t, B, G, C] sums, in one pass."""
        t, B, _, C = values.shape
        out = np.zeros((t, B, self.regions, C))
        if self.nodes.size:
            out[:, :, self.present] = np.add.reduceat(values, self.starts, axis=2)
        return out


class BatchKpis:
    """A batch's KPIs gathered day by day: `add` a run's days (a DayRecord as `Simulator.step`
    returns it, or a whole Trace at once), then `table`. It keeps per region sums, and the
    daily series of the sites that owe unmet demand (for the delay), never the run's trace;
    the numbers are the same however the days come (every sum over days runs in day order).

    stockout_days: days on which some site of the region left demand unmet (or owed some).
    min_days_of_supply: the lowest, over days with demand, of the region's sites' end-of-day
    stock divided by that day's demand (days of supply at the point of care).
    backlog: what the region's sites still owe at the end (unmet: backlog).
    mean_delay_days: the mean delay of the units served, first owed first served (0 at
    sites that lose unmet demand).
    cost: `costs` of the region's nodes.
    normal_*: demand and unmet against normal use (`normal_demand`), beside those after
    conservation.
    """

    def __init__(self, net: Network, batch: int) -> None:
        self.net, self.batch = net, batch
        (N, C), G = net.shape, len(net.regions)
        self.groups = RegionGroups(net)
        self.nodes, self.by_region = self.groups.nodes, self.groups.by_region
        self.site_share = self.groups.is_site[self.nodes][None, None, :, None].astype(float)
        self.owing = np.flatnonzero(net.inventory.backlog[self.nodes])  # of self.nodes
        self.day = 0
        zeros = np.zeros((batch, G, C))
        self.demand, self.served, self.normal = zeros, zeros.copy(), zeros.copy()
        self.short_days = np.zeros((batch, G, C), dtype=np.int64)
        self.days_of_supply = np.full((batch, G, C), np.inf)
        self.backlog = zeros.copy()
        self.owed = np.zeros((batch, self.nodes.size, C))  # yesterday's backlog
        T, n = net.days, self.owing.size
        self.owing_demand, self.owing_served = np.zeros((2, T, batch, n, C))
        inv = net.inventory
        self.cost_sums = CostSums(
            np.zeros((batch, N, C)) if inv.shortage_cost.any() else None,
            np.zeros((batch, N, C)) if inv.holding_cost.any() else None,
            np.zeros((batch, net.arc_src.size)) if net.arc_cost.any() else None)

    def add(self, run: Trace | DayRecord) -> None:
        """The next day (a DayRecord) or days (a Trace, [t, B, ...]) of the run."""
        days = Days.of(run)
        first, t = self.day, days.demand.shape[0]
        nodes = self.nodes
        demand, served = at_nodes(days.demand, nodes), at_nodes(days.served, nodes)
        backlog = at_nodes(days.backlog, nodes)
        owed = np.concatenate([self.owed[None], backlog[:-1]])
        d, s = self.by_region(demand), self.by_region(served)
        self.demand = self.demand + over_days(d)
        self.served = self.served + over_days(s)
        normal = at_nodes(_normal(self.net, days.demand, days.conserving, first), nodes)
        self.normal = self.normal + over_days(self.by_region(normal))
        short = self.by_region((demand + owed - served > 1e-9).astype(float))
        self.short_days += (short > 0).sum(axis=0)
        stock = self.by_region(at_nodes(days.stock, nodes) * self.site_share)
        with np.errstate(divide="ignore", invalid="ignore"):
            dos = np.where(d > 0, stock / d, np.inf).min(axis=0)
        self.days_of_supply = np.minimum(self.days_of_supply, dos)
        self.backlog = self.by_region(backlog[-1:])[0]
        self.owed = backlog[-1]
        self.owing_demand[first:first + t] = demand[:, :, self.owing]
        self.owing_served[first:first + t] = served[:, :, self.owing]
        self.cost_sums.add(self.net, days)
        self.day += t

    def table(self) -> pd.DataFrame:
        net = self.net
        total, got, normal = self.demand, self.served, self.normal
        b, g, c = np.nonzero(total > 0)
        t, x, n = total[b, g, c], got[b, g, c], normal[b, g, c]
        waiting = np.zeros_like(self.owed)  # [B, nodes, C]
        waiting[:, self.owing] = _delay(self.owing_demand[:self.day], self.owing_served[:self.day])
        late = self.by_region(waiting[None])[0]  # [B, G, C]
        with np.errstate(divide="ignore", invalid="ignore"):
            delay = np.where(x > 0, late[b, g, c] / x, 0.0)
        cost = _by_node_region(net, self.cost_sums.costs(net, self.batch).sum(axis=0))
        return pd.DataFrame({
            "sample": b, "region": np.asarray(net.regions, dtype=object)[g],
            "commodity": np.asarray(net.commodities, dtype=object)[c], "demand": t,
            "served": x, "unmet": t - x, "unmet_pct": 100.0 * (t - x) / t,
            "stockout_days": self.short_days[b, g, c].astype(int),
            "min_days_of_supply": self.days_of_supply[b, g, c].astype(float),
            "normal_demand": n, "normal_unmet": np.maximum(0.0, n - x),
            "normal_unmet_pct": 100.0 * np.maximum(0.0, n - x) / n,
            "backlog": self.backlog[b, g, c], "mean_delay_days": delay, "cost": cost[b, g, c],
        }, columns=["sample", *KPI_COLUMNS])


def at_nodes(values: np.ndarray[Any, Any], nodes: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """values[:, :, nodes] of [t, B, N, ...] values: np.take gives the same several times
    quicker on that middle axis (58 against 15 us at 500 nodes and a batch of 12)."""
    out: np.ndarray[Any, Any] = np.take(values, nodes, axis=2)
    return out


def over_days(values: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """The sum over the leading (day) axis, one day after another: the same whether the days
    come one at a time or all at once (numpy's sum pairs the days up when no other axis is
    left, as in a batch of one sample, one region and one commodity)."""
    out: np.ndarray[Any, Any] = np.add.accumulate(values, axis=0)[-1]
    return out


class Days(NamedTuple):
    """The fields of a run's days that the KPIs read, each [t, B, ...]."""

    demand: Array
    served: Array
    backlog: Array
    stock: Array
    conserving: np.ndarray[Any, np.dtype[np.bool_]]
    shipped: Array

    @staticmethod
    def of(days: Trace | DayRecord) -> Days:
        """A Trace's days, or a DayRecord as one day."""
        one = isinstance(days, DayRecord)
        return Days(*(getattr(days, f)[None] if one else getattr(days, f) for f in Days._fields))


def _delay(demand: np.ndarray[Any, Any], served: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """[B, n, C] unit-days of delay of what sites that owe unmet demand served ([T, B, n, C]
    each), first owed first served: over days t, the units demanded by t but served after t
    among those served by the end, max(0, min(D_t, S_end) - S_t) with D and S cumulative."""
    D, S = np.cumsum(demand, axis=0), np.cumsum(served, axis=0)
    if not D.shape[0]:
        return np.zeros(D.shape[1:])
    return over_days(np.maximum(0.0, np.minimum(D, S[-1:]) - S))


def _by_node_region(net: Network, values: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """[B, N, C] -> [B, G, C] sums over every node of each region."""
    onehot = np.eye(len(net.regions))[net.node_region]  # [N, G]
    out: np.ndarray[Any, Any] = np.einsum("bnc,ng->bgc", values, onehot)
    return out


COST_PARTS = ("shortage", "holding", "transport")


class CostSums:
    """The sums over days that the costs are made of (None for a part that costs nothing):
    units short at sites with a shortage_cost (lost, or owed a day), units held a day, and
    the shipping bill per arc."""

    def __init__(self, short: Array | None, held: Array | None, spent: Array | None) -> None:
        self.short, self.held, self.spent = short, held, spent

    def add(self, net: Network, days: Days) -> None:
        """Days [t, B, ...] of the run, in order."""
        if self.short is not None:
            owes = net.inventory.backlog[None, None, :, None]
            self.short += over_days(np.where(owes, days.backlog, days.demand - days.served))
        if self.held is not None:
            self.held += over_days(days.stock)
        if self.spent is not None:
            self.spent += over_days(days.shipped * net.arc_cost)

    def costs(self, net: Network, batch: int) -> np.ndarray[Any, Any]:
        inv, (N, C) = net.inventory, net.shape
        out = np.zeros((3, batch, N, C))
        if self.short is not None:
            out[0] = self.short * inv.shortage_cost[None, :, None]
        if self.held is not None:
            out[1] = self.held * inv.holding_cost[None, :, None]
        if self.spent is not None:
            at = (np.arange(batch)[:, None] * N * C + net.arc_dst_pair[None, :]).ravel()
            out[2] = np.bincount(at, self.spent.ravel(), minlength=batch * N * C) \
                .reshape(batch, N, C)
        return out


def costs(net: Network, trace: Trace) -> np.ndarray[Any, Any]:
    """[3, B, N, C] the run's costs by part (COST_PARTS), per node and commodity: shortage at
    sites with a shortage_cost (per unit lost, or per unit owed a day), holding (per unit held
    a day), transport (per unit shipped, at the node it is shipped to)."""
    inv, B = net.inventory, trace.stock.shape[1]
    (N, C), A = net.shape, net.arc_src.size
    sums = CostSums(np.zeros((B, N, C)) if inv.shortage_cost.any() else None,
                    np.zeros((B, N, C)) if inv.holding_cost.any() else None,
                    np.zeros((B, A)) if net.arc_cost.any() else None)
    sums.add(net, Days.of(trace))
    return sums.costs(net, B)
