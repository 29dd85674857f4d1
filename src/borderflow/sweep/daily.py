"""Daily series of a sweep for a few chosen regions, and their quantiles over samples (the fan
charts of the sweep report).

A region's day is the sum over its sites (the points of care), as in the run's `supply` table:
demand, unmet demand and end-of-day stock. Only regions asked for are kept: a day per sample,
region and commodity adds up fast (98 days x 1000 samples x 3 commodities is ~300k rows per
region and variant)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..engine import Network, Trace
from ..model import Problem, Scenario, ScenarioError

DAILY_COLUMNS = ["variant", "sample", "region", "commodity", "day", "demand", "unmet", "stock"]
QUANTILES = {"p10": 0.10, "p25": 0.25, "p50": 0.50, "p75": 0.75, "p90": 0.90}
FAN_COLUMNS = ["variant", "region", "commodity", "measure", "day", *QUANTILES]
MEASURES = ("days_of_supply", "unmet_to_date_pct")


def daily_regions(s: Scenario, regions: list[str] | None) -> tuple[str, ...]:
    """The regions asked for, checked against the scenario, in the order given."""
    for region in regions or []:
        if region not in s.regions:
            raise ScenarioError([Problem(s.file, 1, ("--daily",), f"no region {region!r} "
                                         f"(regions: {', '.join(s.regions)})")])
    return tuple(dict.fromkeys(regions or []))


def daily_rows(net: Network, trace: Trace, regions: tuple[str, ...], first_sample: int,
               variant: str) -> pd.DataFrame:
    """Rows (variant, sample, region, commodity, day, demand, unmet, stock) for every sample of
    the batch (numbered from `first_sample`) and each (region, commodity) of `regions` with any
    demand in that sample."""
    is_site = np.array([k == "site" for k in net.kinds])
    frames = []
    for region in regions:
        members = np.flatnonzero((np.asarray(net.node_region) == net.regions.index(region)) & is_site)
        demand = trace.demand[:, :, members, :].sum(axis=2)  # [T, B, C]
        unmet = (trace.demand - trace.served)[:, :, members, :].sum(axis=2)
        stock = trace.stock[:, :, members, :].sum(axis=2)
        T = demand.shape[0]
        b, c = np.nonzero(demand.sum(axis=0) > 0)
        n = len(b)
        if n == 0:
            continue
        frames.append(pd.DataFrame({
            "variant": variant,
            "sample": np.repeat(b + first_sample, T),
            "region": region,
            "commodity": np.repeat(np.asarray(net.commodities, dtype=object)[c], T),
            "day": np.tile(np.arange(T), n),
            "demand": demand[:, b, c].T.reshape(-1),
            "unmet": unmet[:, b, c].T.reshape(-1),
            "stock": stock[:, b, c].T.reshape(-1),
        }))
    if not frames:
        return pd.DataFrame(columns=DAILY_COLUMNS)
    return pd.concat(frames, ignore_index=True)[DAILY_COLUMNS]


def fan(daily: pd.DataFrame) -> pd.DataFrame:
    """Per variant, region, commodity, measure and day: P10, P25, P50, P75, P90 over samples.

    Measures: `days_of_supply` (end-of-day stock over that day's demand; days without demand
    are left out) and `unmet_to_date_pct` (unmet demand so far as a share of demand so far; on
    the last day it is the sample's unmet_pct)."""
    keys = ["variant", "region", "commodity"]
    d = daily.sort_values([*keys, "sample", "day"], kind="stable")
    per_sample = d.groupby([*keys, "sample"], sort=False)
    demand_to_date = per_sample["demand"].cumsum()
    with np.errstate(divide="ignore", invalid="ignore"):
        measures = pd.DataFrame({
            **{k: d[k] for k in [*keys, "day"]},
            "days_of_supply": np.where(d["demand"] > 0, d["stock"] / d["demand"], np.nan),
            "unmet_to_date_pct": np.where(demand_to_date > 0,
                                          100.0 * per_sample["unmet"].cumsum() / demand_to_date,
                                          np.nan),
        })
    long = measures.melt(id_vars=[*keys, "day"], value_vars=list(MEASURES), var_name="measure")
    q = (long.groupby([*keys, "measure", "day"], sort=True)["value"]
         .quantile(list(QUANTILES.values())).unstack())
    q.columns = list(QUANTILES)
    return q.reset_index()[FAN_COLUMNS]
