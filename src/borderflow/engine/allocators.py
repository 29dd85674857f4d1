"""Allocators behind one small protocol: given a compiled network, produce a Trace."""

from __future__ import annotations

from typing import Protocol

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


def run(net: Network, allocator: str = "priority") -> Trace:
    if allocator not in ALLOCATORS:
        raise ValueError(f"unknown allocator {allocator!r} (available: {', '.join(ALLOCATORS)})")
    return ALLOCATORS[allocator].run(net)
