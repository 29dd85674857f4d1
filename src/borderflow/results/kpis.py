"""Key figures per region and commodity, and the mass-balance check."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..engine import Network, Trace, mass_balance

KPI_COLUMNS = ["region", "commodity", "demand", "served", "unmet", "unmet_pct",
               "stockout_days", "min_days_of_supply"]


def _by_region(net: Network, values: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """[T, N, C] -> [T, regions, C] sums."""
    onehot = np.eye(len(net.regions))[net.node_region]  # [N, G]
    out: np.ndarray[Any, Any] = np.einsum("tnc,ng->tgc", values, onehot)
    return out


def kpi_table(net: Network, trace: Trace, sample: int = 0) -> pd.DataFrame:
    """Rows for each (region, commodity) with any demand.

    stockout_days: days on which some site of the region left demand unmet.
    min_days_of_supply: the lowest, over days with demand, of the region's sites' end-of-day
    stock divided by that day's demand (days of supply at the point of care).
    """
    demand = trace.demand[:, sample]
    served = trace.served[:, sample]
    is_site = np.array([k == "site" for k in net.kinds])
    site_stock = trace.stock[:, sample] * is_site[None, :, None]
    d = _by_region(net, demand)
    s = _by_region(net, served)
    short = _by_region(net, (demand - served > 1e-9).astype(float))
    stock = _by_region(net, site_stock)
    with np.errstate(divide="ignore", invalid="ignore"):
        dos = np.where(d > 0, stock / d, np.inf).min(axis=0)
    rows = []
    for r, region in enumerate(net.regions):
        for c, com in enumerate(net.commodities):
            total = d[:, r, c].sum()
            if total <= 0:
                continue
            got = s[:, r, c].sum()
            rows.append({
                "region": region, "commodity": com, "demand": total, "served": got,
                "unmet": total - got, "unmet_pct": 100.0 * (total - got) / total,
                "stockout_days": int((short[:, r, c] > 0).sum()),
                "min_days_of_supply": float(dos[r, c]),
            })
    return pd.DataFrame(rows, columns=KPI_COLUMNS)


def balance_error(net: Network, trace: Trace, sample: int = 0) -> float:
    """The largest absolute mass-balance error over commodities, in units."""
    errors = mass_balance(net, trace)[sample]
    return float(np.abs(errors).max()) if errors.size else 0.0


def kpi_batch(net: Network, trace: Trace) -> pd.DataFrame:
    """`kpi_table` for every sample of a batched run at once, with a `sample` column (the
    batch index): the same rows and values as kpi_table(net, trace, b) for each b."""
    is_site = np.array([k == "site" for k in net.kinds])
    G = len(net.regions)
    # only sites and nodes with demand add anything (every other term is an exact 0)
    keep = np.flatnonzero(is_site | trace.demand.any(axis=(0, 1, 3)))
    nodes = keep[np.argsort(net.node_region[keep], kind="stable")]  # grouped by region
    counts = np.bincount(net.node_region[nodes], minlength=G)
    present = counts > 0
    starts = (np.cumsum(counts) - counts)[present]

    def by_region(values: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
        """[T, B, nodes, C] -> [T, B, G, C] sums, in one pass (the nodes grouped by region)."""
        T, B, _, C = values.shape
        out = np.zeros((T, B, G, C))
        if nodes.size:
            out[:, :, present] = np.add.reduceat(values, starts, axis=2)
        return out

    demand, served = trace.demand[:, :, nodes], trace.served[:, :, nodes]
    d = by_region(demand)
    s = by_region(served)
    short = by_region((demand - served > 1e-9).astype(float))
    stock = by_region(trace.stock[:, :, nodes] * is_site[nodes][None, None, :, None])
    with np.errstate(divide="ignore", invalid="ignore"):
        dos = np.where(d > 0, stock / d, np.inf).min(axis=0)  # [B, G, C]
    total, got = d.sum(axis=0), s.sum(axis=0)
    b, g, c = np.nonzero(total > 0)
    t, x = total[b, g, c], got[b, g, c]
    frame = pd.DataFrame({
        "sample": b, "region": np.asarray(net.regions, dtype=object)[g],
        "commodity": np.asarray(net.commodities, dtype=object)[c], "demand": t, "served": x,
        "unmet": t - x, "unmet_pct": 100.0 * (t - x) / t,
        "stockout_days": (short > 0).sum(axis=0)[b, g, c].astype(int),
        "min_days_of_supply": dos[b, g, c].astype(float),
    })
    return frame
