"""Policies that differ between the samples of a batch: the attribution runs one coalition of
policies per sample, all on the same arcs.

`stack` turns one compile per sample into the batch's *union* (every quota group, licence and
claim some sample has, as the network's structure) and `PolicyBatch`, each sample's own day
arrays over that union: its blocks, quotas, claims' days, conservation, commuters kept home
and deliveries. A group or claim a sample lacks is, for that sample, a quota of inf and a
claim never active, so each sample runs exactly as its own compile would.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from .compile import Claim, PolicyArrays

IntArray = np.ndarray[Any, np.dtype[np.intp]]
Array = np.ndarray[Any, np.dtype[np.float64]]
BoolArray = np.ndarray[Any, np.dtype[np.bool_]]


@dataclass(frozen=True, eq=False)
class PolicyBatch:
    """Each sample's policies over the union's groups and claims ([T, B, ...] by day)."""

    each: tuple[PolicyArrays, ...]  # the samples' own compiles
    claim_index: tuple[IntArray, ...]  # per sample: the union index of each of its claims
    blocked_arcs: IntArray  # [U] arcs some sample blocks on some day
    blocked_by: np.ndarray[Any, np.dtype[np.int32]]  # [T, B, U] reason index, -1 when open
    group_quota: Array  # [T, B, G]
    group_counts: BoolArray  # [T, B, G]
    claim_active: BoolArray  # [T, B, K]
    claim_flights: Array  # [T, B, K] an airlift's units leaving each day (its days are a sample's)
    conserve_below: Array | None  # [T, B, N*C]
    conserve_lift: Array | None
    conserve_multiplier: Array | None
    commuters_blocked: BoolArray  # [T, B, W]
    deliveries: Array  # [T, B, N*C]

    @property
    def batch(self) -> int:
        return len(self.each)

    def blocker(self, t: int, n_arcs: int) -> np.ndarray[Any, np.dtype[np.int32]]:
        """[B, A]: each sample's reason blocking each arc on day t, -1 when open."""
        out = np.full((self.batch, n_arcs), -1, dtype=np.int32)
        out[:, self.blocked_arcs] = self.blocked_by[t]
        return out


def _group_keys(pol: PolicyArrays) -> list[tuple[Any, ...]]:
    """A name for each quota group that holds across compiles: its reason, its arcs, its
    licence's key, and its rank among groups alike (two equal groups stay two)."""
    seen: Counter[tuple[Any, ...]] = Counter()
    keys = []
    for g in range(pol.group_reason.size):
        lic = int(pol.group_licence[g])
        key = (int(pol.group_reason[g]), tuple(pol.member_arc[pol.member_group == g].tolist()),
               pol.licence_keys[lic] if lic >= 0 else None)
        keys.append((*key, seen[key]))
        seen[key] += 1
    return keys


def _claim_keys(pol: PolicyArrays) -> list[tuple[Any, ...]]:
    seen: Counter[tuple[Any, ...]] = Counter()
    keys = []
    for c in pol.claims:
        key = (c.id, c.arc, c.rank)
        keys.append((*key, seen[key]))
        seen[key] += 1
    return keys


def stack(each: list[PolicyArrays]) -> tuple[PolicyArrays, PolicyBatch]:
    """The union of the samples' policies (the network's, for the batch) and each sample's
    own. Every compile must be of the same scenario's arcs and days, and none may hold a
    retaliation triggered by a shortage (its firing day is a sample's own run's)."""
    if not each:
        raise ValueError("no policies to stack")
    first = each[0]
    T, B = first.active.shape[1], len(each)
    NC, W = first.deliveries.shape[1], first.commuters_blocked.shape[1]
    if any(p.shortages for p in each):
        raise ValueError("a shortage-triggered retaliation fires on a day of its sample's own")
    if any(p.reasons != first.reasons or p.active.shape != first.active.shape
           or not np.array_equal(p.production_factor, first.production_factor) for p in each):
        raise ValueError("policies of different scenarios (or disruptions)")

    groups: dict[tuple[Any, ...], int] = {}
    licences: dict[tuple[int, str, str], float] = {}
    claims: dict[tuple[Any, ...], Claim] = {}
    own_groups, own_claims = [], []
    for p in each:
        for key, total in zip(p.licence_keys, p.licence_total.tolist(), strict=True):
            if licences.setdefault(key, total) != total:
                raise ValueError(f"licence {key} differs between samples")
        own_groups.append([groups.setdefault(k, len(groups)) for k in _group_keys(p)])
        mine = []
        for key, c in zip(_claim_keys(p), p.claims, strict=True):
            known = claims.setdefault(key, c)
            if (known.quantity, known.due, known.schedule) != (c.quantity, c.due, c.schedule):
                raise ValueError(f"claim {c.id} differs between samples")
            mine.append(key)
        own_claims.append(mine)
    G = len(groups)
    order = sorted(claims, key=lambda k: claims[k].rank)  # served in rank order, as compiled
    place = {k: i for i, k in enumerate(order)}

    reason = np.zeros(G, dtype=np.intp)
    licence = np.full(G, -1, dtype=np.intp)
    lic_index = {k: i for i, k in enumerate(licences)}
    members: list[tuple[int, int]] = []  # (arc, group)
    for (why, arcs, lic, _), g in groups.items():
        reason[g] = why
        licence[g] = -1 if lic is None else lic_index[lic]
        members += [(a, g) for a in arcs]
    members.sort(key=lambda m: m[0])  # stable: an arc's groups keep their order
    quota = np.full((T, B, G), np.inf)
    counts = np.zeros((T, B, G), dtype=bool)
    active = np.zeros((T, B, len(order)), dtype=bool)
    flights = np.zeros((T, B, len(order)))
    for b, p in enumerate(each):
        its = np.array(own_groups[b], dtype=np.intp)
        quota[:, b, its] = p.group_quota
        counts[:, b, its] = p.group_counts
        for key, c in zip(own_claims[b], p.claims, strict=True):
            active[:, b, place[key]] = c.active
            flights[:, b, place[key]] = c.flights
    # the union's flights bound an airlift's arc for every sample; each sample's own, below them
    union_claims = tuple(replace(claims[k], active=np.asarray(active[:, :, place[k]].any(axis=1)),
                                 flights=flights[:, :, place[k]].max(axis=1)) for k in order)

    blocked = np.unique(np.concatenate([p.blocked_arcs for p in each])).astype(np.intp)
    blocked_by = np.full((T, B, blocked.size), -1, dtype=np.int32)
    for b, p in enumerate(each):
        blocked_by[:, b, np.searchsorted(blocked, p.blocked_arcs)] = p.blocked_by

    conserving = any(p.conserve_below is not None for p in each)

    def conserve(name: str, none: float) -> Array | None:
        if not conserving:
            return None
        return np.stack([np.full((T, NC), none) if getattr(p, name) is None
                         else getattr(p, name) for p in each], axis=1)

    delivery_days: dict[str, BoolArray] = {}
    for p in each:
        for k, days in p.delivery_days.items():
            delivery_days[k] = delivery_days.get(k, np.zeros(T, dtype=bool)) | days
    union = replace(
        first, blocked_arcs=np.zeros(0, dtype=np.intp),
        blocked_by=np.zeros((T, 0), dtype=np.int32),
        group_reason=reason, group_quota=np.full((T, G), np.inf), group_licence=licence,
        group_counts=np.zeros((T, G), dtype=bool),
        licence_total=np.array(list(licences.values()), dtype=float),
        licence_keys=tuple(licences),
        member_group=np.array([g for _, g in members], dtype=np.intp),
        member_arc=np.array([a for a, _ in members], dtype=np.intp),
        claims=union_claims, conserve_below=None, conserve_lift=None, conserve_multiplier=None,
        commuters_blocked=np.zeros((T, W), dtype=bool), deliveries=np.zeros((T, NC)),
        delivery_days=delivery_days, recompile=None)
    batch = PolicyBatch(
        each=tuple(each),
        claim_index=tuple(np.array([place[k] for k in mine], dtype=np.intp)
                          for mine in own_claims),
        blocked_arcs=blocked, blocked_by=blocked_by, group_quota=quota, group_counts=counts,
        claim_active=active, claim_flights=flights,
        conserve_below=conserve("conserve_below", 0.0),
        conserve_lift=conserve("conserve_lift", 0.0),
        conserve_multiplier=conserve("conserve_multiplier", 1.0),
        commuters_blocked=np.stack([p.commuters_blocked for p in each], axis=1),
        deliveries=np.stack([p.deliveries for p in each], axis=1))
    return union, batch
