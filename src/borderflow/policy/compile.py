"""Compile a scenario's policies into per-day arrays over the engine's arcs.

An arc is one commodity on one lane. Only arcs that some rule caps are stored, so a network
with no policies costs nothing here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..model import Scenario

IntArray = np.ndarray[Any, np.dtype[np.intp]]
Array = np.ndarray[Any, np.dtype[np.float64]]


@dataclass(frozen=True)
class Arcs:
    """The engine's arcs, described by names so this layer needs nothing from the engine."""

    src: tuple[str, ...]
    dst: tuple[str, ...]
    commodity: tuple[str, ...]


@dataclass(frozen=True)
class PolicyArrays:
    """Per-day allowances on the arcs some rule caps (all other arcs are uncapped)."""

    capped: IntArray  # arc indices
    allowance: Array  # [days, len(capped)] units per day; inf = no cap

    def day(self, t: int, n_arcs: int) -> Array:
        allow = np.full(n_arcs, np.inf)
        allow[self.capped] = self.allowance[t]
        return allow


def compile_policies(scenario: Scenario, arcs: Arcs) -> PolicyArrays:
    # A stockpile ships only while a release is active (stockpile_release); without one its
    # lanes are shut.
    kinds = np.array([scenario.nodes[n].kind for n in arcs.src], dtype=object)
    capped = np.flatnonzero(kinds == "stockpile").astype(np.intp)
    allowance = np.zeros((scenario.days, capped.size))
    return PolicyArrays(capped, allowance)
