"""The report: plotly figures and the single-file, offline HTML report (never computes KPIs)."""

from .html import comparison_report, run_figures, run_report
from .png import PngUnavailable, write_pngs

__all__ = ["PngUnavailable", "comparison_report", "run_figures", "run_report", "write_pngs"]
