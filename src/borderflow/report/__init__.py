"""The report: plotly figures and the single-file, offline HTML reports of runs, comparisons
sweeps, sensitivity studies, stress tests and attributions (never computes KPIs); PNG export
through a local Chromium."""

from .attribution import attribution_figures, attribution_report
from .folder import folder_report, write_report
from .html import comparison_report, run_figures, run_report
from .png import PngUnavailable, write_pngs
from .sensitivity import sensitivity_report
from .stress import stress_report
from .sweep import sweep_figures, sweep_report

__all__ = ["PngUnavailable", "attribution_figures", "attribution_report", "comparison_report",
           "folder_report", "run_figures", "run_report", "sensitivity_report", "stress_report",
           "sweep_figures", "sweep_report", "write_pngs", "write_report"]
