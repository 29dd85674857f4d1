"""Key figures per region and commodity, and the mass-balance check."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..engine import Network, Trace, mass_balance
from .schema import KPIS

KPI_COLUMNS = KPIS.names


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
    multiplier = net.policies.conserve_multiplier
    if multiplier is None or not trace.conserving.any():
        return trace.demand
    T, (N, C) = trace.demand.shape[0], net.shape
    m = multiplier.reshape(T, 1, N, C)
    return np.where(trace.conserving, trace.demand / np.where(trace.conserving, m, 1.0),
                    trace.demand)


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
    demand, in that order: the columns of `schema.KPIS`.

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
    is_site = np.array([k == "site" for k in net.kinds])
    nodes, by_region = _regions(net, trace)
    demand, served = trace.demand[:, :, nodes], trace.served[:, :, nodes]
    backlog = trace.backlog[:, :, nodes]
    owed = np.concatenate([np.zeros_like(backlog[:1]), backlog[:-1]])
    d = by_region(demand)
    s = by_region(served)
    normal = by_region(normal_demand(net, trace)[:, :, nodes]).sum(axis=0)  # [B, G, C]
    short = by_region((demand + owed - served > 1e-9).astype(float))
    stock = by_region(trace.stock[:, :, nodes] * is_site[nodes][None, None, :, None])
    with np.errstate(divide="ignore", invalid="ignore"):
        dos = np.where(d > 0, stock / d, np.inf).min(axis=0)  # [B, G, C]
    total, got = d.sum(axis=0), s.sum(axis=0)
    b, g, c = np.nonzero(total > 0)
    t, x, n = total[b, g, c], got[b, g, c], normal[b, g, c]
    late = by_region(_delay(demand, served, net.inventory.backlog[nodes])[None])[0]  # [B, G, C]
    with np.errstate(divide="ignore", invalid="ignore"):
        delay = np.where(x > 0, late[b, g, c] / x, 0.0)
    cost = _by_node_region(net, costs(net, trace).sum(axis=0))  # [B, G, C]
    return pd.DataFrame({
        "sample": b, "region": np.asarray(net.regions, dtype=object)[g],
        "commodity": np.asarray(net.commodities, dtype=object)[c], "demand": t, "served": x,
        "unmet": t - x, "unmet_pct": 100.0 * (t - x) / t,
        "stockout_days": (short > 0).sum(axis=0)[b, g, c].astype(int),
        "min_days_of_supply": dos[b, g, c].astype(float),
        "normal_demand": n, "normal_unmet": np.maximum(0.0, n - x),
        "normal_unmet_pct": 100.0 * np.maximum(0.0, n - x) / n,
        "backlog": by_region(backlog[-1:])[0][b, g, c], "mean_delay_days": delay,
        "cost": cost[b, g, c],
    }, columns=["sample", *KPI_COLUMNS])


def region_totals(net: Network, trace: Trace) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """[B, G, C] demand and served over the horizon by region, summed as `kpi_batch` sums them
    (its `demand` and `served`, 0 where a region has no demand of a commodity)."""
    nodes, by_region = _regions(net, trace)
    return (by_region(trace.demand[:, :, nodes]).sum(axis=0),
            by_region(trace.served[:, :, nodes]).sum(axis=0))


def _regions(net: Network, trace: Trace) -> tuple[np.ndarray[Any, Any], Any]:
    """The nodes that add to a region's figures (sites and nodes with demand: every other term
    is an exact 0), grouped by region, and the function summing [T, B, nodes, C] values of
    them to [T, B, G, C] in one pass."""
    is_site = np.array([k == "site" for k in net.kinds])
    G = len(net.regions)
    keep = np.flatnonzero(is_site | trace.demand.any(axis=(0, 1, 3)))
    nodes = keep[np.argsort(net.node_region[keep], kind="stable")]
    counts = np.bincount(net.node_region[nodes], minlength=G)
    present = counts > 0
    starts = (np.cumsum(counts) - counts)[present]

    def by_region(values: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
        T, B, _, C = values.shape
        out = np.zeros((T, B, G, C))
        if nodes.size:
            out[:, :, present] = np.add.reduceat(values, starts, axis=2)
        return out

    return nodes, by_region


def _delay(demand: np.ndarray[Any, Any], served: np.ndarray[Any, Any],
           owes: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """[B, nodes, C] unit-days of delay of what sites that owe unmet demand served, first owed
    first served: over days t, the units demanded by t but served after t among those served
    by the end, max(0, min(D_t, S_end) - S_t) with D and S cumulative."""
    D, S = np.cumsum(demand, axis=0), np.cumsum(served, axis=0)
    waiting = np.maximum(0.0, np.minimum(D, S[-1:]) - S).sum(axis=0)
    return np.where(owes[None, :, None], waiting, 0.0)


def _by_node_region(net: Network, values: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """[B, N, C] -> [B, G, C] sums over every node of each region."""
    onehot = np.eye(len(net.regions))[net.node_region]  # [N, G]
    out: np.ndarray[Any, Any] = np.einsum("bnc,ng->bgc", values, onehot)
    return out


COST_PARTS = ("shortage", "holding", "transport")


def costs(net: Network, trace: Trace) -> np.ndarray[Any, Any]:
    """[3, B, N, C] the run's costs by part (COST_PARTS), per node and commodity: shortage at
    sites with a shortage_cost (per unit lost, or per unit owed a day), holding (per unit held
    a day), transport (per unit shipped, at the node it is shipped to)."""
    inv = net.inventory
    B, (N, C) = trace.stock.shape[1], net.shape
    out = np.zeros((3, B, N, C))
    if inv.shortage_cost.any():
        owes = inv.backlog[None, None, :, None]
        short = np.where(owes, trace.backlog, trace.demand - trace.served).sum(axis=0)
        out[0] = short * inv.shortage_cost[None, :, None]
    if inv.holding_cost.any():
        out[1] = trace.stock.sum(axis=0) * inv.holding_cost[None, :, None]
    if net.arc_cost.any():
        spent = (trace.shipped * net.arc_cost).sum(axis=0)  # [B, A]
        at = (np.arange(B)[:, None] * N * C + net.arc_dst_pair[None, :]).ravel()
        out[2] = np.bincount(at, spent.ravel(), minlength=B * N * C).reshape(B, N, C)
    return out
