"""Flat, immutable records the engine emits: one per day, stacked into a Trace per run."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import Any

import numpy as np

Array = np.ndarray[Any, np.dtype[np.float64]]


def readonly(a: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
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
    served: Array  # [B, N, C] what they used (of it, what substitutes covered)
    substituted: Array  # [B, Q] what each substitute rule covered, in units of its `for`
    substitute_used: Array  # [B, Q] what it used to, in units of its `use`
    requested: Array  # [B, A] asked of each arc (requests and claims)
    allowed: Array  # [B, A] what lane capacity and policies let through, before stock
    shipped: Array  # [B, A] sent on each arc
    # [B, A] why shipped < requested (-1: it was not); None from a Simulator run without
    # reasons (`engine.days`, for callers that reduce the days to KPIs)
    reason: np.ndarray[Any, np.dtype[np.int16]] | None
    conserving: np.ndarray[Any, np.dtype[np.bool_]]  # [B, N, C] sites cutting use to conserve
    backlog: Array  # [B, N, C] demand owed at the end of the day (sites with unmet: backlog)
    claim_asked: Array  # [B, K] what each claim (rated order, airlift) asked for
    claim_limit: Array  # [B, K] what its lane capacity and policies allowed
    claimed: Array  # [B, K] what it got
    patients: Array  # [B, S] patients at each care site
    staff: Array  # [B, S] staff on duty: local staff plus commuters whose border is open
    unstaffed: Array  # [B, S] patients beyond what the staff can care for

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
    substituted: Array
    substitute_used: Array
    requested: Array
    allowed: Array
    shipped: Array
    reason: np.ndarray[Any, np.dtype[np.int16]]
    conserving: np.ndarray[Any, np.dtype[np.bool_]]
    backlog: Array
    claim_asked: Array
    claim_limit: Array
    claimed: Array
    patients: Array
    staff: Array
    unstaffed: Array

    @staticmethod
    def stack(records: Sequence[DayRecord]) -> Trace:
        """Stack a run's records (all fields but `day`) along a new leading day axis."""
        names = [f.name for f in fields(Trace)]
        if any(r.reason is None for r in records):
            raise ValueError("records without shortfall reasons do not make a trace")
        return Trace(**{n: readonly(np.stack([getattr(r, n) for r in records])) for n in names})

    def sample(self, b: int) -> Trace:
        """Sample b of the batch, as a batch of one."""
        return Trace(**{f.name: getattr(self, f.name)[:, b:b + 1] for f in fields(Trace)})

    @staticmethod
    def concat(traces: Sequence[Trace]) -> Trace:
        """Runs of single samples as one batch (along the sample axis)."""
        names = [f.name for f in fields(Trace)]
        return Trace(**{n: readonly(np.concatenate([getattr(t, n) for t in traces], axis=1))
                        for n in names})

    @property
    def unmet(self) -> Array:
        return self.demand - self.served
