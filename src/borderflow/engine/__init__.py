"""The engine: a scenario compiled to arrays, simulated day by day or optimised."""

from .allocators import ALLOCATORS, Allocator, run
from .invariants import mass_balance, violations
from .network import Network, Sampled, compile_network
from .records import DayRecord, Trace
from .simulator import Simulator

__all__ = ["ALLOCATORS", "Allocator", "DayRecord", "Network", "Sampled", "Simulator", "Trace",
           "compile_network", "mass_balance", "run", "violations"]
