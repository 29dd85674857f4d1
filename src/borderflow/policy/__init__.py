"""Policies compiled into per-day arrays the engine consumes."""

from .compile import FIXED_REASONS, Arcs, Claim, PolicyArrays, compile_policies

__all__ = ["FIXED_REASONS", "Arcs", "Claim", "PolicyArrays", "compile_policies"]
