"""Demand and other day-by-day quantities: series evaluated into arrays, and epidemics
projected as CHIME does (see docs/epidemics.md)."""

from .series import evaluate
from .sir import Projection, project

__all__ = ["Projection", "evaluate", "project"]
