"""Compile a scenario's policies into per-day arrays over the engine's arcs.

An arc is one commodity on one lane, or on a path a policy adds (an airlift's flights). Each
policy's type says what it does (its `compile` hook, `model/policies/`) through `Builder`,
which turns it into:

- *blocks*: arcs with nothing allowed on some days, and the policy that decided it;
- *quota groups*: sets of arcs whose total flow per day is capped, shared pro rata to requests
  (a lane's `capacity_total`, over all its commodities, is one too); a group may also count
  its flow toward a *licence*, a cumulative total over many days (`quota_total`);
- *claims*: units drawn from a supplier before any request (rated orders, airlifts);
- conservation thresholds and multipliers per (site, commodity) and day;
- commuters kept home per day;
- deliveries from outside the network (a donation) per day and (node, commodity);
- disruptions (not policies: nobody decides them): what each one does (`Disrupted`); those
  enabled in the scenario are folded into the blocks, quota groups, production factors and
  commuters kept home, the others kept for a stress test to apply one per sample.

One rule belongs to the network, not to a policy: a stockpile ships only while a release lets
it. Activity is resolved here (retaliations switch other policies on), so every array is static.
Only arcs that some rule touches are stored, so a network without policies costs nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property, partial
from typing import Any

import numpy as np

from ..model import Scenario
from ..model.disruptions import Disruption
from ..model.policies import PolicyBase, in_order

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
    lane: tuple[str, ...]  # "from->to", or the name of the arc a policy added
    on_lane: tuple[bool, ...]  # False for the arcs policies add (never asked for by requests)

    def __len__(self) -> int:
        return len(self.src)


@dataclass(frozen=True)
class Claim:
    """Units drawn from `arc`'s supplier before any request: a rated order (a total quantity
    due by a day, on a schedule) or an airlift (the units of its flights on each day)."""

    id: str
    arc: int
    rank: tuple[int, int, int]  # its order (a rating's place, then airlifts), start day, file order
    reason: int  # index into PolicyArrays.reasons, for shortfalls it causes elsewhere
    active: BoolArray  # [T] days on which it may claim
    quantity: float  # an order's total to deliver (flights: 0)
    due: int  # an order's day by which it should be delivered
    schedule: str  # "even" | "asap" (an order) | "flights"
    flights: Array  # [T] flights: units leaving on each day

    @property
    def is_order(self) -> bool:
        return self.schedule != "flights"


@dataclass(frozen=True)
class ShortageRule:
    """A retaliation that fires once a region has been short for `days` days in a row: its
    sites' end-of-day stock of one commodity under `below` days of that day's use."""

    policy: str
    sites: BoolArray  # [N] the region's sites
    commodity: int
    below: float
    days: int  # at least 1: a day's shortage is known at its end
    in_force: BoolArray  # [T] the days the retaliation itself is in force


@dataclass(frozen=True)
class Disrupted:
    """What one disruption does on its days: the arcs it limits (blocked at factor 0), the
    plants whose production it scales and the commuters it keeps home (factor 0, a border)."""

    id: str
    reason: int  # index into PolicyArrays.reasons
    days: BoolArray  # [T]
    factor: float
    arcs: IntArray
    arc_limit: Array  # [len(arcs)] lane capacity x factor (inf stays inf above 0)
    plants: IntArray  # node indices
    commuters: IntArray  # workforce indices


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
    # licences: a cumulative total shared by the flow of some groups on some days; on any
    # day at most one group counts toward each licence (compile checks it)
    group_licence: IntArray  # [G] the licence the group counts toward, -1 none
    group_counts: BoolArray  # [T, G] whether its flow that day counts toward its licence
    licence_total: Array  # [L] units the licence allows over the horizon
    member_group: IntArray  # [M] sorted by arc
    member_arc: IntArray  # [M]
    claims: tuple[Claim, ...]  # in the order they are served
    conserve_below: Array | None  # [T, N*C] days of supply that triggers conservation (0: none)
    conserve_lift: Array | None  # [T, N*C] days of supply at which it lifts (>= below)
    conserve_multiplier: Array | None  # [T, N*C]
    commuters_blocked: BoolArray  # [T, W] commuters kept home by a border closure
    deliveries: Array  # [T, N*C] units arriving from outside the network
    delivery_days: dict[str, BoolArray]  # delivery policy id -> [T] the days something arrives
    production_factor: Array  # [T, N] share of a plant's capacity left by enabled disruptions
    disruptions: tuple[Disrupted, ...]  # every disruption of the scenario, in file order
    # retaliations triggered by a shortage, and how to compile again once some have fired
    shortages: tuple[ShortageRule, ...] = ()
    recompile: Callable[[Mapping[str, int]], PolicyArrays] | None = field(default=None,
                                                                         compare=False)
    # [L] what names each licence whatever else is compiled: (policy index, name, commodity)
    licence_keys: tuple[tuple[int, str, str], ...] = ()

    @cached_property
    def member_runs(self) -> tuple[IntArray, IntArray]:
        """The arcs in some quota group and where each one's run of members starts (members
        are sorted by arc), for np.minimum.reduceat over an arc's groups."""
        grouped, starts = np.unique(self.member_arc, return_index=True)
        return grouped.astype(np.intp), starts.astype(np.intp)

    def blocker(self, t: int | slice, n_arcs: int) -> np.ndarray[Any, np.dtype[np.int32]]:
        """Per arc (per day of a slice): the reason index of what blocks it, -1 if open."""
        days = self.blocked_by[t]
        out = np.full((*days.shape[:-1], n_arcs), -1, dtype=np.int32)
        out[..., self.blocked_arcs] = days
        return out


def _window(s: Scenario, p: PolicyBase) -> BoolArray:
    t = np.arange(s.days)
    end = s.days if p.end is None else s.day(p.end)
    return (t >= s.day(p.start)) & (t < end)


def activity(s: Scenario, shortage_fired: Mapping[str, int] | None = None,
             ) -> tuple[BoolArray, dict[str, int]]:
    """[P, T] activity of every policy, and the day each policy that activates others fired.

    A retaliation fires on the first day on which its trigger has been active for the
    `active_days` days before (0: the first day the trigger is active); the policies it
    activates are then in force from `after_days` later, within their own start and end.
    Retaliations may trigger each other, so this repeats until nothing changes. One triggered
    by a shortage fires on the day `shortage_fired` gives (found by running the network:
    `engine.triggers`), or not at all.
    """
    shortage_fired = shortage_fired or {}
    index = {p.id: i for i, p in enumerate(s.policies)}
    windows = np.array([_window(s, p) for p in s.policies], dtype=bool).reshape(-1, s.days)
    base = windows & np.array([p.enabled for p in s.policies], dtype=bool)[:, None]
    rules = [(i, a) for i, p in enumerate(s.policies) if (a := p.activation()) is not None]
    active = base.copy()
    fired: dict[str, int] = {}
    for _ in range(len(s.policies) + 1):
        new = base.copy()
        fired = {}
        for i, rule in rules:
            if not active[i].any():
                continue
            if rule.shortage is not None:
                day = shortage_fired.get(s.policies[i].id)
            else:
                trigger = s.policies[index[rule.policy]]
                # a trigger in force since before day 0 counts the days it already was
                before = max(0, -s.day(trigger.start)) if base[index[rule.policy], 0] else 0
                day = _fire_day(active[index[rule.policy]] & active[i], rule.active_days, before)
            if day is None:
                continue
            fired[s.policies[i].id] = day
            for target in rule.activate:
                j = index[target]
                new[j] |= windows[j] & (np.arange(s.days) >= day + rule.after_days)
        if np.array_equal(new, active):
            break
        active = new
    return active, fired


def _fire_day(trigger: BoolArray, active_days: int, before: int = 0) -> int | None:
    """The first day the trigger has been active for `active_days` days in a row, counting
    the `before` days it was active before day 0."""
    if active_days == 0:
        days = np.flatnonzero(trigger)
        return int(days[0]) if days.size else None
    run = before if trigger[:1].all() else 0
    for t, on in enumerate(trigger.tolist()):  # one pass over the days, at compile time
        if run >= active_days:
            return t
        run = run + 1 if on else 0
    return None


def _objects(values: tuple[Any, ...]) -> np.ndarray[Any, Any]:
    return np.array(values, dtype=object).reshape(len(values))


@dataclass(frozen=True)
class ArcTable:
    """Per arc, as arrays a policy can select from (model.policies.ArcTable)."""

    src: np.ndarray[Any, Any]
    dst: np.ndarray[Any, Any]
    commodity: np.ndarray[Any, Any]
    lane: np.ndarray[Any, Any]
    on_lane: BoolArray
    src_country: np.ndarray[Any, Any]
    dst_country: np.ndarray[Any, Any]
    src_kind: np.ndarray[Any, Any]
    dst_kind: np.ndarray[Any, Any]


class Builder:
    """What policies' `compile` hooks describe, gathered into arrays (model.policies.Effects).

    `compile_policies` points it at one policy at a time (`at`): each effect holds on that
    policy's active days and names it as the reason."""

    def __init__(self, s: Scenario, arcs: Arcs, active: BoolArray, nodes: tuple[str, ...],
                 commodities: tuple[str, ...]) -> None:
        self.s = s
        self.T, self.A = s.days, len(arcs)
        self.all_active = active
        country = {n: s.regions[node.region].country for n, node in s.nodes.items()}
        self.arcs = ArcTable(
            src=_objects(arcs.src), dst=_objects(arcs.dst), commodity=_objects(arcs.commodity),
            lane=_objects(arcs.lane), on_lane=np.array(arcs.on_lane, dtype=bool).reshape(self.A),
            src_country=_objects(tuple(country[n] for n in arcs.src)),
            dst_country=_objects(tuple(country[n] for n in arcs.dst)),
            src_kind=_objects(tuple(s.nodes[n].kind for n in arcs.src)),
            dst_kind=_objects(tuple(s.nodes[n].kind for n in arcs.dst)))
        self.nodes, self.commodities = nodes, commodities
        self.ratings = tuple(s.ratings)
        self.node_region = _objects(tuple(s.nodes[n].region for n in nodes))
        self.node_kind = _objects(tuple(s.nodes[n].kind for n in nodes))
        self.commuter_home = _objects(tuple(s.regions[w.home_region].country for w in s.workforce))
        self.commuter_work = _objects(tuple(country[w.site] for w in s.workforce))
        self._lane_arc = {(a, b, c): k for k, (a, b, c, on) in enumerate(
            zip(arcs.src, arcs.dst, arcs.commodity, arcs.on_lane, strict=True)) if on}
        self._named = {name: k for k, (name, on) in enumerate(zip(arcs.lane, arcs.on_lane,
                                                                   strict=True)) if not on}
        # what the policies describe
        self.blocked = np.full((self.T, self.A), -1, dtype=np.int32)
        # (reason, quota [T], arcs, licence or -1, days it counts toward the licence [T])
        self.groups: list[tuple[int, Array, IntArray, int, BoolArray]] = []
        self.licences: dict[tuple[int, str, str], float] = {}  # (policy, name, commodity)
        self.released = np.zeros((self.T, self.A), dtype=bool)
        self.claims: list[Claim] = []
        N, C = len(nodes), len(commodities)
        self.below = np.zeros((self.T, N, C))
        self.lift = np.zeros((self.T, N, C))
        self.multiplier = np.ones((self.T, N, C))
        self.conserving = False
        self.kept_home = np.zeros((self.T, len(s.workforce)), dtype=bool)
        self.delivered = np.zeros((self.T, N, C))
        self.delivery_days: dict[str, BoolArray] = {}
        self.production = np.ones((self.T, N))
        self._node = {n: k for k, n in enumerate(nodes)}
        self._com = {c: k for k, c in enumerate(commodities)}
        self.at(0)

    def at(self, i: int) -> Builder:
        """Effects from now on are policy i's."""
        self.i = i
        self.active = self.all_active[i] if self.all_active.size else np.zeros(self.T, dtype=bool)
        self.reason = len(FIXED_REASONS) + i
        return self

    def day(self, day: int | dt.date) -> int:
        return self.s.day(day)

    def when(self, start: int | dt.date | None, end: int | dt.date | None) -> BoolArray:
        t = np.arange(self.T)
        first = -np.inf if start is None else self.day(start)
        return (t >= first) & (t < (np.inf if end is None else self.day(end)))

    def _on(self, days: BoolArray | None) -> BoolArray:
        return self.active if days is None else self.active & days

    def block(self, arcs: BoolArray, days: BoolArray | None = None) -> None:
        cell = self._on(days)[:, None] & arcs[None, :] & (self.blocked < 0)
        self.blocked[cell] = self.reason

    def quota(self, arcs: BoolArray, per_day: float | None, *, days: BoolArray | None = None,
              total: float | None = None, licence: str = "") -> None:
        on = self._on(days)
        # one group per commodity: units of different commodities are not added up
        for c in dict.fromkeys(self.arcs.commodity[arcs].tolist()):
            members = np.flatnonzero(arcs & (self.arcs.commodity == c)).astype(np.intp)
            pool = -1
            if total is not None:
                key = (self.i, licence, str(c))
                self.licences.setdefault(key, total)
                pool = list(self.licences).index(key)
            daily = np.inf if per_day is None else per_day
            self.groups.append((self.reason, np.where(on, daily, np.inf), members, pool, on))

    def release(self, arcs: BoolArray) -> None:
        self.released |= self.active[:, None] & arcs[None, :]

    def arc(self, src: str, dst: str, commodity: str) -> int:
        return self._lane_arc[(src, dst, commodity)]

    def arc_named(self, name: str) -> int:
        return self._named[name]

    def claim(self, arc: int, order: int, *, quantity: float = 0.0, due: int = 0,
              schedule: str = "flights", flights: np.ndarray[Any, Any] | None = None) -> None:
        p = self.s.policies[self.i]
        self.claims.append(Claim(
            p.id, arc, (order, self.s.day(p.start), self.i), self.reason, self.active, quantity,
            due, schedule, np.zeros(self.T) if flights is None else np.asarray(flights, dtype=float)))

    def conserve(self, sites: BoolArray, commodities: BoolArray, below: float,
                 multiplier: float, lift: float) -> None:
        # overlapping conservation: the highest thresholds and the lowest multiplier apply
        cell = self.active[:, None, None] & sites[None, :, None] & commodities[None, None, :]
        self.below = np.where(cell, np.maximum(self.below, below), self.below)
        self.lift = np.where(cell, np.maximum(self.lift, lift), self.lift)
        self.multiplier = np.where(cell, np.minimum(self.multiplier, multiplier), self.multiplier)
        self.conserving = True

    def keep_home(self, commuters: BoolArray) -> None:
        self.kept_home |= self.active[:, None] & commuters[None, :]

    def deliver(self, node: str, commodity: str, day: int, quantity: float) -> None:
        days = self.delivery_days.setdefault(self.s.policies[self.i].id,
                                             np.zeros(self.T, dtype=bool))
        if 0 <= day < self.T and self.active[day]:
            self.delivered[day, self._node[node], self._com[commodity]] += quantity
            days[day] = True

    def disrupt(self, d: Disrupted) -> None:
        """An enabled disruption, folded into the arrays (the same effect a stress test's
        sample gets from `engine.disruptions`)."""
        on = d.days
        if d.factor == 0:
            cell = on[:, None] & (self.blocked[:, d.arcs] < 0)
            self.blocked[:, d.arcs] = np.where(cell, d.reason, self.blocked[:, d.arcs])
        else:
            for a, limit in zip(d.arcs.tolist(), d.arc_limit.tolist(), strict=True):
                if np.isfinite(limit):
                    self.groups.append((d.reason, np.where(on, limit, np.inf),
                                        np.array([a], dtype=np.intp), -1,
                                        np.zeros(self.T, dtype=bool)))
        self.production[:, d.plants] = np.where(on[:, None], np.minimum(
            self.production[:, d.plants], d.factor), self.production[:, d.plants])
        self.kept_home[:, d.commuters] |= on[:, None]

    def lane_totals(self) -> None:
        """A lane's `capacity_total`: one group over all the commodities it carries, named
        `lane_capacity` when it binds."""
        for lane in self.s.lanes:
            if lane.capacity_total is not None:
                members = np.flatnonzero(self.arcs.on_lane & (self.arcs.lane == lane.id))
                self.groups.append((LANE_CAPACITY, np.full(self.T, lane.capacity_total),
                                    members.astype(np.intp), -1, np.zeros(self.T, dtype=bool)))

    def close_stockpiles(self) -> None:
        """A stockpile's arcs are blocked while no release lets them ship."""
        closed = (self.arcs.src_kind == "stockpile")[None, :] & ~self.released
        self.blocked[closed & (self.blocked < 0)] = STOCKPILE_CLOSED


def compile_policies(s: Scenario, arcs: Arcs, nodes: tuple[str, ...],
                     commodities: tuple[str, ...],
                     shortage_fired: Mapping[str, int] | None = None) -> PolicyArrays:
    """`shortage_fired`: the day each retaliation triggered by a shortage fires (none: not
    yet known; `engine.triggers.resolve` finds them by running the network)."""
    active, fired = activity(s, shortage_fired)
    b = Builder(s, arcs, active, nodes, commodities)
    for i, p in in_order(s.policies):
        p.compile(b.at(i))
    disrupted = tuple(_disrupted(s, b, j, d) for j, d in enumerate(s.disruptions))
    for d, x in zip(s.disruptions, disrupted, strict=True):
        if d.enabled:
            b.disrupt(x)
    b.lane_totals()
    b.close_stockpiles()

    touched = np.flatnonzero((b.blocked >= 0).any(axis=0)).astype(np.intp)
    groups = [g for g in b.groups if g[2].size]
    member_group = np.concatenate([np.full(g[2].size, k, dtype=np.intp)
                                   for k, g in enumerate(groups)] or [np.zeros(0, np.intp)])
    member_arc = np.concatenate([g[2] for g in groups] or [np.zeros(0, np.intp)])
    order = np.argsort(member_arc, kind="stable")
    T, NC = s.days, len(nodes) * len(commodities)
    group_licence = np.array([g[3] for g in groups], dtype=np.intp)
    group_counts = np.array([g[4] for g in groups], dtype=bool).reshape(len(groups), T).T.copy()
    group_counts &= (group_licence >= 0)[None, :]
    for lic in range(len(b.licences)):
        if (group_counts[:, group_licence == lic].sum(axis=1) > 1).any():
            raise ValueError("two quota groups count toward one licence on the same day")
    return PolicyArrays(
        ids=tuple(p.id for p in s.policies),
        active=active,
        fired=fired,
        reasons=FIXED_REASONS + tuple(f"{p.reason_kind}:{p.id}" for p in s.policies)
        + tuple(f"disruption:{d.id}" for d in s.disruptions),
        blocked_arcs=touched,
        blocked_by=b.blocked[:, touched].copy(),
        group_reason=np.array([g[0] for g in groups], dtype=np.intp),
        group_quota=np.array([g[1] for g in groups], dtype=float).reshape(len(groups), T).T.copy(),
        group_licence=group_licence,
        group_counts=group_counts,
        licence_total=np.array(list(b.licences.values()), dtype=float),
        member_group=member_group[order],
        member_arc=member_arc[order],
        claims=tuple(sorted(b.claims, key=lambda c: c.rank)),
        conserve_below=b.below.reshape(T, NC) if b.conserving else None,
        conserve_multiplier=b.multiplier.reshape(T, NC) if b.conserving else None,
        conserve_lift=b.lift.reshape(T, NC) if b.conserving else None,
        commuters_blocked=b.kept_home,
        deliveries=b.delivered.reshape(T, NC),
        delivery_days=b.delivery_days,
        production_factor=b.production,
        disruptions=disrupted,
        shortages=_shortage_rules(s, active, nodes, commodities),
        recompile=partial(compile_policies, s, arcs, nodes, commodities),
        licence_keys=tuple(b.licences),
    )


def _disrupted(s: Scenario, b: Builder, j: int, d: Disruption) -> Disrupted:
    """What disruption `d` (the j-th) does: a plant makes capacity x factor; any other node
    ships and receives at capacity x factor (a country: each of its nodes so); a lane, or
    every arc across a border, carries capacity x factor."""
    arcs, first_last = b.arcs, d.window(s)
    nodes = d.nodes(s)
    plants = [n for n in nodes if s.nodes[n].kind == "plant"]
    others = np.array([n for n in nodes if n not in plants], dtype=object)
    if d.lane is not None:
        hit = arcs.on_lane & (arcs.lane == d.lane)
    elif d.border is not None:
        hit = (arcs.src_country == d.border.from_country) & (arcs.dst_country == d.border.to_country)
    else:
        hit = np.isin(arcs.src, others) | np.isin(arcs.dst, others)
    hit_arcs = np.flatnonzero(hit).astype(np.intp)
    caps = {lane.id: np.inf if lane.capacity is None else lane.capacity for lane in s.lanes}
    cap = np.array([caps[arcs.lane[a]] if arcs.on_lane[a] else np.inf for a in hit_arcs],
                   dtype=float).reshape(hit_arcs.size)
    commuters: list[int] = []
    if d.border is not None and d.capacity_factor == 0:
        commuters = [w for w, (home, work) in enumerate(zip(b.commuter_home, b.commuter_work,
                                                             strict=True))
                     if home == d.border.from_country and work == d.border.to_country]
    t = np.arange(s.days)
    return Disrupted(
        id=d.id, reason=len(FIXED_REASONS) + len(s.policies) + j,
        days=(t >= first_last[0]) & (t < first_last[1]), factor=d.capacity_factor,
        arcs=hit_arcs, arc_limit=np.zeros(hit_arcs.size) if d.capacity_factor == 0
        else cap * d.capacity_factor,
        plants=np.array([b.nodes.index(n) for n in plants], dtype=np.intp),
        commuters=np.array(commuters, dtype=np.intp))


def _shortage_rules(s: Scenario, active: BoolArray, nodes: tuple[str, ...],
                    commodities: tuple[str, ...]) -> tuple[ShortageRule, ...]:
    out = []
    for i, p in enumerate(s.policies):
        a = p.activation()
        if a is None or a.shortage is None:
            continue
        region, commodity, below = a.shortage
        sites = np.array([s.nodes[n].kind == "site" and s.nodes[n].region == region
                          for n in nodes], dtype=bool)
        out.append(ShortageRule(p.id, sites, commodities.index(commodity), below,
                                max(1, a.active_days), active[i].copy()))
    return tuple(out)
