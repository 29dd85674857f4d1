"""Results: tidy tables from a run's records, KPIs, storage."""

from .compare import Comparison, compare
from .kpis import KPI_COLUMNS
from .result import Result
from .simulate import simulate
from .store import write_run

__all__ = ["KPI_COLUMNS", "Comparison", "Result", "compare", "simulate", "write_run"]
