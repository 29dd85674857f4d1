"""Invariants every run must satisfy, whatever the allocator. Returns what is violated.

A batched run with per-sample values (`Sampled`: demand, production capacity, initial stock,
lane capacity) is checked against each sample's own values, never the network's as written.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from .disruptions import PerSample
from .flows import substitution
from .limits import lane_limits
from .network import Network, Sampled
from .records import Trace


def _initial(net: Network, trace: Trace, sampled: Sampled | None) -> np.ndarray[Any, Any]:
    """[B or 1, C]: each sample's initial stock in all, the lanes' in_transit and the
    deliveries from outside the network on the trace's days included."""
    delivered = net.policies.deliveries[:trace.stock.shape[0]].sum(axis=0)
    piped = (net.transit0.sum(axis=0) + delivered).reshape(net.shape).sum(axis=0)[None, :]
    if sampled is not None and sampled.stock0 is not None:
        return sampled.stock0.sum(axis=1) + piped  # type: ignore[no-any-return]
    return net.stock0.sum(axis=0)[None, :] + piped  # type: ignore[no-any-return]


def mass_balance(net: Network, trace: Trace, sampled: Sampled | None = None) -> np.ndarray[Any, Any]:
    """[B, C]: initial + produced - consumed - inputs used - rejected - final stock - in
    transit (rejected: the share of shipments a lane's yield turns away; consumed: served,
    less what substitutes covered, plus what they used)."""
    made = trace.produced.sum(axis=0)  # [B, R]
    produced = made @ net.rec_outputs
    inputs_used = made @ net.rec_inputs
    consumed = trace.served.sum(axis=(0, 2)) + _substituted(net, trace)
    rejected = rejected_by_commodity(net, trace)
    final = (trace.stock[-1] + trace.in_transit[-1]).sum(axis=1)
    return _initial(net, trace, sampled) + produced - consumed - inputs_used - rejected - final  # type: ignore[no-any-return]


def _substituted(net: Network, trace: Trace) -> np.ndarray[Any, Any]:
    """[B, C] what substitutes used, less what they covered, by commodity."""
    change = substitution(net, trace.substituted.sum(axis=0), trace.substitute_used.sum(axis=0))
    return change.reshape(change.shape[0], *net.shape).sum(axis=1)  # type: ignore[no-any-return]


def rejected_by_commodity(net: Network, trace: Trace) -> np.ndarray[Any, Any]:
    """[B, C] units shipped and rejected on arrival (a lane's yield below 1)."""
    lost = trace.shipped.sum(axis=0) * (1.0 - net.arc_yield)  # [B, A]
    out = np.zeros((lost.shape[0], len(net.commodities)))
    np.add.at(out.T, net.arc_com, lost.T)
    return out


def throughput(net: Network, trace: Trace, sampled: Sampled | None = None) -> np.ndarray[Any, Any]:
    """[B, C]: a scale for relative balance errors (everything that entered the network)."""
    produced = trace.produced.sum(axis=0) @ net.rec_outputs
    return _initial(net, trace, sampled) + produced  # type: ignore[no-any-return]


def own_sample(net: Network, trace: Trace, sampled: Sampled, b: int
               ) -> tuple[Network, Trace]:
    """Sample b of a batch whose samples have policies of their own (`sampled.policies`) as
    a run of its own: its network holds its policies, its trace its claims alone."""
    assert sampled.policies is not None
    own = trace.sample(b)
    k = sampled.policies.claim_index[b]
    own = replace(own, claim_asked=own.claim_asked[:, :, k], claim_limit=own.claim_limit[:, :, k],
                  claimed=own.claimed[:, :, k])
    return replace(net, policies=sampled.policies.each[b]), own


def violations(net: Network, trace: Trace, rtol: float = 1e-9,
               sampled: Sampled | None = None) -> list[str]:
    """Human-readable descriptions of every invariant the run breaks (empty when sound);
    `sampled`: the per-sample values the batch ran with."""
    if sampled is not None and sampled.policies is not None:  # each sample on its own policies
        return [f"sample {b}: {v}" for b in range(sampled.policies.batch)
                for v in violations(*own_sample(net, trace, sampled, b), rtol=rtol,
                                    sampled=sampled.pick(b))]
    found = []
    scale = max(1.0, float(np.abs(throughput(net, trace, sampled)).max(initial=0.0)))
    tol = rtol * scale
    if trace.stock.size and trace.stock.min() < -tol:
        t, b, n, c = np.unravel_index(trace.stock.argmin(), trace.stock.shape)
        found.append(f"negative stock {trace.stock.min():.3g} at {net.nodes[n]}/"
                     f"{net.commodities[c]} on day {t} (sample {b})")
    if trace.in_transit.size and trace.in_transit.min() < -tol:
        found.append(f"negative in-transit {trace.in_transit.min():.3g}")
    for name in ("served", "shipped", "produced", "requested", "substituted", "substitute_used"):
        arr = getattr(trace, name)
        if arr.size and arr.min() < -tol:
            found.append(f"negative {name} {arr.min():.3g}")
    found += _owed(net, trace, tol)
    found += _substitutes(net, trace, tol)
    found += _demand(net, trace, sampled, rtol)
    balance = mass_balance(net, trace, sampled)
    rel = np.abs(balance) / np.maximum(1.0, throughput(net, trace, sampled))
    if rel.size and rel.max() > rtol:
        b, c = np.unravel_index(rel.argmax(), rel.shape)
        found.append(f"mass balance of {net.commodities[c]} off by {balance[b, c]:.3g} "
                     f"(sample {b})")
    if trace.shipped.size:
        found += _limits(net, trace, tol, sampled)
    T = trace.produced.shape[0]
    if sampled is not None and sampled.rec_cap is not None:
        cap = sampled.rec_cap[:, :T].transpose(1, 0, 2)  # [T, B, R]
    else:
        cap = net.rec_cap[:T, None, :]
    if (disrupted := _disrupted(net, sampled)) is not None:
        cap = disrupted.production_caps(cap)
    if trace.produced.size and (trace.produced - cap).max() > tol:
        t, b, r = np.unravel_index((trace.produced - cap).argmax(), trace.produced.shape)
        found.append(f"{net.nodes[net.rec_node[r]]} made more than its capacity on day {t} "
                     f"(sample {b})")
    found += _rated_first(net, trace, tol)
    return found


def _disrupted(net: Network, sampled: Sampled | None) -> PerSample | None:
    chosen = None if sampled is None else sampled.disruption
    return None if chosen is None or not (chosen >= 0).any() else PerSample(net, chosen)


def _owed(net: Network, trace: Trace, tol: float) -> list[str]:
    """A site uses at most its demand and what it owed; it owes (with unmet: backlog) exactly
    what it did not use of both, and nothing else; a site that loses unmet demand owes nothing."""
    if not trace.served.size:
        return []
    owed = np.concatenate([np.zeros_like(trace.backlog[:1]), trace.backlog[:-1]])
    found = []
    if (trace.served - trace.demand - owed).max() > tol:
        found.append("a site used more than its demand and what it owed")
    keeps = np.repeat(net.inventory.backlog[:, None], net.shape[1], axis=1)  # [N, C]
    expected = np.where(keeps, owed + trace.demand - trace.served, 0.0)
    if np.abs(trace.backlog - expected).max() > tol or trace.backlog.min() < -tol:
        found.append("a site's backlog is not what it owed less what it used")
    return found


def _substitutes(net: Network, trace: Trace, tol: float) -> list[str]:
    """A substitute uses `ratio` units a unit it covers, and covers no more than was served."""
    if not net.sub_ratio.size:
        return []
    found = []
    off = np.abs(trace.substitute_used - trace.substituted * net.sub_ratio)
    if off.max() > tol:
        t, b, q = np.unravel_index(off.argmax(), off.shape)
        found.append(f"a substitute at {net.nodes[net.sub_node[q]]} used "
                     f"{trace.substitute_used[t, b, q]:.6g} {net.commodities[net.sub_use[q]]} "
                     f"to cover {trace.substituted[t, b, q]:.6g} on day {t}, not at its ratio")
    covered = -substitution(net, trace.substituted, np.zeros_like(trace.substitute_used))
    T, B = trace.served.shape[:2]
    if (covered - trace.served.reshape(T, B, -1)).max() > tol:
        found.append("substitutes covered more than a site served")
    return found


def _demand(net: Network, trace: Trace, sampled: Sampled | None, rtol: float) -> list[str]:
    """A site not conserving tries to use exactly its (sample's) demand of the day."""
    T = trace.demand.shape[0]
    if sampled is not None and sampled.demand is not None:
        raw = sampled.demand[:, :T].transpose(1, 0, 2, 3)  # [T, B, N, C]
    else:
        raw = net.demand[:T, None]
    off = np.where(trace.conserving, 0.0, np.abs(trace.demand - raw))
    if off.size and off.max() > rtol * max(1.0, float(np.abs(raw).max())):
        t, b, n, c = np.unravel_index(off.argmax(), off.shape)
        return [f"{net.nodes[n]} tried to use {trace.demand[t, b, n, c]:.6g} "
                f"{net.commodities[c]} on day {t}, not its demand (sample {b})"]
    return []


def _limits(net: Network, trace: Trace, tol: float, sampled: Sampled | None) -> list[str]:
    """No flow above what may flow on the arc (the sample's lane capacity, a block, an
    airlift's flights) or a quota group's daily quota."""
    found = []
    pol = net.policies
    T = trace.shipped.shape[0]
    cap = net.arc_cap[None, :] if sampled is None or sampled.arc_cap is None else sampled.arc_cap
    limit = lane_limits(net, 0, T, cap).arc  # [T, B or 1, A]
    if (disrupted := _disrupted(net, sampled)) is not None:
        limit = disrupted.limits(limit)
    over = trace.shipped - limit
    if over.max() > tol:
        t, b, a = np.unravel_index(over.argmax(), over.shape)
        found.append(f"{net.arc_names[a]} shipped {trace.shipped[t, b, a]:.6g} "
                     f"{net.commodities[net.arc_com[a]]} on day {t}, above its limit "
                     f"{limit[t, min(b, limit.shape[1] - 1), a]:.6g} (sample {b})")
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
        for lic, total in enumerate(pol.licence_total.tolist()):
            counted = pol.group_counts[:T] & (pol.group_licence == lic)[None, :]  # [T, G]
            used = (totals * counted[:, None, :]).sum(axis=(0, 2))  # [B]
            if used.max() > total + tol * max(1.0, total):
                worst = int(used.argmax())
                g = int(np.flatnonzero(pol.group_licence == lic)[0])
                found.append(f"{pol.reasons[pol.group_reason[g]]}: {used[worst]:.6g} shipped in "
                             f"all (sample {worst}), above its licence {total:.6g}")
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
