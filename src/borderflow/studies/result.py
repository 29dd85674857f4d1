"""A sweep's result and its statistics over samples: the summary (unmet % quantiles, stockout
probability) and the fan (daily quantiles), each computed one way whatever holds the rows.

The rows are per sample, region and commodity (and day, for the daily series), a chunk at a
time: in memory (`Held`, a sweep without a folder) or in a folder's files (the store's
`ChunkFiles`), so a sweep's memory stays flat as its samples grow. The summary is one SQL
query (DuckDB) over the rows as a relation; the fan streams the chunks (`daily.fan`).
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol

import duckdb
import pandas as pd

from ..model import Scenario
from ..results.schema import SUMMARY
from .chunk import CHUNK_SIZE
from .daily import FAN_COLUMNS, fan

SUMMARY_COLUMNS = SUMMARY.names


class Rows(Protocol):
    """Where a sweep's rows are, chunk by chunk in plan order."""

    @property
    def has_daily(self) -> bool: ...

    def kpi_chunks(self) -> Iterator[pd.DataFrame]: ...

    def daily_chunks(self) -> Iterator[pd.DataFrame]: ...

    def kpi_relation(self, con: duckdb.DuckDBPyConnection) -> str:
        """SQL naming the KPI rows with two more columns: `place` (the chunk's) and `row`
        (within it), which order them as the chunks are planned."""


@dataclass(frozen=True)
class Held:
    """Rows in memory, one frame per chunk (a sweep without a folder)."""

    kpis: tuple[pd.DataFrame, ...]
    daily: tuple[pd.DataFrame, ...] | None  # None: no daily series were asked for

    @property
    def has_daily(self) -> bool:
        return self.daily is not None

    def kpi_chunks(self) -> Iterator[pd.DataFrame]:
        return iter(self.kpis)

    def daily_chunks(self) -> Iterator[pd.DataFrame]:
        return iter(self.daily or ())

    def kpi_relation(self, con: duckdb.DuckDBPyConnection) -> str:
        frames = [f.assign(place=i, row=range(len(f))) for i, f in enumerate(self.kpis)]
        con.register("held_kpis", pd.concat(frames, ignore_index=True) if frames else
                     pd.DataFrame(columns=[*SUMMARY_COLUMNS, "place", "row"]))
        return "held_kpis"


def _joined(chunks: Iterator[pd.DataFrame], columns: Sequence[str]) -> pd.DataFrame:
    frames = [f for f in chunks if len(f)]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=list(columns))


@dataclass(frozen=True)
class SweepResult:
    scenario: str
    seed: int
    samples: int
    variants: tuple[str, ...]  # "" for the scenario as written
    rows: Rows
    chunk_size: int = CHUNK_SIZE
    daily_regions: tuple[str, ...] = ()
    allocator: str = "priority"
    source: Scenario | None = None  # the scenario swept (to save it: `store.save`)

    @property
    def kpis(self) -> pd.DataFrame:
        """One row per variant, sample, region and commodity (`schema.SWEEP_KPIS`); all
        samples in memory at once."""
        from .chunk import COLUMNS

        return _joined(self.rows.kpi_chunks(), COLUMNS)

    @property
    def daily(self) -> pd.DataFrame | None:
        """The daily series (`schema.DAILY`) of the regions asked for (`daily=`), None
        without; all samples' days in memory at once."""
        from .daily import DAILY_COLUMNS

        return _joined(self.rows.daily_chunks(), DAILY_COLUMNS) if self.has_daily else None

    @property
    def has_daily(self) -> bool:
        return self.rows.has_daily

    def summary(self) -> pd.DataFrame:
        """Per variant, region and commodity (in the order they first occur): mean, P10, P50,
        P90 of unmet % (np.percentile's linear interpolation: DuckDB's quantile_cont; the mean
        a compensated sum) and the probability of any stockout."""
        p = ", ".join(f"quantile_cont(unmet_pct, {q / 100}) as unmet_pct_p{q}" for q in (10, 50, 90))
        with tempfile.TemporaryDirectory(prefix="borderflow-summary-") as tmp, \
                duckdb.connect(config={"temp_directory": tmp}) as con:  # not ./.tmp if it spills
            rows = self.rows.kpi_relation(con)
            sql = (f"select variant, region, commodity, fsum(unmet_pct) / count(unmet_pct) as "
                   f"unmet_pct_mean, {p}, count_if(stockout_days > 0) / count(*) as p_stockout "
                   f"from {rows} group by variant, region, commodity "
                   "order by min(place::bigint * 4294967296 + row)")
            return con.execute(sql).df()[SUMMARY_COLUMNS]

    def fan(self) -> pd.DataFrame:
        """Quantiles over samples of the daily series, per day (see `daily.fan`); no rows
        without daily series."""
        if not self.has_daily:
            return pd.DataFrame(columns=FAN_COLUMNS)
        return fan(self.rows.daily_chunks())
