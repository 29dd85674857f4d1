"""Flat, immutable records the engine emits: one per day, stacked into a Trace per run."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import Any

import numpy as np

Array = np.ndarray[Any, np.dtype[np.float64]]


def _readonly(a: Array) -> Array:
    a.setflags(write=False)
    return a


@dataclass(frozen=True, slots=True)
class DayRecord:
    """What happened on one day, for a batch of B samples (read-only arrays)."""

    day: int
    stock: Array  # [B, N, C] on hand at the end of the day
    in_transit: Array  # [B, N, C] shipped towards the node, not yet arrived
    produced: Array  # [B, R] made by each recipe
    demand: Array  # [B, N, C] what sites tried to use
    served: Array  # [B, N, C] what they used
    requested: Array  # [B, A] asked of each arc
    shipped: Array  # [B, A] sent on each arc

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, np.ndarray):
                value.setflags(write=False)


@dataclass(frozen=True, slots=True)
class Trace:
    """A whole run: every DayRecord field stacked on a leading day axis ([T, B, ...])."""

    stock: Array
    in_transit: Array
    produced: Array
    demand: Array
    served: Array
    requested: Array
    shipped: Array

    @staticmethod
    def stack(records: Sequence[DayRecord]) -> Trace:
        names = [f.name for f in fields(Trace)]
        return Trace(**{n: _readonly(np.stack([getattr(r, n) for r in records])) for n in names})

    @property
    def unmet(self) -> Array:
        return self.demand - self.served
