"""Evaluate a series into one value per day of the horizon."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from ..model import Problem, Scenario, ScenarioError
from ..model.csvdata import read_column
from ..model.scenario import Epidemic
from ..model.series import Csv, EpidemicCensus, PerPatientDay, Ramp
from .sir import FitError, Projection, project

Array = np.ndarray[Any, np.dtype[np.float64]]


def evaluate(series: Any, scenario: Scenario) -> Array:
    """Values for days 0..days-1. Before a list's first step the value is 0."""
    days = scenario.days
    if isinstance(series, int | float):
        return np.full(days, float(series))
    if isinstance(series, list) and series and isinstance(series[0], PerPatientDay):
        # burn: several care settings, each a rate per patient-day times its census
        total: Array = np.sum([evaluate(setting, scenario) for setting in series], axis=0)
        return total
    if isinstance(series, list):
        out = np.zeros(days)
        for step in series:
            out[max(scenario.day(step.from_), 0):] = step.value
        return out
    if isinstance(series, Ramp):
        r = series.ramp
        start, end = scenario.day(r.start), scenario.day(r.end)
        t = np.arange(days, dtype=float)
        frac = np.clip((t - start) / (end - start), 0.0, 1.0) if end > start else \
            (t >= start).astype(float)
        return r.from_ + (r.to - r.from_) * frac
    if isinstance(series, Csv):
        base = scenario.base_dir or Path.cwd()
        return np.asarray(read_column(base / series.csv, series.column)[:days], dtype=float)
    if isinstance(series, PerPatientDay):
        return series.per_patient_day * evaluate(series.patients, scenario)
    if isinstance(series, EpidemicCensus):
        return series.share * epidemic(scenario, series.epidemic).series(series.census)[:days]
    raise TypeError(f"not a series: {series!r}")


def epidemic(scenario: Scenario, name: str) -> Projection:
    """The projection of one of the scenario's epidemics over its horizon."""
    try:
        return _projection(scenario.epidemics[name], scenario.start, scenario.days)
    except FitError as e:
        raise ScenarioError([Problem(scenario.file, 1, ("epidemics", name), str(e))]) from None


@lru_cache(maxsize=64)
def _projection(e: Epidemic, start: dt.date, days: int) -> Projection:
    # Each site's series asks for its epidemic again: one projection serves them all (and
    # every variant that leaves the epidemic alone). Its arrays are read-only.
    return project(e, start, days)
