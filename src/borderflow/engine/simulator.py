"""The daily simulation with the priority allocator: `step()` one day, `run()` them all.

Every array carries a leading batch axis B (samples run together). Within a day nothing loops
over nodes or lanes: only over the few levels of the supply chain and over claims (rated
orders and airlifts, a handful per scenario).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..policy import FIXED_REASONS
from .disruptions import PerSample
from .limits import LaneLimits, alone, lane_limits
from .network import Network, Sampled
from .ordering import Ordering
from .records import DayRecord, Trace, readonly
from .sharing import share

Array = np.ndarray[Any, np.dtype[np.float64]]
IntArray = np.ndarray[Any, np.dtype[np.intp]]

STOCK, LANE_CAPACITY = FIXED_REASONS.index("stock"), FIXED_REASONS.index("lane_capacity")
TOL = 1e-9
_NO_GROUPS = np.zeros(0, dtype=np.intp)
LIMIT_DAYS = 32  # the lane limits are worked out for this many days at once
_STATE = ("stock", "in_transit")  # the arrays the simulator updates in place (others are new each day)


def capped_ratio(num: Array, den: Array) -> Array:
    """min(1, num / den) for num >= 0, dividing only where den > num (no 0/0, no overflow)."""
    if num.shape != den.shape:
        num, den = np.broadcast_arrays(num, den)
    return np.divide(num, den, out=np.ones(num.shape), where=den > num)


def scatter_add(out: Array, cols: IntArray, values: Array) -> None:
    """out[b, cols[j]] += values[b, j] for every b and j (repeated columns add up)."""
    B, width = out.shape
    if B == 1:
        out[0] += np.bincount(cols, values.reshape(-1), minlength=width)
        return
    idx = (np.arange(B)[:, None] * width + cols[None, :]).ravel()
    out += np.bincount(idx, values.ravel(), minlength=B * width).reshape(B, width)


class Columns:
    """Columns of [B, width] arrays fixed for a run (an arc's supplier pair, a level's pairs),
    gathered from and scattered onto through their flat indices over the batch, worked out
    once: at 500 nodes building them was a quarter of a scatter, and a flat take is quicker
    than indexing the columns (127 against 171 us for 7,565 arcs in a batch of 12)."""

    def __init__(self, cols: IntArray, width: int, batch: int) -> None:
        self.cols, self.shape = cols, (batch, width)
        self.flat = cols if batch == 1 else (np.arange(batch)[:, None] * width + cols).ravel()

    def take(self, values: Array) -> Array:
        """values[:, cols]."""
        if values.shape != self.shape or not values.flags.c_contiguous:
            return values[:, self.cols]
        return values.ravel().take(self.flat).reshape(self.shape[0], self.cols.size)

    def add(self, out: Array, values: Array) -> None:
        """out[b, cols[j]] += values[b, j] (`scatter_add`)."""
        if out.shape != self.shape or out.shape[0] == 1:
            scatter_add(out, self.cols, values)
            return
        out += np.bincount(self.flat, values.ravel(), minlength=out.size).reshape(out.shape)


def care_capacity(net: Network, t: int, batch: int,
                  kept: np.ndarray[Any, Any] | None = None) -> tuple[Array, Array, Array]:
    """[B, S] patients, staff and unstaffed on day t: staff on duty = local staff + commuters
    whose border is open today (`kept` [B, W]: kept home, per sample); unstaffed = patients
    beyond staff x patients_per_staff."""
    S = len(net.care_sites)
    if kept is None:
        kept = np.repeat(net.policies.commuters_blocked[t][None, :], batch, axis=0)
    present = net.commuter_staff[None, :] * ~kept  # [B, W]
    staff = np.zeros((batch, S)) + net.care_local_staff
    scatter_add(staff, net.commuter_site, present)
    patients = np.repeat(net.care_patients[t][None, :], batch, axis=0).astype(float)
    unstaffed = np.maximum(0.0, patients - staff * net.care_patients_per_staff)
    return patients, staff, unstaffed


class Simulator:
    """Runs a Network day by day. State is private; each step returns a frozen DayRecord."""

    def __init__(self, net: Network, batch: int = 1, sampled: Sampled | None = None,
                 reasons: bool = True) -> None:
        """`reasons`: whether each day works out why an arc shipped less than it was asked
        (DayRecord.reason; about a fifth of a day on a large network). Without, a record's
        reason is None: for callers that only reduce the days to KPIs (`engine.days`)."""
        self.net = net
        self.batch = batch
        self._reasons = reasons
        N, C = net.shape
        self._nc = N * C
        sampled = sampled or Sampled()
        self._sampled_demand = sampled.demand  # [B, T, N, C] or None
        self._sampled_rec_cap = sampled.rec_cap  # [B, T, R] or None
        self._sampled_arc_cap = sampled.arc_cap  # [B, A] or None
        chosen = sampled.disruption
        self._disrupted = None if chosen is None or not (chosen >= 0).any() else \
            PerSample(net, chosen)  # a disruption of each sample's own
        self._own = sampled.policies  # policies of each sample's own (net.policies: their union)
        rules: Any = net.policies if self._own is None else self._own
        self._conserves = not (rules.conserve_below is None or rules.conserve_multiplier is None
                               or rules.conserve_lift is None)
        self._flight_claims = np.array([k for k, c in enumerate(net.policies.claims)
                                        if not c.is_order], dtype=np.intp)
        self._flight_arcs = np.array([net.policies.claims[k].arc for k in self._flight_claims],
                                     dtype=np.intp)
        if self._own is not None and (self._disrupted is not None or
                                      self._sampled_arc_cap is not None):
            raise ValueError("samples with policies of their own take no disruption or lane "
                             "capacity of their own")
        if sampled.stock0 is not None:
            self._stock = sampled.stock0.reshape(batch, -1).astype(float)  # a copy
        else:
            self._stock = np.repeat(net.stock0.reshape(1, -1), batch, axis=0)  # [B, N*C]
        self._slots = net.max_lead + 1
        self._pipe = np.zeros((self._slots, batch, self._nc))  # arrivals by day modulo slots
        self._pipe[:net.transit0.shape[0]] += net.transit0[:, None, :]  # the lanes' in_transit
        self._transit = np.repeat(net.transit0.sum(axis=0)[None, :], batch, axis=0)
        # where in the pipeline (flattened) each arc's shipments of a day land, by day modulo
        # slots; sample b's land b x N*C further on
        offset = np.arange(batch)[:, None] * self._nc
        self._landing = [(((t + net.arc_lead) % self._slots) * (batch * self._nc)
                          + net.arc_dst_pair + offset).ravel() for t in range(self._slots)]
        self._src = net.arc_src_pair
        self._dst = net.arc_dst_pair
        self._to_src = Columns(self._src, self._nc, batch)
        self._to_dst = Columns(self._dst, self._nc, batch)
        self._rec_pair = net.rec_node * C + net.rec_com
        self._rec_input_pairs = net.rec_node[:, None] * C + np.arange(C)[None, :]
        self._to_inputs = Columns(self._rec_input_pairs.ravel(), self._nc, batch)
        self._ordering = Ordering(net, batch)
        self._levels = [(Columns(pairs, self._nc, batch), arcs,
                         Columns(self._src[arcs], self._nc, batch),
                         Columns(self._dst[arcs], self._nc, batch))
                        for pairs, arcs in zip(net.level_pairs, net.level_arcs, strict=True)
                        if arcs.size]
        # the arcs open on the last day asked, and what followed from them (`_request`)
        self._open: np.ndarray[Any, Any] | None = None
        self._lane_share = self._closed_share = np.zeros((1, net.arc_src.size))
        self._level_share: list[Array] = []
        self._closed: np.ndarray[Any, Any] | None = None
        # DESIGN step 4: a warehouse's or broker's use is the requests it received; a site's
        # its own demand; a plant's its inputs at full capacity (a stockpile does not order)
        relays = np.isin(np.asarray(net.kinds, dtype=object), ["warehouse", "broker"])
        self._relay = np.repeat(relays, C)
        inv = net.inventory
        self._owes = np.repeat(inv.backlog, C)  # sites whose unmet demand is owed
        self._owing = bool(self._owes.any())  # (else the backlog stays 0 and adds nothing)
        self._backlog = np.zeros((batch, self._nc))
        self._to_order = inv.to_order[net.rec_node]  # recipes made to order
        self._asked = np.zeros((batch, self._nc))  # what each pair was asked for yesterday
        self._custom = np.flatnonzero(inv.custom_sharing)  # arcs of suppliers with a rule
        self._conserving = np.zeros((batch, self._nc), dtype=bool)
        pol = net.policies
        self._delivered = np.zeros((batch, len(pol.claims)))
        self._claim_groups = [pol.member_group[pol.member_arc == c.arc] for c in pol.claims]
        self._licence_used = np.zeros((batch, pol.licence_total.size))
        # members are sorted by arc: each arc's groups form one run
        self._arcs_grouped, self._run_starts = pol.member_runs
        self._same_limits = all(bool((a == a[:1]).all()) for a in
                                (pol.blocked_by, net.flights[1], pol.group_quota))
        self._limits_from = 0
        self._limits = lane_limits(net, 0, 1 if self._same_limits else min(net.days, LIMIT_DAYS))
        self.day = 0

    @property
    def done(self) -> bool:
        return self.day >= self.net.days

    def step(self) -> DayRecord:
        if self.done:
            raise RuntimeError(f"the horizon of {self.net.days} days is over")
        day = self._advance()
        # the state arrays go on changing: the record keeps copies
        return DayRecord(day=self.day - 1, **{k: v.copy() if k in _STATE else v
                                             for k, v in day.items()})

    def run(self) -> Trace:
        """The days left of the horizon (what stepping through them gives), each day written
        straight into the trace's arrays rather than kept as a record and stacked."""
        if not self._reasons:
            raise ValueError("a trace holds every day's shortfall reasons: run with reasons")
        first, out = self.day, dict[str, np.ndarray[Any, Any]]()
        fixed = self._unchanging(first)
        while not self.done:
            t = self.day - first
            day = self._advance()
            if not out:
                out = {k: np.empty((self.net.days - first, *v.shape), dtype=v.dtype)
                       for k, v in day.items() if k not in fixed}
            for k, arr in out.items():
                arr[t] = day[k]
        return Trace(**{k: readonly(v) for k, v in out.items()}, **fixed)

    def _unchanging(self, first: int) -> dict[str, np.ndarray[Any, Any]]:
        """The trace's fields this run cannot change (demand as written when nothing samples
        or conserves it, no backlog or conservation where no site has any), as read-only
        views: the run neither computes nor stores them day by day."""
        net, B = self.net, self.batch
        T, (N, C) = net.days - first, net.shape
        shape = (T, B, N, C)
        out: dict[str, np.ndarray[Any, Any]] = {}
        if not self._conserves:
            out["conserving"] = np.broadcast_to(np.zeros((1, 1, N, C), dtype=bool), shape)
            if self._sampled_demand is None:
                out["demand"] = np.broadcast_to(net.demand[first:, None], shape)
        if not self._owing:
            out["backlog"] = np.broadcast_to(np.zeros((1, 1, N, C)), shape)
        return out

    def _advance(self) -> dict[str, np.ndarray[Any, Any]]:
        """Run one day; its figures by DayRecord field (state arrays are live: copy to keep)."""
        net, t, S = self.net, self.day, self._stock
        B, N, C = self.batch, *net.shape

        # 1. Arrive
        slot = t % self._slots
        S += self._pipe[slot]
        self._transit -= self._pipe[slot]
        self._pipe[slot] = 0.0
        # from outside the network (a donation)
        S += net.policies.deliveries[t] if self._own is None else self._own.deliveries[t]

        # 2. Produce
        produced, input_use = self._produce(t)

        # 3. Consume (conserving while a conservation policy says so); what a site owes is
        # served first; then substitutes cover what a commodity's own stock could not
        normal, demand, conserving = self._demand(t)
        owed = demand + self._backlog if self._owing else demand
        served = np.minimum(S, owed)
        S -= served
        substituted, substitute_used = self._substitute(owed, served)
        if self._owing:
            self._backlog = np.where(self._owes, owed - served, 0.0)

        # 4. Request
        limits = self._day_limits(t)
        if self._own is not None:  # each sample's blocks and quotas: [B, A], [B, G]
            blocker = self._own.blocker(t, net.arc_src.size)
            limit = np.where(blocker >= 0, 0.0, limits.arc)
            if self._flight_claims.size:  # each sample's own flights, under the union's
                arcs = self._flight_arcs
                limit[:, arcs] = np.minimum(limit[:, arcs],
                                            self._own.claim_flights[t][:, self._flight_claims])
            limits = LaneLimits(limit, self._own.group_quota[t], blocker)
        limit, blocker = limits.arc, limits.blocker  # [1 or B, A] (B: disruptions, policies)
        if self._disrupted is not None:
            limit, blocker = self._disrupted.limit(t, limit), self._disrupted.blocker(t, blocker)
        # a conserving site still orders for its normal use: conservation stretches its stock,
        # it does not lower what the site aims to hold (else its cover could never recover)
        quota = limits.quota[0] if self._own is None else limits.quota
        requested, wanted = self._request(t, limit, quota, normal + input_use)

        # 5. Allocate and ship
        out = self._ship(t, limits, blocker, requested, wanted)

        patients, staff, unstaffed = self._care(t)

        self.day += 1
        shape = (B, N, C)
        return dict(
            stock=S.reshape(shape),
            in_transit=self._transit.reshape(shape),
            produced=produced,
            demand=demand.reshape(shape),
            served=served.reshape(shape),
            substituted=substituted,
            substitute_used=substitute_used,
            conserving=conserving.reshape(shape),
            backlog=self._backlog.reshape(shape),
            patients=patients,
            staff=staff,
            unstaffed=unstaffed,
            **out,
        )

    def _produce(self, t: int) -> tuple[Array, Array]:
        """Make up to capacity, limited by inputs; recipes sharing an input share it pro rata.

        Returns what each recipe made and, per pair, the inputs wanted at full capacity (a
        plant's use, for its orders).
        """
        net, S, B = self.net, self._stock, self.batch
        idx = self._rec_input_pairs  # [R, C]: the pair holding each recipe's inputs
        per_sample = self._sampled_rec_cap is not None or (
            self._disrupted is not None and self._disrupted.touches_production)
        if self._to_order.any():  # only what yesterday's buyers asked for beyond the stock
            cap = self._capacity(t)
            asked = np.maximum(0.0, self._asked[:, self._rec_pair] - S[:, self._rec_pair])
            cap = np.where(self._to_order, np.minimum(cap, asked), cap)  # [B, R]
            want = cap[:, :, None] * net.rec_inputs[None, :, :]
            full_use = np.zeros((B, self._nc))
            self._to_inputs.add(full_use, want.reshape(B, -1))
            total = full_use[:, idx]
        elif not per_sample:
            cap = net.rec_cap[t][None, :]  # [1, R]
            want = cap[0][:, None] * net.rec_inputs  # [R, C] inputs at full capacity
            full_use = np.bincount(idx.ravel(), want.ravel(), minlength=self._nc)[None, :].astype(float)
            total = full_use[:, idx]
        else:
            cap = self._capacity(t)  # [B, R]
            want = cap[:, :, None] * net.rec_inputs[None, :, :]  # [B, R, C]
            full_use = np.zeros((B, self._nc))
            self._to_inputs.add(full_use, want.reshape(B, -1))
            total = full_use[:, idx]
        have = S[:, idx]  # [B, R, C]
        scale = np.where(want > 0, capped_ratio(have, np.broadcast_to(total, have.shape)), 1.0)
        made = cap * scale.min(axis=2, initial=1.0)  # [B, R]
        used = made[:, :, None] * net.rec_inputs[None, :, :]
        self._to_inputs.add(S, -used.reshape(B, -1))
        np.maximum(S, 0.0, out=S)  # pro-rata shares can overshoot a stock by one rounding step
        S[:, self._rec_pair] += made
        return made, full_use

    def _day_limits(self, t: int) -> LaneLimits:
        """Day t's lane limits ([1, A], [1, G], [1, A]), worked out LIMIT_DAYS days at a time
        (once, when they are the same every day)."""
        if self._same_limits:
            return self._limits
        start = self._limits_from
        if not start <= t < start + self._limits.arc.shape[0]:
            start = self._limits_from = t
            self._limits = lane_limits(self.net, t, min(self.net.days, t + LIMIT_DAYS))
        k, lim = t - start, self._limits
        return LaneLimits(lim.arc[k:k + 1], lim.quota[k:k + 1], lim.blocker[k:k + 1])

    def _capacity(self, t: int) -> Array:
        """[1 or B, R] each recipe's capacity on day t, the sample's own where it has one."""
        cap = self.net.rec_cap[t][None, :] if self._sampled_rec_cap is None else \
            self._sampled_rec_cap[:, t]
        return cap if self._disrupted is None else self._disrupted.production(t, cap)

    def _substitute(self, owed: Array, served: Array) -> tuple[Array, Array]:
        """Rule by rule, in order: a site's demand of `for` its own stock left unserved (what
        was `owed` less what was `served`) is covered from the stock of `use` that use's own
        demand left, `ratio` units of `use` a unit covered. Covered units count as served
        (`served` grows). Returns [B, Q] what each rule covered (in `for`'s units) and used
        (in `use`'s)."""
        net, S = self.net, self._stock
        Q = net.sub_ratio.size
        covered, used = np.zeros((self.batch, Q)), np.zeros((self.batch, Q))
        if not Q:
            return covered, used
        short = owed - served
        for q, (f, u, ratio) in enumerate(zip(net.sub_for_pair.tolist(), net.sub_use_pair.tolist(),
                                              net.sub_ratio.tolist(), strict=True)):
            want = short[:, f] * ratio
            have = S[:, u]
            got = np.minimum(want, have)
            # all that is short when the stock suffices; else what the stock covers at the ratio
            cover = np.where(want <= have, short[:, f], got / ratio)
            S[:, u] -= got
            short[:, f] -= cover
            served[:, f] += cover
            covered[:, q], used[:, q] = cover, got
        return covered, used

    def _care(self, t: int) -> tuple[Array, Array, Array]:
        if not self.net.care_sites:
            none = np.zeros((self.batch, 0))
            return none, none, none
        kept = None if self._disrupted is None else \
            self._disrupted.kept_home(t, self.net.policies.commuters_blocked[t])
        if self._own is not None:
            kept = self._own.commuters_blocked[t]
        return care_capacity(self.net, t, self.batch, kept)

    def _demand(self, t: int) -> tuple[Array, Array, np.ndarray[Any, np.dtype[np.bool_]]]:
        """Normal demand, demand after conservation, and where sites conserve: from the day
        their days of supply at normal use falls under the threshold until it is back at the
        lift level (the threshold itself unless the policy sets a higher one)."""
        pol: Any = self.net.policies if self._own is None else self._own
        if self._sampled_demand is None:
            raw = np.broadcast_to(self.net.demand[t].reshape(1, -1), (self.batch, self._nc))
        else:
            raw = self._sampled_demand[:, t].reshape(self.batch, self._nc)
        if not self._conserves:
            return raw, raw, self._conserving
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            days_of_supply = np.where(raw > 0, self._stock / raw, np.inf)
        conserving = (days_of_supply < pol.conserve_below[t]) | \
            (self._conserving & (days_of_supply < pol.conserve_lift[t]))
        self._conserving = conserving
        return raw, np.where(conserving, raw * pol.conserve_multiplier[t], raw), conserving

    def _request(self, t: int, limit: Array, quota: Array, use: Array) -> tuple[Array, Array]:
        """Each node's need by its rule (engine/ordering.py), level by level from the
        customers upstream, split over the lanes open today by weight. A node's inventory
        position is its stock and what is in transit to it, less what it owes: a site's
        backlog, a warehouse's or broker's requests of the day (so target_days means days of
        use after today's for every kind of node).

        Also returns, for the record only, what each lane closed today would have been asked
        had it been open (its weight's share of the need), so a user can see what a ban stopped.
        `limit` [1 or B, A]: what each arc may carry today (per sample when samples suffer
        disruptions of their own), `quota` [G].
        """
        net = self.net
        A, B = net.arc_src.size, self.batch
        open_arcs = alone(net, limit, quota) > 0  # [1 or B, A]
        if self._open is None or not np.array_equal(open_arcs, self._open):
            # the lanes' shares change only when some open or close (most days none do)
            self._open = open_arcs
            weight = np.where(open_arcs, net.arc_weight, 0.0)
            wsum = np.zeros((weight.shape[0], self._nc))
            self._to_dst.add(wsum, weight)
            wsum = wsum[:, self._dst]
            # of each buyer's orders (what sharing by use weighs), and of a closed lane's
            self._lane_share = np.where(open_arcs, capped_ratio(weight, wsum), 0.0)
            self._level_share = [self._lane_share[:, arcs] for _, arcs, _, _ in self._levels]
            closed = ~open_arcs & (net.arc_cap > 0) & (net.arc_weight > 0)
            self._closed = closed if closed.any() else None
            self._closed_share = np.where(closed, net.arc_weight, 0.0) / \
                np.where(closed, wsum + net.arc_weight, 1.0)
        position = self._stock + self._transit
        if self._owing:
            position -= self._backlog
        received = np.zeros((B, self._nc))
        need = np.zeros((B, self._nc))
        requested = np.zeros((B, A))
        for (at, arcs, src, dst), part in zip(self._levels, self._level_share, strict=True):
            pairs = at.cols
            relayed = at.take(received) * self._relay[pairs]
            u = at.take(use) + relayed
            need[:, pairs] = self._ordering.need(t, pairs, u, at.take(position) - relayed)
            r = dst.take(need) * part
            requested[:, arcs] = r
            src.add(received, r)
        self._asked = received  # what a plant that makes to order makes tomorrow
        if self._closed is None:
            return requested, requested
        return requested, np.where(self._closed, need[:, self._dst] * self._closed_share, requested)

    def _claim_amount(self, k: int, t: int) -> Array:
        claim = self.net.policies.claims[k]
        on = 1.0 if self._own is None else self._own.claim_active[t, :, k]  # the samples'
        if claim.schedule == "flights":
            if self._own is not None:
                return self._own.claim_flights[t, :, k] * on
            return np.full(self.batch, claim.flights[t])
        remaining = np.maximum(0.0, claim.quantity - self._delivered[:, k])
        remaining[remaining <= TOL * claim.quantity] = 0.0
        if claim.schedule == "asap":
            return remaining * on
        # even: spread what remains over the days left to ship it so it arrives by the due day
        last_ship = claim.due - int(self.net.arc_lead[claim.arc])
        return remaining / max(1, last_ship + 1 - t) * on

    def _ship(self, t: int, limits: LaneLimits, blocker: np.ndarray[Any, Any], requested: Array,
              wanted: Array) -> dict[str, Any]:
        """Claims first (in rank order), then requests capped by lane and policy limits, then
        each supplier shares its stock pro rata; shipments arrive after their lead time.
        `blocker` [1 or B, A]: the reason blocking each arc today, -1 when open."""
        net, pol, S = self.net, self.net.policies, self._stock
        B, A, K = self.batch, net.arc_src.size, len(pol.claims)
        lane_cap: Array = net.arc_cap
        if self._sampled_arc_cap is not None:
            # the sample's capacity replaces the written one (above it too); a block still holds
            lane_cap = self._sampled_arc_cap
            room = lane_limits(net, t, t + 1, lane_cap).arc[0]
        else:
            room = np.broadcast_to(limits.arc, (B, A))  # copied below when a claim takes room
        cut = np.zeros((1, A), dtype=bool)  # where a disruption cuts an arc below its limit
        if self._disrupted is not None:
            less = self._disrupted.limit(t, room)
            if less is not room:
                cut, room = less < room, less
        quota = np.array(np.broadcast_to(limits.quota, (B, limits.quota.shape[-1])))
        counts = pol.group_counts[t][None, :] if self._own is None else self._own.group_counts[t]
        licensed = np.flatnonzero(counts.any(axis=0)) if counts.size else _NO_GROUPS
        if licensed.size:  # groups counting toward a licence ship no more than is left of it
            lic = pol.group_licence[licensed]
            counting = counts[:, licensed]  # [1 or B, groups]
            left = np.maximum(pol.licence_total[lic] - self._licence_used[:, lic], 0.0)
            quota[:, licensed] = np.where(counting, np.minimum(quota[:, licensed], left),
                                          quota[:, licensed])
        asked_k, limit_k, got_k = np.zeros((B, K)), np.zeros((B, K)), np.zeros((B, K))
        claim_room = np.zeros((B, A), dtype=bool)  # a claim took lane room from requests
        claim_reason = np.full(A, -1, dtype=np.int32)
        drawn_by = np.full((B, self._nc), -1, dtype=np.int32)  # the first claim on a stock today
        # most days of most networks no claim is active: then nothing below changes room or
        # what was asked, and what ships is what the requests get (no copies of [B, A] arrays)
        by_claims = any(claim.active[t] for claim in pol.claims)
        asked, shipped = (wanted.copy(), np.zeros((B, A))) if by_claims else (wanted, None)
        if by_claims:
            room = np.array(room)
        claimed = False  # whether a claim drew on a stock today
        for k, claim in enumerate(pol.claims):
            if not claim.active[t]:
                continue
            amount = self._claim_amount(k, t)
            if not amount.any():
                continue
            claimed = True
            assert shipped is not None  # (by_claims)
            a, src, groups = claim.arc, self._src[claim.arc], self._claim_groups[k]
            cap = room[:, a] if not groups.size else np.minimum(room[:, a], quota[:, groups].min(axis=1))
            got = np.clip(np.minimum(amount, S[:, src]), 0.0, np.maximum(cap, 0.0))
            S[:, src] -= got
            room[:, a] -= got
            quota[:, groups] -= got[:, None]
            shipped[:, a] += got
            asked[:, a] += amount
            self._delivered[:, k] += got
            self._asked[:, src] += amount
            asked_k[:, k], limit_k[:, k], got_k[:, k] = amount, cap, got
            claim_room[:, a] |= got > 0
            claim_reason[a] = claim.reason if claim_reason[a] < 0 else claim_reason[a]
            drawn_by[:, src] = np.where((drawn_by[:, src] < 0) & (got > 0), claim.reason,
                                        drawn_by[:, src])

        capped = np.minimum(requested, np.maximum(room, 0.0))
        ratio, group_reason = self._quota_shares(capped, quota, self._reasons)
        if self._arcs_grouped.size:  # (else ratio is 1 throughout)
            capped *= ratio
        total = np.zeros((B, self._nc))
        self._to_src.add(total, capped)
        have = np.maximum(S, 0.0)
        stock_ratio = capped_ratio(have, total)
        sent = capped * self._to_src.take(stock_ratio)
        if self._custom.size:  # suppliers with a sharing rule of their own
            c = self._custom
            use = self._ordering.forecast[:, self._dst[c]] * self._lane_share[:, c]
            sent[:, c] = share(net.inventory, c, have.copy(), capped[:, c], self._src[c], use)
        self._to_src.add(S, -sent)
        np.maximum(S, 0.0, out=S)
        if shipped is None:
            shipped, allowed = sent, capped
        else:
            shipped += sent
            allowed = shipped - sent + capped
        self._dispatch(t, shipped)
        if licensed.size:
            by_group = np.zeros((B, quota.shape[1]))
            scatter_add(by_group, pol.member_group, shipped[:, pol.member_arc])
            # a sample's groups of one licence count on different days: scatter, not assign
            scatter_add(self._licence_used, lic, by_group[:, licensed] * counting)

        out: dict[str, Any] = {"requested": asked, "allowed": allowed, "shipped": shipped,
                               "reason": None, "claim_asked": asked_k, "claim_limit": limit_k,
                               "claimed": got_k}
        if not self._reasons:
            return out
        # The reason for a shortfall is the constraint that bound at the margin: stock when the
        # supplier could not send all it was allowed to, else the tightest cap (a block, then
        # lane capacity, then room taken by a claim, then a quota).
        short = shipped < asked - TOL * np.maximum(1.0, asked)
        stock_bound = shipped < allowed - TOL * np.maximum(1.0, allowed)
        cap = group_reason
        if claimed:
            cap = np.where(claim_room & (requested > capped + TOL), claim_reason, cap)
        cap = np.where(asked > lane_cap + TOL, LANE_CAPACITY, cap)
        if self._disrupted is not None:  # an arc a disruption cut is short because of it
            cap = np.where(cut, self._disrupted.reason[:, None], cap)
        cap = np.where(blocker >= 0, blocker, cap)
        by_stock: Any = STOCK  # (a claim drawing on the stock first is the reason)
        if claimed:
            src_reason = drawn_by[:, self._src]
            by_stock = np.where(src_reason >= 0, src_reason, STOCK)
        out["reason"] = np.where(short, np.where(stock_bound, by_stock, cap), -1).astype(np.int16)
        return out

    def _quota_shares(self, capped: Array, quota: Array,
                      reasons: bool = True) -> tuple[Array, np.ndarray[Any, Any]]:
        """Each quota group lets through at most its quota, pro rata to the arcs' requests.

        Returns per arc the fraction let through (the least over its groups) and the reason
        index of the group that set it (with `reasons`; else -1 throughout).
        """
        pol = self.net.policies
        B, A = capped.shape
        ratio = np.ones((B, A))
        reason = np.full((B, A), -1, dtype=np.int32)
        if not self._arcs_grouped.size:
            return ratio, reason
        G = quota.shape[1]
        total = np.zeros((B, G))
        scatter_add(total, pol.member_group, capped[:, pol.member_arc])
        q = np.maximum(quota, 0.0)
        # a quota of 0 lets nothing through (and names itself as the reason, even for a lane
        # nobody asked anything of because it was closed)
        group_ratio = np.where(q <= 0, 0.0, capped_ratio(q, total))
        per_member = group_ratio[:, pol.member_group]  # [B, M]
        least = np.minimum.reduceat(per_member, self._run_starts, axis=1)
        ratio[:, self._arcs_grouped] = least
        if not reasons:
            return ratio, reason
        # the first group (in member order) reaching the least ratio decides the reason
        M = pol.member_arc.size
        is_least = per_member <= least[:, np.searchsorted(self._arcs_grouped, pol.member_arc)]
        first = np.minimum.reduceat(np.where(is_least, np.arange(M), M), self._run_starts, axis=1)
        reason[:, self._arcs_grouped] = pol.group_reason[pol.member_group[first]]
        return ratio, reason

    def _dispatch(self, t: int, shipped: Array) -> None:
        """Put shipments in the pipeline to arrive after their lead time: one scatter of the
        day's shipments over the pipeline."""
        landing = shipped * self.net.arc_yield  # what is rejected on arrival never lands
        pipe = self._pipe.reshape(-1)  # a view: the pipeline is contiguous
        pipe += np.bincount(self._landing[t % self._slots], landing.ravel(), minlength=pipe.size)
        self._to_dst.add(self._transit, landing)
