"""Demand and other day-by-day quantities: series evaluated into arrays."""

from .series import evaluate

__all__ = ["evaluate"]
