"""Policies compiled into per-day arrays the engine consumes."""

from .compile import Arcs, PolicyArrays, compile_policies

__all__ = ["Arcs", "PolicyArrays", "compile_policies"]
