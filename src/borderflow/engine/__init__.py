"""The engine: a scenario compiled to arrays, simulated day by day or optimised."""

from .allocators import ALLOCATORS, CAPABILITIES, Allocator, allocator, run
from .errors import InvariantError, OptimalError
from .invariants import mass_balance, violations
from .limits import LaneLimits, lane_limits
from .network import Network, Sampled
from .records import DayRecord, Trace
from .simulator import Simulator
from .triggers import compile_network, resolve

__all__ = ["ALLOCATORS", "CAPABILITIES", "Allocator", "DayRecord", "InvariantError", "LaneLimits",
           "Network", "OptimalError", "Sampled", "Simulator", "Trace", "allocator",
           "compile_network", "lane_limits", "mass_balance", "resolve", "run", "violations"]
