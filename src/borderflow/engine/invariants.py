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
        found += _limits(net, trace, tol)
    cap = net.rec_cap[: trace.produced.shape[0]]
    if trace.produced.size and (trace.produced - cap[:, None, :]).max() > tol:
        found.append("a plant made more than its capacity")
    found += _rated_first(net, trace, tol)
    return found


def _limits(net: Network, trace: Trace, tol: float) -> list[str]:
    """No flow above a lane's capacity, a block, or a quota group's daily quota."""
    found = []
    pol = net.policies
    T = trace.shipped.shape[0]
    limit = np.stack([np.minimum(net.arc_cap, pol.allowance(t, net.arc_src.size))
                      for t in range(T)])  # [T, A]
    over = trace.shipped - limit[:, None, :]
    if over.max() > tol:
        t, b, a = np.unravel_index(over.argmax(), over.shape)
        found.append(f"{net.arc_names[a]} shipped {trace.shipped[t, b, a]:.6g} "
                     f"{net.commodities[net.arc_com[a]]} on day {t}, above its limit "
                     f"{limit[t, a]:.6g}")
    if pol.member_arc.size:
        G = pol.group_quota.shape[1]
        flows = trace.shipped[:, :, pol.member_arc]  # [T, B, M]
        totals = np.zeros((T, trace.shipped.shape[1], G))
        for g in range(G):  # a check, not the hot path
            totals[:, :, g] = flows[:, :, pol.member_group == g].sum(axis=2)
        excess = totals - pol.group_quota[:T, None, :]
        if excess.max() > tol:
            t, b, k = np.unravel_index(excess.argmax(), excess.shape)
            found.append(f"{pol.reasons[pol.group_reason[k]]}: {totals[t, b, k]:.6g} shipped on "
                         f"day {t}, above its quota {pol.group_quota[t, k]:.6g}")
    return found


def _rated_first(net: Network, trace: Trace, tol: float) -> list[str]:
    """A claim (rated order, airlift) short of what its limits allowed means its supplier had
    nothing left: no unrated request from that supplier may be served that day."""
    pol = net.policies
    found: list[str] = []
    if not pol.claims:
        return found
    claimed_on_arc = np.zeros_like(trace.shipped)
    for k, claim in enumerate(pol.claims):
        claimed_on_arc[:, :, claim.arc] += trace.claimed[:, :, k]
    unrated = trace.shipped - claimed_on_arc  # [T, B, A]
    for k, claim in enumerate(pol.claims):
        starved = trace.claimed[:, :, k] < np.minimum(trace.claim_asked[:, :, k],
                                                      trace.claim_limit[:, :, k]) - tol
        same_supplier = net.arc_src_pair == net.arc_src_pair[claim.arc]
        served = unrated[:, :, same_supplier].sum(axis=2) > tol
        if (starved & served).any():
            t, b = (int(x) for x in np.argwhere(starved & served)[0])
            found.append(f"{claim.id} was starved on day {t} while unrated requests from "
                         f"{net.nodes[net.arc_src[claim.arc]]} were served (sample {b})")
    return found
