"""Results: tidy tables from a run's records, KPIs, storage."""

from .compare import Comparison, compare
from .kpis import KPI_COLUMNS
from .result import Result
from .simulate import simulate
from .store import RunTables, read_run, run_tables, write_comparison, write_run

__all__ = ["KPI_COLUMNS", "Comparison", "Result", "RunTables", "compare", "read_run", "run_tables",
           "simulate", "write_comparison", "write_run"]
