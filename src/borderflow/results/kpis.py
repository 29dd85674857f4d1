"""Key figures per region and commodity, and the mass-balance check."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..engine import Network, Trace

KPI_COLUMNS = ["region", "commodity", "demand", "served", "unmet", "unmet_pct",
               "stockout_days", "min_days_of_supply"]


def _by_region(net: Network, values: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """[T, N, C] -> [T, regions, C] sums."""
    T, _, C = values.shape
    out = np.zeros((T, len(net.regions), C))
    np.add.at(out, (slice(None), net.node_region), values)
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


def balance_errors(net: Network, trace: Trace, sample: int = 0) -> np.ndarray[Any, Any]:
    """Per commodity: initial + produced - consumed - inputs used - final stock - in transit.

    Airlifted units will enter this sum with the airlift policy. Zero up to rounding.
    """
    C = len(net.commodities)
    produced = np.zeros(C)
    made = trace.produced[:, sample].sum(axis=0)  # [R]
    np.add.at(produced, net.rec_com, made)
    inputs_used = (made[:, None] * net.rec_inputs).sum(axis=0)
    consumed = trace.served[:, sample].sum(axis=(0, 1))
    final = trace.stock[-1, sample].sum(axis=0) + trace.in_transit[-1, sample].sum(axis=0)
    initial = net.stock0.sum(axis=0)
    return initial + produced - consumed - inputs_used - final  # type: ignore[no-any-return]


def balance_error(net: Network, trace: Trace, sample: int = 0) -> float:
    """The largest absolute mass-balance error over commodities, in units."""
    errors = balance_errors(net, trace, sample)
    return float(np.abs(errors).max()) if errors.size else 0.0
