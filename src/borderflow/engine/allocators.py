"""Allocators behind one small protocol: given a compiled network, produce a Trace."""

from __future__ import annotations

import os
from typing import Protocol

from .invariants import violations
from .network import Network, Sampled
from .records import Trace
from .simulator import Simulator


class Allocator(Protocol):
    name: str

    def run(self, net: Network) -> Trace: ...


class Priority:
    """Rule-based: rated orders first, then pro rata to capped requests, day by day."""

    name = "priority"

    def run(self, net: Network) -> Trace:
        return Simulator(net).run()


class Optimal:
    """One LP over the whole horizon on HiGHS (engine/optimal.py, imported on first use so
    that commands which never optimise do not load the solver)."""

    name = "optimal"

    def run(self, net: Network) -> Trace:
        from .optimal import Optimal as Lp

        return Lp().run(net)


class Rolling:
    """The optimal allocator over a rolling horizon (engine/rolling.py): windows of `window`
    days, keeping the first `commit` days of each."""

    name = "optimal"

    def __init__(self, window: int, commit: int) -> None:
        self.window, self.commit = window, commit

    def run(self, net: Network) -> Trace:
        from .rolling import rolling

        return rolling(net, self.window, self.commit)


ALLOCATORS: dict[str, Allocator] = {"priority": Priority(), "optimal": Optimal()}


# Check every run against the invariants (the test suite turns this on; so can a user who
# wants the extra safety, with BORDERFLOW_CHECK=1).
CHECK = os.environ.get("BORDERFLOW_CHECK", "") not in ("", "0")


class OptimalError(ValueError):
    """The optimal allocation's LP has no optimum: the message names the constraint family at
    fault, never a raw solver status."""


class InvariantError(AssertionError):
    """A run broke an invariant: a bug in an allocator, never bad input."""


def run(net: Network, allocator: str = "priority",
        rolling: tuple[int, int] | None = None) -> Trace:
    """Run an allocator; `rolling=(window, commit)` runs the optimal one over a rolling
    horizon (validated by the caller: 1 <= commit <= window; a window beyond the horizon is
    the whole horizon)."""
    if allocator not in ALLOCATORS:
        raise ValueError(f"unknown allocator {allocator!r} (available: {', '.join(ALLOCATORS)})")
    if rolling is not None and allocator != "optimal":
        raise ValueError("a rolling horizon needs the optimal allocator")
    chosen = ALLOCATORS[allocator] if rolling is None else Rolling(*rolling)
    trace = chosen.run(net)
    check(net, trace, allocator)
    return trace


def check(net: Network, trace: Trace, what: str, sampled: Sampled | None = None) -> None:
    """When CHECK is on, raise InvariantError if the run (a batch run with `sampled` values)
    breaks an invariant."""
    if CHECK:
        broken = violations(net, trace, sampled=sampled)
        if broken:
            raise InvariantError(f"{net.name} ({what}): " + "; ".join(broken))
