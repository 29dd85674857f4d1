"""A sweep's result and its statistics over samples: the summary (unmet % quantiles, stockout
probability) and the fan (daily quantiles).

A sweep with a folder holds no per-sample row in memory: the rows stay in the folder's chunk
files and DuckDB computes the statistics over them (the fan out of core, see
`daily.fan_of_files`), so a sweep's memory stays flat as its samples grow. A sweep without a
folder keeps its rows in memory and pandas computes the same numbers: np.percentile's default
(linear) interpolation is DuckDB's quantile_cont, and both means are compensated sums.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from .daily import FAN_COLUMNS, fan, fan_of_files, read_parquet

SUMMARY_COLUMNS = ["variant", "region", "commodity", "unmet_pct_mean", "unmet_pct_p10",
                   "unmet_pct_p50", "unmet_pct_p90", "p_stockout"]


@dataclass(frozen=True)
class Held:
    """Rows in memory (a sweep without a folder)."""
    kpis: pd.DataFrame
    daily: pd.DataFrame | None  # None: no daily series were asked for


@dataclass(frozen=True)
class Files:
    """Rows in a sweep folder's Parquet files, in chunk order."""
    kpis: tuple[Path, ...]
    daily: tuple[Path, ...] | None  # None: no daily series were asked for


@dataclass(frozen=True)
class SweepResult:
    scenario: str
    seed: int
    samples: int
    variants: tuple[str, ...]
    rows: Held | Files

    @property
    def kpis(self) -> pd.DataFrame:
        """One row per variant, sample, region and commodity (`chunk.COLUMNS`). From a folder
        this reads every chunk file: all samples in memory at once."""
        if isinstance(self.rows, Held):
            return self.rows.kpis
        return pd.concat([pd.read_parquet(f) for f in self.rows.kpis], ignore_index=True)

    @property
    def daily(self) -> pd.DataFrame | None:
        """The daily series (`daily.DAILY_COLUMNS`) of the regions asked for (`daily=`), None
        without. From a folder this reads every daily file: all samples' days in memory."""
        if isinstance(self.rows, Held) or self.rows.daily is None:
            return self.rows.daily
        return pd.concat([pd.read_parquet(f) for f in self.rows.daily], ignore_index=True)

    @property
    def has_daily(self) -> bool:
        return self.rows.daily is not None

    def summary(self) -> pd.DataFrame:
        """Per variant, region and commodity (in the order they first occur): mean, P10, P50,
        P90 of unmet % and the probability of any stockout."""
        if isinstance(self.rows, Files):
            return _summary_sql(self.rows.kpis)
        g = self.rows.kpis.groupby(["variant", "region", "commodity"], sort=False)
        out = g["unmet_pct"].agg(
            mean="mean", p10=lambda x: float(np.percentile(x, 10)),
            p50=lambda x: float(np.percentile(x, 50)), p90=lambda x: float(np.percentile(x, 90)))
        out["p_stockout"] = g["stockout_days"].agg(lambda x: float((x > 0).mean()))
        return out.reset_index().rename(columns={"mean": "unmet_pct_mean", "p10": "unmet_pct_p10",
                                                 "p50": "unmet_pct_p50", "p90": "unmet_pct_p90"})

    def fan(self) -> pd.DataFrame:
        """Quantiles over samples of the daily series, per day (see `daily.fan`); no rows
        without daily series."""
        if isinstance(self.rows, Files):
            return fan_of_files(self.rows.daily) if self.rows.daily else \
                pd.DataFrame(columns=FAN_COLUMNS)
        daily = self.rows.daily
        return fan(daily) if daily is not None and len(daily) else \
            pd.DataFrame(columns=FAN_COLUMNS)


def _query(sql: str, files: pd.DataFrame) -> pd.DataFrame:
    with tempfile.TemporaryDirectory(prefix="borderflow-summary-") as tmp, \
            duckdb.connect(config={"temp_directory": tmp}) as con:  # not ./.tmp if it spills
        con.register("files", files)
        return con.execute(sql).df()


def _summary_sql(files: tuple[Path, ...]) -> pd.DataFrame:
    # groups in the order they first occur, as pandas' groupby(sort=False) over the chunks
    # concatenated in order: by (file's place, row in file) of their first row
    order = pd.DataFrame({"filename": [str(f) for f in files], "place": range(len(files))})
    p = ", ".join(f"quantile_cont(unmet_pct, {q / 100}) as unmet_pct_p{q}" for q in (10, 50, 90))
    sql = (f"select variant, region, commodity, fsum(unmet_pct) / count(unmet_pct) as "
           f"unmet_pct_mean, {p}, count_if(stockout_days > 0) / count(*) as p_stockout "
           f"from {read_parquet(files, 'filename = true, file_row_number = true')} k "
           "join files using (filename) group by variant, region, commodity "
           "order by min(place::bigint * 4294967296 + file_row_number)")
    return _query(sql, order)[SUMMARY_COLUMNS]
