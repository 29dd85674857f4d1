"""What may flow on each arc on each day: the one rule the priority step, the horizon LP, the
rolling horizon and the invariants all use.

An arc may carry its lane's capacity (inf when unlimited), nothing while a policy blocks it (a
ban, a closed stockpile), and an airlift's arc at most its flights of the day. On top of that,
each quota group caps the total flow of its arcs per day (`quota`); `alone` folds the quotas
into each arc's own limit, as if the arc were the only one of its groups asking.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .network import Network

Array = np.ndarray[Any, np.dtype[np.float64]]


@dataclass(frozen=True)
class LaneLimits:
    """The limits of days [start, stop): `arc` [D, A] (or [D, B, A] for per-sample
    capacities), `quota` [D, G], `blocker` [D, A] (the reason index, -1 when open)."""

    arc: Array
    quota: Array
    blocker: np.ndarray[Any, np.dtype[np.int32]]

    @property
    def blocked(self) -> np.ndarray[Any, np.dtype[np.bool_]]:
        return self.blocker >= 0


def lane_limits(net: Network, start: int = 0, stop: int | None = None,
                capacity: Array | None = None) -> LaneLimits:
    """The limits on days start..stop-1 (default: to the horizon's end). `capacity`: lane
    capacities to use instead of the network's, per arc [A] or per sample [B, A]."""
    days = slice(start, net.days if stop is None else stop)
    blocker = net.policies.blocker(days, net.arc_src.size)  # [D, A]
    cap = net.arc_cap if capacity is None else capacity
    D = blocker.shape[0]
    limit = np.array(np.broadcast_to(cap, (D, *cap.shape)), dtype=float)
    arcs, flights = net.flights
    if arcs.size:
        units = flights[days]  # [D, F]
        limit[..., arcs] = np.minimum(limit[..., arcs], units.reshape(D, *(1,) * (cap.ndim - 1), -1))
    blocked = blocker.reshape(D, *(1,) * (cap.ndim - 1), -1) >= 0
    return LaneLimits(np.where(blocked, 0.0, limit), net.policies.group_quota[days], blocker)


def alone(net: Network, arc: Array, quota: Array) -> Array:
    """Per arc, its limit and the quota of every group it is in, the least of them: what the
    arc could carry if no other arc of its groups asked for anything. `arc` [..., A] and
    `quota` [..., G] with the same leading axes."""
    pol = net.policies
    grouped, starts = pol.member_runs
    if not grouped.size:
        return arc
    least = np.minimum.reduceat(quota[..., pol.member_group], starts, axis=-1)
    out = arc.copy()
    out[..., grouped] = np.minimum(out[..., grouped], least)
    return out
