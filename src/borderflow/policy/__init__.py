"""Policies compiled into per-day arrays the engine consumes."""

from .compile import FIXED_REASONS, Arcs, Claim, Disrupted, PolicyArrays, compile_policies
from .screening import Screening, Shipment, screen

__all__ = ["FIXED_REASONS", "Arcs", "Claim", "Disrupted", "PolicyArrays", "Screening", "Shipment",
           "compile_policies", "screen"]
