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


def kpi_batch(net: Network, trace: Trace) -> pd.DataFrame:
    """Per sample of the batch (`sample`, the batch index), region and commodity with any
    demand, in that order: the columns of `schema.KPIS`.

    stockout_days: days on which some site of the region left demand unmet.
    min_days_of_supply: the lowest, over days with demand, of the region's sites' end-of-day
    stock divided by that day's demand (days of supply at the point of care).
    """
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
    return pd.DataFrame({
        "sample": b, "region": np.asarray(net.regions, dtype=object)[g],
        "commodity": np.asarray(net.commodities, dtype=object)[c], "demand": t, "served": x,
        "unmet": t - x, "unmet_pct": 100.0 * (t - x) / t,
        "stockout_days": (short > 0).sum(axis=0)[b, g, c].astype(int),
        "min_days_of_supply": dos[b, g, c].astype(float),
    }, columns=["sample", *KPI_COLUMNS])
