"""Compile a scenario's policies into per-day arrays over the engine's arcs.

An arc is one commodity on one lane (or on an airlift's flight path). What each policy type
becomes:

- export_control ban: the arcs it covers (less exemptions) are *blocked* while it is active;
- export_control quota, exemption quotas, stockpile_release max_per_day: *quota groups*, sets
  of arcs whose total flow per day is capped, shared pro rata to requests;
- a stockpile's arcs are blocked unless a release is active;
- rated_order and airlift: *claims*, served from the supplier's stock before any request;
- conservation: per-day threshold and multiplier for each (site, commodity) pair;
- border_closure: which commuters cannot cross on which days;
- retaliation: switches on other policies; resolved here, so every activity is static.

Only arcs that some rule touches are stored, so a network without policies costs nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..model import Scenario
from ..model import policies as P

IntArray = np.ndarray[Any, np.dtype[np.intp]]
Array = np.ndarray[Any, np.dtype[np.float64]]
BoolArray = np.ndarray[Any, np.dtype[np.bool_]]

STOCK, LANE_CAPACITY, STOCKPILE_CLOSED = 0, 1, 2
FIXED_REASONS = ("stock", "lane_capacity", "stockpile_closed")


@dataclass(frozen=True)
class Arcs:
    """The engine's arcs, described by names so this layer needs nothing from the engine."""

    src: tuple[str, ...]
    dst: tuple[str, ...]
    commodity: tuple[str, ...]
    lane: tuple[str, ...]  # "from->to", or "airlift:<id>" for an airlift's flights

    def __len__(self) -> int:
        return len(self.src)


@dataclass(frozen=True)
class Claim:
    """A rated order or an airlift: units drawn from `arc`'s supplier before any request."""

    id: str
    kind: str  # "rated_order" | "airlift"
    arc: int
    rank: tuple[int, int, int]  # DX, DO, airlift; then start day; then file order
    reason: int  # index into PolicyArrays.reasons, for shortfalls it causes elsewhere
    active: BoolArray  # [T] days on which it may claim
    quantity: float  # rated orders: total to deliver (airlifts: 0)
    due: int  # rated orders: day by which it should be delivered
    schedule: str  # "even" | "asap" | "flights"
    flights: Array  # [T] airlifts: units leaving on each day


@dataclass(frozen=True)
class PolicyArrays:
    """Everything the engine needs from the policies, day by day."""

    ids: tuple[str, ...]  # every policy, in file order
    active: BoolArray  # [P, T] whether each policy is in force on each day
    fired: dict[str, int]  # retaliation id -> day it fired
    reasons: tuple[str, ...]  # names of shortfall reasons: FIXED_REASONS, then one per policy
    # blocked arcs: allowance 0 on the days given, with the policy (reason) that decided it
    blocked_arcs: IntArray  # [K]
    blocked_by: np.ndarray[Any, np.dtype[np.int32]]  # [T, K] reason index, -1 when open
    # quota groups: arcs sharing a daily cap
    group_reason: IntArray  # [G]
    group_quota: Array  # [T, G] inf while the group's policy is inactive
    member_group: IntArray  # [M] sorted by arc
    member_arc: IntArray  # [M]
    claims: tuple[Claim, ...]  # in the order they are served
    conserve_below: Array | None  # [T, N*C] days of supply that triggers conservation (0: none)
    conserve_multiplier: Array | None  # [T, N*C]
    commuters_blocked: BoolArray  # [T, W] commuters kept home by a border closure

    def allowance(self, t: int, n_arcs: int) -> Array:
        """Per arc: 0 where blocked today, inf elsewhere (lane capacity is the engine's)."""
        allow = np.full(n_arcs, np.inf)
        allow[self.blocked_arcs[self.blocked_by[t] >= 0]] = 0.0
        return allow

    def blocker(self, t: int, n_arcs: int) -> np.ndarray[Any, np.dtype[np.int32]]:
        """Per arc: the reason index of what blocks it today, -1 if open."""
        out = np.full(n_arcs, -1, dtype=np.int32)
        out[self.blocked_arcs] = self.blocked_by[t]
        return out

    def reason_of(self, policy_id: str) -> int:
        return len(FIXED_REASONS) + self.ids.index(policy_id)


def _window(s: Scenario, p: P.PolicyBase) -> BoolArray:
    t = np.arange(s.days)
    end = s.days if p.end is None else s.day(p.end)
    return (t >= s.day(p.start)) & (t < end)


def activity(s: Scenario) -> tuple[BoolArray, dict[str, int]]:
    """[P, T] activity of every policy, and the day each retaliation fired.

    A retaliation fires on the first day on which its trigger has been active for the
    `active_days` days before (0: the first day the trigger is active); the policies it
    activates are then in force from `after_days` later, within their own start and end.
    Retaliations may trigger each other, so this repeats until nothing changes.
    """
    index = {p.id: i for i, p in enumerate(s.policies)}
    windows = np.array([_window(s, p) for p in s.policies], dtype=bool).reshape(-1, s.days)
    base = windows & np.array([p.enabled for p in s.policies], dtype=bool)[:, None]
    active = base.copy()
    fired: dict[str, int] = {}
    for _ in range(len(s.policies) + 1):
        new = base.copy()
        fired = {}
        for i, p in enumerate(s.policies):
            if not isinstance(p, P.Retaliation) or not active[i].any():
                continue
            day = _fire_day(active[index[p.when.policy]] & active[i], p.when.active_days)
            if day is None:
                continue
            fired[p.id] = day
            for target in p.activate:
                j = index[target]
                new[j] |= windows[j] & (np.arange(s.days) >= day + p.after_days)
        if np.array_equal(new, active):
            break
        active = new
    return active, fired


def _fire_day(trigger: BoolArray, active_days: int) -> int | None:
    if active_days == 0:
        days = np.flatnonzero(trigger)
        return int(days[0]) if days.size else None
    run = 0
    for t, on in enumerate(trigger.tolist()):  # one pass over the days, at compile time
        if run >= active_days:
            return t
        run = run + 1 if on else 0
    return None


def _countries(s: Scenario, nodes: tuple[str, ...]) -> np.ndarray[Any, np.dtype[np.object_]]:
    return np.array([s.regions[s.nodes[n].region].country for n in nodes], dtype=object)


def covered(s: Scenario, p: P.ExportControl, arcs: Arcs) -> BoolArray:
    """The arcs an export control applies to, before exemptions. Domestic arcs never are."""
    src_c, dst_c = _countries(s, arcs.src), _countries(s, arcs.dst)
    kinds = np.array([s.nodes[n].kind for n in arcs.src], dtype=object)
    com = np.array(arcs.commodity, dtype=object)
    out = (src_c == p.from_country) & (dst_c != src_c)
    if p.to_countries != "*":
        out &= np.isin(dst_c, p.to_countries)
    if p.commodities != "*":
        out &= np.isin(com, p.commodities)
    if p.from_kinds is not None:
        out &= np.isin(kinds, p.from_kinds)
    return out  # type: ignore[no-any-return]


def exempted(s: Scenario, ex: P.Exemption, arcs: Arcs) -> BoolArray:
    if ex.lanes is not None:
        return np.isin(np.array(arcs.lane, dtype=object), ex.lanes)
    return np.isin(_countries(s, arcs.dst), ex.to_countries or [])


class _Builder:
    def __init__(self, s: Scenario, arcs: Arcs, active: BoolArray) -> None:
        self.s, self.arcs, self.active = s, arcs, active
        self.T, self.A = s.days, len(arcs)
        self.blocked = np.full((self.T, self.A), -1, dtype=np.int32)
        self.groups: list[tuple[int, Array, IntArray]] = []  # (reason, quota [T], arcs)
        self.coms = np.array(arcs.commodity, dtype=object)

    def reason(self, i: int) -> int:
        return len(FIXED_REASONS) + i

    def block(self, arcs: BoolArray, days: BoolArray, reason: int) -> None:
        """Block arcs on days; a block already in place keeps its reason."""
        cell = days[:, None] & arcs[None, :] & (self.blocked < 0)
        self.blocked[cell] = reason

    def quota(self, arcs: BoolArray, days: BoolArray, per_day: float, reason: int) -> None:
        """One group per commodity: units of different commodities are not added up."""
        for c in dict.fromkeys(self.coms[arcs].tolist()):
            members = np.flatnonzero(arcs & (self.coms == c)).astype(np.intp)
            self.groups.append((reason, np.where(days, per_day, np.inf), members))

    def export_control(self, i: int, p: P.ExportControl) -> None:
        days = self.active[i]
        cover = covered(self.s, p, self.arcs)
        free = np.zeros(self.A, dtype=bool)
        for ex in p.exemptions:
            mine = cover & exempted(self.s, ex, self.arcs) & ~free
            if ex.quota_per_day is not None:
                self.quota(mine, days, ex.quota_per_day, self.reason(i))
            free |= mine
        rest = cover & ~free
        if p.action == "ban":
            self.block(rest, days, self.reason(i))
        else:
            assert p.quota_per_day is not None  # validated
            self.quota(rest, days, p.quota_per_day, self.reason(i))

    def stockpiles(self) -> None:
        """A stockpile ships only while a release is active, up to its max_per_day."""
        src = np.array(self.arcs.src, dtype=object)
        released = np.zeros((self.T, self.A), dtype=bool)
        for i, p in enumerate(self.s.policies):
            if not isinstance(p, P.StockpileRelease):
                continue
            mine = (src == p.stockpile) & ~np.array([x.startswith("airlift:") for x in
                                                     self.arcs.lane], dtype=bool)
            if p.commodities != "*":
                mine &= np.isin(self.coms, p.commodities)
            released |= self.active[i][:, None] & mine[None, :]
            if p.max_per_day is not None:
                self.quota(mine, self.active[i], p.max_per_day, self.reason(i))
        kinds = np.array([self.s.nodes[n].kind for n in self.arcs.src], dtype=object)
        closed = (kinds == "stockpile")[None, :] & ~released
        self.blocked[closed & (self.blocked < 0)] = STOCKPILE_CLOSED


def compile_policies(s: Scenario, arcs: Arcs, nodes: tuple[str, ...],
                     commodities: tuple[str, ...]) -> PolicyArrays:
    active, fired = activity(s)
    b = _Builder(s, arcs, active)
    for i, p in enumerate(s.policies):
        if isinstance(p, P.ExportControl):
            b.export_control(i, p)
    b.stockpiles()

    touched = np.flatnonzero((b.blocked >= 0).any(axis=0)).astype(np.intp)
    groups = [g for g in b.groups if g[2].size]
    member_group = np.concatenate([np.full(g[2].size, k, dtype=np.intp)
                                   for k, g in enumerate(groups)] or [np.zeros(0, np.intp)])
    member_arc = np.concatenate([g[2] for g in groups] or [np.zeros(0, np.intp)])
    order = np.argsort(member_arc, kind="stable")
    return PolicyArrays(
        ids=tuple(p.id for p in s.policies),
        active=active,
        fired=fired,
        reasons=FIXED_REASONS + tuple(f"policy:{p.id}" if not isinstance(p, P.RatedOrder)
                                      else f"rated_order:{p.id}" for p in s.policies),
        blocked_arcs=touched,
        blocked_by=b.blocked[:, touched].copy(),
        group_reason=np.array([g[0] for g in groups], dtype=np.intp),
        group_quota=np.array([g[1] for g in groups], dtype=float).reshape(len(groups), s.days).T
        .copy(),
        member_group=member_group[order],
        member_arc=member_arc[order],
        claims=_claims(s, arcs, active),
        **_conservation(s, active, nodes, commodities),
        commuters_blocked=_closures(s, active),
    )


def _claims(s: Scenario, arcs: Arcs, active: BoolArray) -> tuple[Claim, ...]:
    index = {(a, b, c): k for k, (a, b, c) in enumerate(zip(arcs.src, arcs.dst, arcs.commodity,
                                                            strict=True))
             if not arcs.lane[k].startswith("airlift:")}
    airlift_arc = {name.removeprefix("airlift:"): k for k, name in enumerate(arcs.lane)
                   if name.startswith("airlift:")}
    out = []
    for i, p in enumerate(s.policies):
        reason = len(FIXED_REASONS) + i
        if isinstance(p, P.RatedOrder):
            rank = (0 if p.rating == "DX" else 1, s.day(p.start), i)
            out.append(Claim(p.id, "rated_order", index[(p.supplier, p.buyer, p.commodity)], rank,
                             reason, active[i], p.quantity, s.day(p.due), p.schedule,
                             np.zeros(s.days)))
        elif isinstance(p, P.Airlift):
            flights = np.zeros(s.days)
            if isinstance(p.flights, P.FlightEvery):
                days = s.day(p.start) + p.flights.every * np.arange(p.flights.count)
            else:
                days = np.array([s.day(d) for d in p.flights], dtype=np.intp)
            np.add.at(flights, days[days < s.days], p.units_per_flight)
            out.append(Claim(p.id, "airlift", airlift_arc[p.id], (2, s.day(p.start), i), reason,
                             active[i], 0.0, 0, "flights", flights * active[i]))
    return tuple(sorted(out, key=lambda c: c.rank))


def _conservation(s: Scenario, active: BoolArray, nodes: tuple[str, ...],
                  commodities: tuple[str, ...]) -> dict[str, Array | None]:
    """Overlapping conservation policies: the highest threshold and lowest multiplier apply."""
    cons = [(i, p) for i, p in enumerate(s.policies) if isinstance(p, P.Conservation)]
    if not cons:
        return {"conserve_below": None, "conserve_multiplier": None}
    N, C = len(nodes), len(commodities)
    below = np.zeros((s.days, N, C))
    mult = np.ones((s.days, N, C))
    is_site = np.array([s.nodes[n].kind == "site" for n in nodes])
    region = np.array([s.nodes[n].region for n in nodes], dtype=object)
    for i, p in cons:
        sites = np.isin(np.array(nodes, dtype=object), p.sites or []) | \
            np.isin(region, p.regions or [])
        sites &= is_site
        coms = np.ones(C, dtype=bool) if p.commodities == "*" else \
            np.isin(np.array(commodities, dtype=object), p.commodities)
        cell = active[i][:, None, None] & sites[None, :, None] & coms[None, None, :]
        below = np.where(cell, np.maximum(below, p.below_days_of_supply), below)
        mult = np.where(cell, np.minimum(mult, p.multiplier), mult)
    return {"conserve_below": below.reshape(s.days, N * C),
            "conserve_multiplier": mult.reshape(s.days, N * C)}


def _closures(s: Scenario, active: BoolArray) -> BoolArray:
    """[T, W]: a commuter is kept home while a closure from their country to the site's is on."""
    out = np.zeros((s.days, len(s.workforce)), dtype=bool)
    for w, c in enumerate(s.workforce):
        home = s.regions[c.home_region].country
        work = s.regions[s.nodes[c.site].region].country
        for i, p in enumerate(s.policies):
            if isinstance(p, P.BorderClosure) and p.from_country == home and p.to_country == work:
                out[:, w] |= active[i]
    return out
