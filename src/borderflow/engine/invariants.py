"""Invariants every run must satisfy, whatever the allocator. Returns what is violated."""

from __future__ import annotations

from typing import Any

import numpy as np

from .network import Network
from .records import Trace


def mass_balance(net: Network, trace: Trace) -> np.ndarray[Any, Any]:
    """[B, C]: initial + produced - consumed - inputs used - final stock - in transit."""
    made = trace.produced.sum(axis=0)  # [B, R]
    produced = made @ net.rec_outputs
    inputs_used = made @ net.rec_inputs
    consumed = trace.served.sum(axis=(0, 2))
    final = (trace.stock[-1] + trace.in_transit[-1]).sum(axis=1)
    return net.stock0.sum(axis=0)[None, :] + produced - consumed - inputs_used - final  # type: ignore[no-any-return]


def throughput(net: Network, trace: Trace) -> np.ndarray[Any, Any]:
    """[B, C]: a scale for relative balance errors (everything that entered the network)."""
    produced = trace.produced.sum(axis=0) @ net.rec_outputs
    return net.stock0.sum(axis=0)[None, :] + produced  # type: ignore[no-any-return]


def violations(net: Network, trace: Trace, rtol: float = 1e-9) -> list[str]:
    """Human-readable descriptions of every invariant the run breaks (empty when sound)."""
    found = []
    scale = max(1.0, float(np.abs(throughput(net, trace)).max(initial=0.0)))
    tol = rtol * scale
    if trace.stock.size and trace.stock.min() < -tol:
        t, b, n, c = np.unravel_index(trace.stock.argmin(), trace.stock.shape)
        found.append(f"negative stock {trace.stock.min():.3g} at {net.nodes[n]}/"
                     f"{net.commodities[c]} on day {t} (sample {b})")
    if trace.in_transit.size and trace.in_transit.min() < -tol:
        found.append(f"negative in-transit {trace.in_transit.min():.3g}")
    for name in ("served", "shipped", "produced", "requested"):
        arr = getattr(trace, name)
        if arr.size and arr.min() < -tol:
            found.append(f"negative {name} {arr.min():.3g}")
    if trace.served.size and (trace.served - trace.demand).max() > tol:
        found.append("a site used more than its demand")
    balance = mass_balance(net, trace)
    rel = np.abs(balance) / np.maximum(1.0, throughput(net, trace))
    if rel.size and rel.max() > rtol:
        b, c = np.unravel_index(rel.argmax(), rel.shape)
        found.append(f"mass balance of {net.commodities[c]} off by {balance[b, c]:.3g} "
                     f"(sample {b})")
    if trace.shipped.size:
        limit = np.stack([np.minimum(net.arc_cap, net.policies.day(t, net.arc_src.size))
                          for t in range(trace.shipped.shape[0])])  # [T, A]
        over = trace.shipped - limit[:, None, :]
        if over.max() > tol:
            t, b, a = np.unravel_index(over.argmax(), over.shape)
            found.append(f"{net.nodes[net.arc_src[a]]}->{net.nodes[net.arc_dst[a]]} shipped "
                         f"{trace.shipped[t, b, a]:.6g} {net.commodities[net.arc_com[a]]} on day "
                         f"{t}, above its limit {limit[t, a]:.6g}")
        cap = net.rec_cap[: trace.produced.shape[0]]
        if trace.produced.size and (trace.produced - cap[:, None, :]).max() > tol:
            found.append("a plant made more than its capacity")
    return found
