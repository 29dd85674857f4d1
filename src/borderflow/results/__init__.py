"""Results: tidy tables from a run's records, KPIs, the comparison of variants, and the
declared output schema (`schema`). Computing only: `store/` writes them."""

from .comparison import Comparison, compare
from .kpis import KPI_COLUMNS
from .result import Result
from .simulation import simulate

__all__ = ["KPI_COLUMNS", "Comparison", "Result", "compare", "simulate"]
