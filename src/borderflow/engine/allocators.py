"""Allocators behind one small protocol: given a compiled network, produce a Trace."""

from __future__ import annotations

import os
from typing import Protocol

from .invariants import violations
from .network import Network
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


ALLOCATORS: dict[str, Allocator] = {"priority": Priority()}


# Check every run against the invariants (the test suite turns this on; so can a user who
# wants the extra safety, with BORDERFLOW_CHECK=1).
CHECK = os.environ.get("BORDERFLOW_CHECK", "") not in ("", "0")


class InvariantError(AssertionError):
    """A run broke an invariant: a bug in an allocator, never bad input."""


def run(net: Network, allocator: str = "priority") -> Trace:
    if allocator not in ALLOCATORS:
        raise ValueError(f"unknown allocator {allocator!r} (available: {', '.join(ALLOCATORS)})")
    trace = ALLOCATORS[allocator].run(net)
    if CHECK:
        broken = violations(net, trace)
        if broken:
            raise InvariantError(f"{net.name} ({allocator}): " + "; ".join(broken))
    return trace
