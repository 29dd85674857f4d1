"""The engine: a scenario compiled to arrays, simulated day by day or optimised."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .allocators import ALLOCATORS, CAPABILITIES, Allocator, allocator, days, run, streams
from .errors import InvariantError, OptimalError
from .invariants import mass_balance, violations
from .limits import LaneLimits, lane_limits
from .network import Network, Sampled, with_policies
from .records import DayRecord, Trace
from .simulator import Simulator
from .triggers import compile_network, resolve

if TYPE_CHECKING:
    from .warmstart import Warm


def warm(net: Network) -> Warm:
    """The horizon LP of `net` solved, ready to re-solve from its basis under a disruption's
    bounds (engine/warmstart.py). Imported on first use, as the optimal allocator is."""
    from .warmstart import Warm

    return Warm(net)

__all__ = ["ALLOCATORS", "CAPABILITIES", "Allocator", "DayRecord", "InvariantError", "LaneLimits",
           "Network", "OptimalError", "Sampled", "Simulator", "Trace", "allocator",
           "compile_network", "days", "lane_limits", "mass_balance", "resolve", "run", "streams",
           "violations", "warm", "with_policies"]
