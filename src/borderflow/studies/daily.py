"""Daily series of a sweep for a few chosen regions, and their quantiles over samples (the fan
charts of the sweep report).

A region's day is the sum over its sites (the points of care), as in the run's `supply` table:
demand, unmet demand and end-of-day stock. Only regions asked for are kept: a day per sample,
region and commodity adds up fast (98 days x 1000 samples x 3 commodities is ~300k rows per
region and variant)."""

from __future__ import annotations

import glob
import math
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from ..engine import DayRecord, Network, Trace
from ..model import Scenario, UsageError
from ..results.schema import DAILY

DAILY_COLUMNS = DAILY.names
QUANTILES = {"p10": 0.10, "p25": 0.25, "p50": 0.50, "p75": 0.75, "p90": 0.90}
FAN_COLUMNS = ["variant", "region", "commodity", "measure", "day", *QUANTILES]
MEASURES = ("days_of_supply", "unmet_to_date_pct")
# DuckDB's memory while it sorts a folder's measures (one thread), past which it spills to disk:
# 32 MB up to 2 million values (two per sample and day: a region and commodity of the flagship
# over 10,000 samples), then growing as the square root of the values, since merging the sorted
# runs pins a block of each (measured: 32 MB fails at 12 million values and 64 MB at 59
# million; 64 MB sorts 12 million and 123 MB 59 million)
FAN_MEMORY_MB, FAN_MEMORY_VALUES = 32, 2_000_000


def daily_regions(s: Scenario, regions: list[str] | None) -> tuple[str, ...]:
    """The regions asked for, checked against the scenario, in the order given."""
    for region in regions or []:
        if region not in s.regions:
            raise UsageError("--daily", f"no region {region!r} (regions: {', '.join(s.regions)})")
    return tuple(dict.fromkeys(regions or []))


def daily_rows(net: Network, trace: Trace, regions: tuple[str, ...], first_sample: int,
               variant: str) -> pd.DataFrame:
    """Rows (variant, sample, region, commodity, day, demand, unmet, stock) for every sample of
    the batch (numbered from `first_sample`) and each (region, commodity) of `regions` with any
    demand in that sample."""
    sums = DailySums(net, trace.demand.shape[1], regions)
    sums.add(trace)
    return sums.rows(first_sample, variant)


class DailySums:
    """The daily series of a batch's `regions`, gathered day by day (`add` a DayRecord as
    `Simulator.step` returns it, or a whole Trace): per region, day, sample and commodity, the
    sums over its sites of demand, unmet demand and end-of-day stock."""

    def __init__(self, net: Network, batch: int, regions: tuple[str, ...]) -> None:
        self.net, self.regions = net, regions
        is_site = np.array([k == "site" for k in net.kinds])
        region_of = np.asarray(net.node_region)
        self.members = [np.flatnonzero((region_of == net.regions.index(r)) & is_site)
                        for r in regions]
        # [region, measure (demand, unmet, stock), T, B, C]
        self.sums = np.zeros((len(regions), 3, net.days, batch, len(net.commodities)))
        self.day = 0

    def add(self, run: Trace | DayRecord) -> None:
        """The next day (a DayRecord) or days (a Trace, [t, B, ...]) of the run."""
        one = isinstance(run, DayRecord)
        demand, served, stock = (x[None] if one else x for x in (run.demand, run.served, run.stock))
        t = demand.shape[0]
        at = slice(self.day, self.day + t)
        for i, members in enumerate(self.members):
            self.sums[i, 0, at] = demand[:, :, members, :].sum(axis=2)  # [t, B, C]
            self.sums[i, 1, at] = (demand - served)[:, :, members, :].sum(axis=2)
            self.sums[i, 2, at] = stock[:, :, members, :].sum(axis=2)
        self.day += t

    def rows(self, first_sample: int, variant: str) -> pd.DataFrame:
        """The rows of `daily_rows`."""
        frames = []
        for i, region in enumerate(self.regions):
            demand, unmet, stock = self.sums[i, :, :self.day]
            T = demand.shape[0]
            b, c = np.nonzero(demand.sum(axis=0) > 0)
            n = len(b)
            if n == 0:
                continue
            frames.append(pd.DataFrame({
                "variant": variant,
                "sample": np.repeat(b + first_sample, T),
                "region": region,
                "commodity": np.repeat(np.asarray(self.net.commodities, dtype=object)[c], T),
                "day": np.tile(np.arange(T), n),
                "demand": demand[:, b, c].T.reshape(-1),
                "unmet": unmet[:, b, c].T.reshape(-1),
                "stock": stock[:, b, c].T.reshape(-1),
            }))
        if not frames:
            return pd.DataFrame(columns=DAILY_COLUMNS)
        return pd.concat(frames, ignore_index=True)[DAILY_COLUMNS]


def measures(daily: pd.DataFrame) -> pd.DataFrame:
    """Rows (variant, region, commodity, day, measure, value) of the fan's two measures:
    `days_of_supply` (end-of-day stock over that day's demand; NaN on days without demand) and
    `unmet_to_date_pct` (unmet demand so far as a share of demand so far; on the last day it is
    the sample's unmet_pct). A sample's days must all be in `daily` (a chunk holds them)."""
    keys = ["variant", "region", "commodity"]
    d = daily.sort_values([*keys, "sample", "day"], kind="stable")
    per_sample = d.groupby([*keys, "sample"], sort=False)
    demand_to_date = per_sample["demand"].cumsum()
    with np.errstate(divide="ignore", invalid="ignore"):
        wide = pd.DataFrame({
            **{k: d[k] for k in [*keys, "day"]},
            "days_of_supply": np.where(d["demand"] > 0, d["stock"] / d["demand"], np.nan),
            "unmet_to_date_pct": np.where(demand_to_date > 0,
                                          100.0 * per_sample["unmet"].cumsum() / demand_to_date,
                                          np.nan),
        })
    return wide.melt(id_vars=[*keys, "day"], value_vars=list(MEASURES), var_name="measure")


def fan(chunks: Iterable[pd.DataFrame]) -> pd.DataFrame:
    """Per variant, region, commodity, measure and day: P10, P25, P50, P75, P90 over samples
    of the two `measures` of the daily series, given a chunk at a time (every day of a sample
    in one chunk), out of core: each chunk's measures go to a temporary file as (group number,
    day, value), DuckDB sorts them all (spilling to disk past FAN_MEMORY_MB), and the quantiles
    are taken one (group, day) at a time as the sorted rows stream in (linear interpolation,
    as np.percentile; NaN skipped, as pandas does). Memory holds one chunk, or one day's values
    of one group (one a sample), at a time."""
    group = ["variant", "region", "commodity", "measure"]
    numbers: dict[tuple[Any, ...], int] = {}  # group -> its number in the temporary files
    with tempfile.TemporaryDirectory(prefix="borderflow-fan-") as tmp:
        parts, count = [], 0
        for i, chunk in enumerate(chunks):
            long = measures(chunk)
            if not len(long):
                continue
            gid = np.empty(len(long), dtype=np.int64)
            for key, where in long.groupby(group, sort=False).indices.items():
                gid[where] = numbers.setdefault(key, len(numbers))
            count += len(long)
            parts.append(Path(tmp) / f"measures-{i:06d}.parquet")
            pd.DataFrame({"gid": gid, "day": long["day"].to_numpy(dtype=np.int64),
                          "value": long["value"].to_numpy(dtype=float)}).to_parquet(parts[-1])
        if not parts:
            return pd.DataFrame(columns=FAN_COLUMNS)
        keys = list(numbers)
        rows: list[list[Any]] = []
        at: tuple[int, int] | None = None
        values: list[np.ndarray[Any, Any]] = []

        def flush() -> None:
            if at is None:
                return
            v = np.concatenate(values)
            v = v[~np.isnan(v)]  # as pandas' quantile, which skips NaN
            q = np.percentile(v, [100 * x for x in QUANTILES.values()]) if len(v) else \
                [np.nan] * len(QUANTILES)
            rows.append([*keys[at[0]], at[1], *(float(x) for x in q)])

        mb = math.ceil(FAN_MEMORY_MB * max(1.0, math.sqrt(count / FAN_MEMORY_VALUES)))
        with duckdb.connect(config={"memory_limit": f"{mb}MB", "temp_directory": tmp,
                                    "threads": 1}) as con:
            files = ", ".join(f"'{glob.escape(str(p))}'" for p in parts)  # our own names
            reader = con.sql(f"select gid, day, value from read_parquet([{files}]) "
                             "order by gid, day").to_arrow_reader(1 << 16)
            for batch in reader:
                g, d, v = (batch.column(c).to_numpy() for c in ("gid", "day", "value"))
                cuts = np.flatnonzero((g[1:] != g[:-1]) | (d[1:] != d[:-1])) + 1
                for start, stop in zip([0, *cuts], [*cuts, len(g)], strict=True):
                    if at != (int(g[start]), int(d[start])):
                        flush()
                        at, values = (int(g[start]), int(d[start])), []
                    values.append(v[start:stop])
            flush()
    out = pd.DataFrame(rows, columns=[*group, "day", *QUANTILES])
    out["day"] = out["day"].astype("int64")
    # the order of `fan` (pandas' sorted group-by)
    return out.sort_values([*group, "day"], kind="stable", ignore_index=True)[FAN_COLUMNS]
