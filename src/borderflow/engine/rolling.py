"""The optimal allocator's rolling-horizon mode: solve days [t, t+W), keep the first K days'
decisions, roll on to t+K with the state they leave, until the horizon is covered.

One HiGHS model serves every window. It is built once (`template`) from a W-day *envelope* of
the network: every variable and row any window may need (an arc open on any day, a quota in
force on any day, a rated order on every day, ...). Each window then only changes column and
row bounds (`window_bounds`): capacities, demand, blocks, quotas and flights of its days; the
carried state, as right-hand sides (stock on hand on its first day, shipments still in transit
arriving on its days, what each rated order still needs). HiGHS warm-starts each window from
the previous window's basis.

Terminal condition. A window sees no day after its end, so left alone it would treat a rated
order due later as due at its end (all of it, now) and nothing would make it keep the order on
schedule. Each rated order gets a deferral column per window: units it may leave to days after
the window, at no cost, up to the share of what it still needs that its remaining ship days
after the window carry at an even pace (an even schedule from now to its last ship day). What
falls short of that pace is penalised as a shortfall. Stock needs no terminal value: unmet
demand is lost, not backordered, so a unit served inside the window is worth what it would be
worth later, and the objective has nothing that pays for emptying stock (docs/engine.md).

The last window is the first that reaches the horizon's end: it keeps all its days, so with
W >= the horizon there is one window and the result is the full-horizon optimum.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import Any

import highspy
import numpy as np

from .errors import OptimalError
from .flows import pair_flows, substitution
from .limits import lane_limits
from .network import Network
from .optimal import (
    LP,
    RETRIES,
    Array,
    IntArray,
    _new_highs,
    _window,
    assemble,
    diagnose,
    due_within,
    lp_demand,
    owes,
    served_and_owed,
    trace_from,
)
from .records import Trace

# Terminal value of a unit held at a window's end, against a unit of unmet demand at the
# lowest-priority site: below 1, so a window never leaves demand unmet to hold stock; far above
# the tie-break cost of shipping (1e-6 a unit), so it outweighs it.
TERMINAL = 1e-3


@dataclass
class Stats:
    """What a rolling run did: windows solved, and seconds spent building and solving."""

    windows: int = 0
    build_seconds: float = 0.0
    solve_seconds: float = 0.0
    iterations: int = 0
    retries: int = 0  # windows HiGHS had to solve again (no optimum on the first attempt)


def envelope(net: Network, demand: Array, W: int) -> tuple[Network, Array]:
    """A W-day network (and its demand) whose LP has every variable and row a window of W
    days may need: the union of each day's structure, on every day."""
    pol = net.policies

    def every_day(a: Array) -> Array:  # [T, X] -> [W, X]: positive where any day is
        return np.broadcast_to((a > 0).any(axis=0), (W, *a.shape[1:])).astype(float)

    ever_open = (pol.blocked_by < 0).any(axis=0)
    blocked_by = np.broadcast_to(np.where(ever_open, -1, pol.blocked_by.max(axis=0, initial=-1)),
                                 (W, ever_open.size)).astype(np.int32)
    quota = np.broadcast_to(np.where(np.isfinite(pol.group_quota).any(axis=0), 1.0, np.inf),
                            (W, pol.group_quota.shape[1])).copy()
    far = 10 * (W + net.max_lead)  # a due day no window reaches: every day may count
    claims = tuple(replace(c, active=np.ones(W, dtype=bool), due=far,
                           flights=np.full(W, float(c.flights.max(initial=0.0))))
                   for c in pol.claims)
    # a licence's row holds every arc that ever counts toward it; `licence_coefficients`
    # zeroes, window by window, the days an arc does not count
    counts = np.broadcast_to(pol.group_counts.any(axis=0), (W, pol.group_counts.shape[1])).copy()
    # deliveries land through the window's carried arrivals (`State`, in the right-hand
    # sides `window_bounds` sets); here they only mark the pairs that need rows
    policies = replace(pol, blocked_by=blocked_by, group_quota=quota, claims=claims,
                       group_counts=counts, deliveries=every_day(pol.deliveries))
    return replace(net, days=W, rec_cap=every_day(net.rec_cap), policies=policies), \
        every_day(demand)


@dataclass(frozen=True)
class Template:
    """The W-day model, with one deferral column per rated order appended at the end."""

    lp: LP
    net: Network  # the envelope
    orders: list[int]  # claim numbers of the rated orders
    defer: IntArray  # column of each order's deferral

    @property
    def columns(self) -> int:
        return int(self.lp.cost.size)


def template(net: Network, demand: Array, W: int) -> Template:
    env, env_demand = envelope(net, demand, W)
    lp = assemble(env, env_demand, np.zeros(env_demand.shape, dtype=bool))
    orders, _ = _window(net)
    n, k = int(lp.cost.size), len(orders)
    totals = _row_offset(lp, "rated-order delivery")
    defer = np.arange(n, n + k, dtype=np.intp)
    lp = replace(lp, cost=np.concatenate([lp.cost, np.zeros(k)]),
                 col_lower=np.concatenate([lp.col_lower, np.zeros(k)]),
                 col_upper=np.concatenate([lp.col_upper, np.zeros(k)]),
                 start=np.concatenate([lp.start, lp.start[-1] + np.arange(1, k + 1, dtype=np.int32)]),
                 index=np.concatenate([lp.index, totals + np.arange(k, dtype=np.int32)]),
                 value=np.concatenate([lp.value, np.ones(k)]))
    return Template(lp, env, orders, defer)


def _row_offset(lp: LP, name: str) -> int:
    at = 0
    for c in lp.constraints.values():
        if c.name == name:
            return at
        at += c.size
    raise KeyError(name)


@dataclass
class State:
    """What the committed days leave to the next window."""

    stock: Array  # [P] on hand at the start of the next window
    arrivals: Array  # [T + max lead, P] committed shipments landing on each day
    remaining: Array  # [orders] units each rated order still needs (within the horizon)
    owed: Array  # [P] sites' backlog at the start of the next window
    # [licences] units the committed days counted toward each
    licence_used: Array = field(default_factory=lambda: np.zeros(0))


def _padded(a: np.ndarray[Any, Any], t0: int, W: int, fill: float) -> np.ndarray[Any, Any]:
    """a[t0:t0+W] along the day axis, padded with `fill` beyond the horizon."""
    out = np.full((W, *a.shape[1:]), fill, dtype=a.dtype)
    part = a[t0:t0 + W]
    out[: part.shape[0]] = part
    return out


def window_bounds(net: Network, tpl: Template, demand: Array, state: State,
                  t0: int) -> tuple[Array, Array, Array, Array]:
    """Column lower/upper and row lower/upper of the template for the window starting t0."""
    lp, W, T = tpl.lp, tpl.net.days, net.days
    live = (t0 + np.arange(W) < T)[:, None]
    lower, upper = lp.col_lower.copy(), lp.col_upper.copy()

    def put(name: str, grid: Array) -> None:
        v = lp.variables[name]
        mask = v.index >= 0
        upper[v.index[mask]] = np.broadcast_to(grid, mask.shape)[mask]

    # what may flow on each arc (an airlift's: its flights); nothing beyond the horizon
    limits = lane_limits(net, t0, t0 + W)
    may = _padded(limits.arc, 0, W, 0.0)
    put("shipments", may)
    put("production", _padded(net.rec_cap, t0, W, 0.0))
    d = _padded(demand, t0, W, 0.0)
    keeps = owes(net)[None, :]  # a backlog is bounded by what was owed and all demand since
    owed = np.where(keeps, state.owed[None, :] + np.cumsum(d, axis=0), d)
    put("unmet", owed)
    put("substitutes", owed[:, net.sub_for_pair])  # what a substitute could cover
    _, ship_days = _window(net)
    in_window = _padded(ship_days, t0, W, False) & live
    put("order_flows", np.where(in_window, np.inf, 0.0))
    put("airlift_shortfall", may)  # its variables are on airlift arcs only
    after = ship_days[min(t0 + W, T):].sum(axis=0)
    ahead = ship_days[t0:].sum(axis=0)
    # the even pace: what the order's ship days after this window carry of what it still needs
    upper[tpl.defer] = np.where(ahead > 0, state.remaining * after / np.maximum(ahead, 1), 0.0)

    rows: list[tuple[Array, Array]] = []
    have = _padded(state.arrivals, t0, W, 0.0)  # what lands on each day, from earlier windows
    have[0] += state.stock
    for c in lp.constraints.values():
        if c.name == "stock balance":
            rhs = have - d
            rhs[0] -= state.owed  # yesterday's backlog, served (or owed) today
            rows.append((rhs[c.day, c.item],) * 2)
        elif c.name in ("backlog", "substitute cover"):  # served today: at most d + owed
            grow = d.copy()
            grow[0] += state.owed
            rows.append((c.lower, grow[c.day, c.item]))
        elif c.name == "input availability":
            rows.append((c.lower, have[c.day, c.item]))
        elif c.name == "quota":
            quota = _padded(limits.quota, 0, W, np.inf)
            rows.append((c.lower, quota[c.day, c.item]))
        elif c.name == "licence":
            rows.append((c.lower, net.policies.licence_total - state.licence_used))
        elif c.name == "rated-order delivery":
            rows.append((state.remaining.copy(), state.remaining.copy()))
        elif c.name == "airlift":
            rows.append((may[c.day, c.item],) * 2)  # rows of airlift arcs
        else:
            rows.append((c.lower, c.upper))
    return lower, upper, np.concatenate([r[0] for r in rows]), np.concatenate([r[1] for r in rows])


def _counted(net: Network, t0: int, W: int) -> np.ndarray[Any, np.dtype[np.bool_]]:
    """[W, L, A] whether a unit on the arc on each day of the window counts toward each
    licence (beyond the horizon: never)."""
    pol = net.policies
    counts = _padded(pol.group_counts, t0, W, False)  # [W, G]
    out = np.zeros((W, pol.licence_total.size, net.arc_src.size), dtype=bool)
    lic = pol.group_licence[pol.member_group]
    m = lic >= 0
    for j in np.flatnonzero(m):  # a licence's members: a handful
        out[:, lic[j], pol.member_arc[j]] |= counts[:, pol.member_group[j]]
    return out


def licence_coefficients(net: Network, tpl: Template, t0: int) -> tuple[IntArray, IntArray, Array]:
    """(rows, columns, values) of the licence rows for the window starting t0: 1 where a
    shipment counts toward the licence that day, else 0."""
    pol, W = net.policies, tpl.net.days
    if not pol.licence_total.size:
        return np.zeros(0, np.intp), np.zeros(0, np.intp), np.zeros(0)
    ever = _counted(tpl.net, 0, W)  # the envelope's entries: every arc ever counted
    x = tpl.lp.variables["shipments"].index  # [W, A]
    w, lic, a = np.nonzero(ever & (x >= 0)[:, None, :])
    now = _counted(net, t0, W)
    return _row_offset(tpl.lp, "licence") + lic, x[w, a], now[w, lic, a].astype(float)


def terminal_cost(net: Network, tpl: Template) -> Array:
    """The template's costs with the terminal value: every unit held at the window's end, on
    hand or in transit to arrive after it, earns TERMINAL x the lowest site priority."""
    lp, W = tpl.lp, tpl.net.days
    value = TERMINAL * float(net.priority[np.array(net.kinds) == "site"].min(initial=1.0))
    cost = lp.cost.copy()
    s = lp.variables["stock"].index[W - 1]
    cost[s[s >= 0]] -= value
    x = lp.variables["shipments"].index
    late = (np.arange(W)[:, None] + net.arc_lead[None, :] >= W) & (x >= 0)
    _, arc = np.nonzero(late)
    cost[x[late]] -= value * net.arc_yield[arc]  # only what will be accepted is worth holding
    return cost


def magnitude(net: Network, demand: Array) -> float:
    """The largest quantity the windows' rows and bounds hold (stock, demand, capacities,
    orders, flights): the scale of HiGHS's rounding errors."""
    pol = net.policies
    caps = np.concatenate([net.arc_cap, net.rec_cap.reshape(-1)])
    return max([1.0, float(net.stock0.sum()), float(demand.max(initial=0.0)),
                float(caps[np.isfinite(caps)].max(initial=0.0))] +
               [c.quantity for c in pol.claims] + [float(c.flights.max(initial=0.0)) for c in pol.claims])


def settings(net: Network, demand: Array) -> dict[str, Any]:
    """HiGHS settings for every window. The primal tolerance is 1e-10 as for the full horizon,
    but no finer than ~1e-15 of the data's magnitude: with millions of units in a row, 1e-10
    is below what double precision can resolve, and the simplex then fails with a bogus
    verdict (on the flagship: 'unbounded', with a 'ray' that lowers a shipment below 0)."""
    return {"primal_feasibility_tolerance": max(1e-10, 1e-15 * magnitude(net, demand)),
            "dual_feasibility_tolerance": 1e-10, "solver": "choose"}


def _load(tpl: Template, cost: Array, bounds: tuple[Array, Array, Array, Array],
          options: dict[str, Any]) -> Any:
    lp = tpl.lp
    h = _new_highs()
    for key, value in options.items():
        h.setOptionValue(key, value)
    h.passModel(int(lp.cost.size), int(lp.row_lower.size), int(lp.value.size),
                int(highspy.MatrixFormat.kColwise), int(highspy.ObjSense.kMinimize), 0.0,
                cost, bounds[0], bounds[1], bounds[2], bounds[3],
                lp.start[:-1], lp.index, lp.value, np.zeros(lp.cost.size, dtype=np.int32))
    return h


def _update(h: Any, tpl: Template, bounds: tuple[Array, Array, Array, Array]) -> None:
    n, m = tpl.columns, int(tpl.lp.row_lower.size)
    h.changeColsBounds(n, np.arange(n, dtype=np.int32), bounds[0], bounds[1])
    h.changeRowsBounds(m, np.arange(m, dtype=np.int32), bounds[2], bounds[3])


def _solve(h: Any, tpl: Template, bounds: tuple[Array, Array, Array, Array], net: Network,
           t0: int, options: dict[str, Any], stats: Stats) -> Array:
    """Run HiGHS on the window (warm-started from the last window's basis). Every window has
    an optimum (a slack on every claim; doing nothing is feasible), so any other verdict is
    numerical: start again from scratch (no inherited basis), then with the fallback settings,
    and only then name the constraint family at fault."""
    M = highspy.HighsModelStatus
    h.run()
    status = h.getModelStatus()
    if status not in (M.kOptimal, M.kModelEmpty):
        for fallback in RETRIES:
            stats.retries += 1
            h.clearSolver()
            for key, value in {**options, **fallback}.items():
                h.setOptionValue(key, value)
            h.run()
            status = h.getModelStatus()
            if status in (M.kOptimal, M.kModelEmpty):
                break
        for key, value in options.items():  # the next window starts from the usual settings
            h.setOptionValue(key, value)
    if status == M.kModelEmpty:
        return np.zeros(tpl.columns)
    if status != M.kOptimal:
        lp = replace(tpl.lp, col_lower=bounds[0], col_upper=bounds[1], row_lower=bounds[2],
                     row_upper=bounds[3],
                     constraints={k: replace(c, day=c.day + t0) for k, c in tpl.lp.constraints.items()})
        raise OptimalError(diagnose(lp, net, h.modelStatusToString(status)) +
                           f" (in the rolling window from day {t0})")
    return np.asarray(h.getSolution().col_value, dtype=float)


def rolling(net: Network, window: int, commit: int, reuse: bool = True,
            stats: Stats | None = None) -> Trace:
    """Windows of `window` days, keeping `commit` days of each (the last window keeps all).

    `reuse=False` builds and loads a fresh model for every window instead of updating one
    (the same LPs, for the benchmark that times both)."""
    T, (N, C) = net.days, net.shape
    A, R, P = net.arc_src.size, net.rec_node.size, N * C
    W, K = min(window, T), min(commit, T)
    stats = Stats() if stats is None else stats
    demand, conserving = lp_demand(net)
    options = settings(net, demand)
    began = time.perf_counter()
    tpl = template(net, demand, W)
    stats.build_seconds += time.perf_counter() - began
    orders = tpl.orders
    x, made, unmet = np.zeros((T, A)), np.zeros((T, R)), np.zeros((T, P))
    z = np.zeros((T, net.sub_ratio.size))
    y = np.zeros((T, len(orders)))
    arrivals = np.zeros((T + net.max_lead + 1, P))
    arrivals[:net.transit0.shape[0]] += net.transit0  # the lanes' in_transit
    arrivals[:T] += net.policies.deliveries  # and deliveries from outside the network
    state = State(net.stock0.reshape(-1).astype(float).copy(), arrivals,
                  np.array([due_within(net, net.policies.claims[k]) for k in orders], dtype=float),
                  np.zeros(P), np.zeros(net.policies.licence_total.size))
    h: Any = None
    loaded = tpl.lp.cost  # the costs the loaded model has
    t0 = 0
    while t0 < T:
        began = time.perf_counter()
        if not reuse and h is not None:
            tpl = template(net, demand, W)
        last = t0 + W >= T  # the last window keeps every day it has left: no terminal value
        cost = tpl.lp.cost if last else terminal_cost(net, tpl)
        bounds = window_bounds(net, tpl, demand, state, t0)
        if h is None or not reuse:
            h = _load(tpl, cost, bounds, options)
        else:
            _update(h, tpl, bounds)
            changed = np.flatnonzero(cost != loaded).astype(np.int32)
            if changed.size:
                h.changeColsCost(int(changed.size), changed, cost[changed])
        loaded = cost
        for row, col, value in zip(*licence_coefficients(net, tpl, t0), strict=True):
            h.changeCoeff(int(row), int(col), float(value))
        stats.build_seconds += time.perf_counter() - began
        began = time.perf_counter()
        sol = _solve(h, tpl, bounds, net, t0, options, stats)
        stats.solve_seconds += time.perf_counter() - began
        stats.windows += 1
        stats.iterations += int(h.getInfo().simplex_iteration_count)
        keep = T - t0 if last else K
        days = slice(t0, t0 + keep)
        sol = np.clip(sol, bounds[0], bounds[1])
        for out, name in ((x, "shipments"), (made, "production"), (unmet, "unmet"),
                          (y, "order_flows"), (z, "substitutes")):
            v = tpl.lp.variables[name]
            mask = v.index[:keep] >= 0
            out[days][mask] = sol[v.index[:keep][mask]]
        _advance(net, state, x, made, unmet, y, z, demand, t0, keep)
        t0 += keep
    return trace_from(net, x, made, unmet, y, demand, conserving, z)


def _advance(net: Network, state: State, x: Array, made: Array, unmet: Array, y: Array,
             z: Array, demand: Array, t0: int, keep: int) -> None:
    """Carry the committed days' effect: stock on hand after them (re-derived from the flows,
    so the mass balance holds exactly), their shipments' arrivals, orders' remainders."""
    days = slice(t0, t0 + keep)
    served, backlog = served_and_owed(net, demand[days], unmet[days], state.owed)
    if keep:
        state.owed = backlog[-1]
    covered = z[days]
    landing, change = pair_flows(net, x[days], made[days],
                                 served + substitution(net, covered, covered * net.sub_ratio))
    state.arrivals[t0:t0 + landing.shape[0]] += landing
    state.stock = state.stock + (state.arrivals[days] + change).sum(axis=0)
    # tolerance-sized negatives (HiGHS's 1e-10) would make the next window's stock rows
    # infeasible by that much; the trace keeps the exact values
    np.maximum(state.stock, 0.0, out=state.stock)
    state.remaining = np.maximum(state.remaining - y[t0:t0 + keep].sum(axis=0), 0.0)
    if state.licence_used.size:
        state.licence_used = state.licence_used + np.einsum(
            "wla,wa->l", _counted(net, t0, keep), x[days])


def supply_path(net: Network) -> int:
    """The longest supply path in days of lead time: over every chain of lanes (and airlifts)
    from where a commodity is made to a site that needs it, the longest total lead time; a
    rolling window needs at least this much look-ahead (W - K) to value every shipment it
    could make (docs/engine.md). Lanes in a cycle count at most N times each way round."""
    N, C = net.shape
    days = np.full(N * C, -np.inf)
    days[net.rec_node * C + net.rec_com] = 0.0
    src, dst, lead = net.arc_src_pair, net.arc_dst_pair, net.arc_lead.astype(float)
    for _ in range(N):  # Bellman-Ford for the longest path: N rounds reach every simple path
        before = days.copy()
        np.maximum.at(days, dst, days[src] + lead)
        if np.array_equal(before, days):
            break
    needed = (net.demand.sum(axis=0).reshape(-1) > 0) & np.isfinite(days)
    return int(days[needed].max()) if needed.any() else 0
