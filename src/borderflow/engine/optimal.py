"""The optimal allocator: one LP over the whole horizon, on HiGHS.

Same physics and policies as the priority allocator (DESIGN.md, engine semantics), but every
day's shipments and production are chosen together to minimise the priority-weighted unmet
demand. Build -> solve -> assign are separate verbs:

- `build(net)` calls the `define_*` builders, each returning its block (variables over a
  [T, X] grid with -1 where no variable exists, or constraints as COO triplets), and assembles
  them into one sparse column-wise matrix (numpy only, no Python loop over arcs or days);
- `solve(lp)` hands the arrays straight to HiGHS (`passModel`) and reads the solution back;
- `assign(net, lp, solution)` fills a Trace with every field the priority engine fills.

Variables: shipments x[t, a] (none where a block closes the arc), production m[t, r], end-of-day
stock s[t, p], unmet demand u[t, p] at sites, each rated order's share y[t, k] of its lane's
flow, what each substitute rule covers z[t, q] (of its `for` demand, within what is served), and
slacks for rated orders (shortfall at the due day) and airlifts (flights the origin
could not fill). In-transit is derived from shipments and lead times.

Conservation fires on the days the priority run conserved: those days' demand multipliers are
fixed, so the LP stays linear (retaliation is static already, in PolicyArrays).
"""

from __future__ import annotations

import logging
import time
import weakref
from dataclasses import dataclass, field
from typing import Any

import highspy
import numpy as np

from ..policy import Claim
from .errors import OptimalError
from .flows import by_pair, pair_flows, substitution
from .invariants import violations
from .limits import alone, lane_limits
from .network import Network
from .records import Trace
from .simulator import Simulator, care_capacity

LOG = logging.getLogger(__name__)

Array = np.ndarray[Any, np.dtype[np.float64]]
IntArray = np.ndarray[Any, np.dtype[np.intp]]
BoolArray = np.ndarray[Any, np.dtype[np.bool_]]

EPS = 1e-6  # cost of shipping any unit, against a unit of unmet demand: ships nothing in vain
INF = np.inf


@dataclass(frozen=True)
class Variables:
    """A block of columns laid out on a grid (e.g. [T, A]); index is -1 where none exists."""

    name: str
    index: IntArray  # grid of global column numbers
    lower: Array  # per column, in column order
    upper: Array
    cost: Array

    @property
    def size(self) -> int:
        return int(self.lower.size)


@dataclass(frozen=True)
class Constraints:
    """A block of rows as COO triplets (local row numbers), with row bounds and, for messages,
    each row's day and the item (pair, group, claim) it is about."""

    name: str
    row: IntArray
    col: IntArray
    val: Array
    lower: Array
    upper: Array
    day: IntArray
    item: IntArray
    describe: str = ""  # what an item is: "pair", "group", "claim"

    @property
    def size(self) -> int:
        return int(self.lower.size)


@dataclass(frozen=True)
class LP:
    """The assembled model: columns, rows, a column-wise sparse matrix, and the blocks."""

    variables: dict[str, Variables]
    constraints: dict[str, Constraints]
    cost: Array
    col_lower: Array
    col_upper: Array
    row_lower: Array
    row_upper: Array
    start: np.ndarray[Any, np.dtype[np.int32]]
    index: np.ndarray[Any, np.dtype[np.int32]]
    value: Array
    demand: Array  # [T, N*C] demand the LP serves (conservation multipliers fixed)
    conserving: BoolArray  # [T, N*C]
    build_seconds: float = 0.0

    @property
    def shape(self) -> tuple[int, int, int]:
        return int(self.row_lower.size), int(self.cost.size), int(self.value.size)


@dataclass(frozen=True)
class Ranging:
    """HiGHS's ranging of every column's and row's bounds: the bound value up (down) to which
    the basis, and so the dual, holds, and the objective there."""

    col_up: Array
    col_up_objective: Array
    col_down: Array
    col_down_objective: Array
    row_up: Array
    row_up_objective: Array
    row_down: Array
    row_down_objective: Array


@dataclass(frozen=True)
class Solution:
    objective: float
    col_value: Array
    solve_seconds: float
    status: str = "optimal"
    details: dict[str, float] = field(default_factory=dict)
    col_dual: Array | None = None  # with duals=True: reduced costs
    row_dual: Array | None = None
    ranging: Ranging | None = None  # None where HiGHS reports none (no basis)
    method: str = ""  # how HiGHS solved it (Method.name)
    gap: float | None = None  # of a method that stops at a gap: HiGHS's relative P-D gap


def _grid(mask: BoolArray, start: int) -> IntArray:
    """Column numbers start, start+1, ... on the True cells of mask (row-major), -1 elsewhere."""
    index = np.full(mask.shape, -1, dtype=np.intp)
    index[mask] = start + np.arange(int(mask.sum()))
    return index


def _variables(name: str, mask: BoolArray, start: int, upper: Array, cost: Array) -> Variables:
    upper = np.broadcast_to(upper, mask.shape)[mask]
    return Variables(name, _grid(mask, start), np.zeros(upper.size), upper.astype(float),
                     np.broadcast_to(cost, mask.shape)[mask].astype(float))


def penalties(net: Network) -> tuple[float, float]:
    """Penalties per unit of rated-order and airlift shortfall: above anything a unit can be
    worth elsewhere (its priority, times what it can make through recipes)."""
    weight = float(net.priority.max(initial=1.0))
    ratios = net.rec_inputs[net.rec_inputs > 0]
    # capped: beyond this the penalties swamp the objective and the simplex loses precision
    gain = min(1e3, max(1.0, 1.0 / float(ratios.min())) ** min(len(net.rec_node), 3)) \
        if ratios.size else 1.0
    airlift = 100.0 * weight * gain
    return 10.0 * airlift, airlift


def flights_grid(net: Network) -> Array:
    """[T, A]: airlift units leaving on each day (0 on lane arcs)."""
    out = np.zeros((net.days, net.arc_src.size))
    arcs, units = net.flights
    out[:, arcs] += units
    return out


# --- variables ------------------------------------------------------------------------------

def define_shipments(net: Network, start: int, keep_blocked: bool = False,
                     useful: BoolArray | None = None) -> Variables:
    """x[t, a]: units sent on arc a on day t, up to what may flow on it (engine/limits.py); no
    variable where nothing may, unless `keep_blocked`: then a lane's arc-day a policy blocks
    (and could otherwise carry something) keeps its variable with an upper bound of 0, so its
    reduced cost is the value of a one-unit exemption. `useful` ([T, A], see `useful_shipments`):
    only those arc-days get a variable."""
    limits = lane_limits(net)
    upper = limits.arc
    mask = upper > 0
    if keep_blocked:
        mask = mask | (limits.blocked & ((net.arc_cap > 0) & (net.arc_lane >= 0))[None, :])
    if useful is not None:
        mask = mask & useful
    return _variables("shipments", mask, start, upper, net.arc_cost + EPS)


def last_use(net: Network, demand: Array) -> IntArray:
    """[N*C] per pair: the last day a unit that lands there can still be worth something (-1:
    never). A site's last day of demand; the horizon's last day where a unit may serve more
    than deliveries downstream (a backlog, a recipe input, a substitute, a holding cost, a
    rated order or airlift leaving); else the latest day it can leave on an arc and land in
    time at a pair where it is still of use."""
    T, C = net.days, net.shape[1]
    held = np.repeat(net.inventory.holding_cost, C) > 0
    anchored = owes(net) | held
    ri, ci = np.nonzero(net.rec_inputs > 0)
    anchored[net.rec_node[ri] * C + ci] = True
    anchored[net.sub_use_pair] = True
    anchored[net.sub_for_pair] = True
    anchored[net.arc_src_pair[[c.arc for c in net.policies.claims]]] = True
    days = np.arange(T)[:, None]
    last = np.where(demand > 0, days, -1).max(axis=0, initial=-1)
    last = np.where(anchored, T - 1, last)
    while True:  # a fixed point: each pass lets the last days climb one arc upstream
        reach = last[net.arc_dst_pair] - net.arc_lead
        new = last.copy()
        np.maximum.at(new, net.arc_src_pair, np.maximum(reach, -1))
        if (new == last).all():
            return last
        last = new


def useful_shipments(net: Network, demand: Array) -> BoolArray:
    """[T, A]: the arc-days whose shipment can be of use: those that land by their destination's
    `last_use` day, and any leaving a pair with a holding cost or carrying a rated order or
    airlift. Dropping the others keeps the optimum: they cost at least EPS a unit, and setting
    them to 0 in any solution only leaves more stock at sources that hold it for free, and less
    at destinations from the day the units would have landed, on which nothing draws on it
    (every outflow then is itself a dropped shipment)."""
    C = net.shape[1]
    last = last_use(net, demand)
    useful = (np.arange(net.days)[:, None] + net.arc_lead[None, :]) <= last[net.arc_dst_pair][None, :]
    keep = np.repeat(net.inventory.holding_cost, C)[net.arc_src_pair] > 0
    keep[[c.arc for c in net.policies.claims]] = True
    out: BoolArray = useful | keep[None, :]
    return out


def define_production(net: Network, start: int) -> Variables:
    """m[t, r]: units made by recipe r on day t, up to capacity."""
    return _variables("production", net.rec_cap > 0, start, net.rec_cap, np.zeros(1))


def relevant_pairs(net: Network, demand: Array, arcs: BoolArray | None = None) -> BoolArray:
    """[N*C]: pairs that can ever hold stock (others are always empty and get no rows). With
    `arcs` ([A], the arcs that have a shipment variable): only the pairs some variable touches
    or whose stock costs something to hold (the rows of the others would hold their own free
    stock alone)."""
    C = net.shape[1]
    out: BoolArray = demand.max(axis=0, initial=0.0) > 0
    given = (net.stock0.reshape(-1) > 0) | net.policies.deliveries.any(axis=0) | \
        net.transit0.any(axis=0)
    if arcs is None:
        out |= given
        arcs = np.ones(net.arc_src.size, dtype=bool)
    else:
        out |= given & (np.repeat(net.inventory.holding_cost, C) > 0)
    out[net.arc_src_pair[arcs]] = True
    out[net.arc_dst_pair[arcs]] = True
    out[net.rec_node * C + net.rec_com] = True
    ri, ci = np.nonzero(net.rec_inputs > 0)
    out[net.rec_node[ri] * C + ci] = True
    out[net.sub_use_pair] = True  # a substitute's stock is used at the site
    return out


def define_stock(net: Network, start: int, pairs: BoolArray) -> Variables:
    """s[t, p]: end-of-day stock of each pair that can hold any, at its node's holding cost."""
    mask = np.broadcast_to(pairs, (net.days, pairs.size))
    cost = np.repeat(net.inventory.holding_cost, net.shape[1])[None, :]
    return _variables("stock", mask, start, np.full(1, INF), cost)


def owes(net: Network) -> BoolArray:
    """[N*C] pairs of sites whose unmet demand is owed (unmet: backlog)."""
    return np.repeat(net.inventory.backlog, net.shape[1])


def define_unmet(net: Network, start: int, demand: Array) -> Variables:
    """u[t, p]: at a site that loses unmet demand, what it did not serve on day t; at one that
    owes it, its backlog at the end of day t (cost per unit and day). At the site's shortage
    cost (else priority)."""
    C = net.shape[1]
    weight = np.repeat(net.priority, C)[None, :]
    owed = np.cumsum(demand, axis=0)  # never more than all demand so far
    keeps = owes(net)[None, :]
    return _variables("unmet", np.where(keeps, owed > 0, demand > 0), start,
                      np.where(keeps, owed, demand), weight)


def define_substitutes(net: Network, start: int, demand: Array) -> Variables:
    """z[t, q]: units of its `for` demand rule q covers on day t (using ratio x z of its
    `use`), up to the demand it could serve that day; a tie-break cost of EPS a unit, so the
    optimum substitutes nothing in vain."""
    fp = net.sub_for_pair
    owed = np.cumsum(demand, axis=0)[:, fp]  # all demand so far: what a backlog could hold
    d = demand[:, fp]
    keeps = owes(net)[fp][None, :]
    upper = np.where(keeps, owed, d)
    return _variables("substitutes", upper > 0, start, upper, np.full(1, EPS))


def _window(net: Network) -> tuple[list[int], BoolArray]:
    """Rated orders (claim numbers) and [T, K] the days a shipment counts towards each:
    while the order is in force and early enough to arrive by its due day."""
    pol = net.policies
    ks = [k for k, c in enumerate(pol.claims) if c.is_order]
    t = np.arange(net.days)[:, None]
    window = np.zeros((net.days, len(ks)), dtype=bool)
    for j, k in enumerate(ks):  # a handful of orders
        c = pol.claims[k]
        window[:, j] = c.active & (t[:, 0] <= c.due - int(net.arc_lead[c.arc]))
    return ks, window


def due_within(net: Network, c: Claim, days: int | None = None) -> float:
    """What a rated order must deliver within the horizon (of `days`, default the network's):
    all of it, unless it is due after the horizon on an even schedule, when the share of its
    ship days (start to due - lead) that fall within the horizon (none when it starts after
    the horizon)."""
    days = net.days if days is None else days
    last = c.due - int(net.arc_lead[c.arc])
    if c.schedule != "even" or last < days:
        return c.quantity
    if not c.active[:days].any():  # it starts after the horizon
        return 0.0
    first = int(np.argmax(c.active))
    return c.quantity * max(0, days - first) / max(1, last + 1 - first)


def define_order_flows(net: Network, start: int, x: Variables) -> Variables:
    """y[t, k]: the part of a rated order's lane flow delivered towards the order."""
    ks, window = _window(net)
    arcs = np.array([net.policies.claims[k].arc for k in ks], dtype=np.intp)
    mask = window & (x.index[:, arcs] >= 0) if ks else window
    return _variables("order_flows", mask, start, np.full(1, INF), np.zeros(1))


def define_order_slack(net: Network, start: int, penalty: float) -> Variables:
    """One shortfall per rated order: units not delivered by its due day."""
    ks, _ = _window(net)
    return _variables("order_shortfall", np.ones(len(ks), dtype=bool), start, np.full(1, INF),
                      np.full(1, penalty))


def define_airlift_slack(net: Network, start: int, x: Variables, penalty: float) -> Variables:
    """[T, A] flights units the origin did not send (on days the flight may leave)."""
    flights = flights_grid(net)
    mask = (flights > 0) & (x.index >= 0)
    return _variables("airlift_shortfall", mask, start, flights, np.full(1, penalty))


# --- constraints ----------------------------------------------------------------------------

def _rows(mask: BoolArray) -> IntArray:
    return _grid(mask, 0)


def define_balance(net: Network, x: Variables, m: Variables, s: Variables, u: Variables,
                   z: Variables, demand: Array, pairs: BoolArray) -> Constraints:
    """Per day and pair: stock = yesterday's + arrivals + made - inputs used - served - shipped,
    where what substitutes cover is served from their `use`'s stock (ratio a unit), not here.

    As equality rows: s[t] - s[t-1] - arrivals - made + inputs - u - z(for) + ratio z(use) +
    shipped = stock0 (t=0) - d.
    """
    T, C = net.days, net.shape[1]
    P = pairs.size
    rowmap = _rows(np.broadcast_to(pairs, (T, P)))
    parts: list[tuple[IntArray, IntArray, Array]] = []

    def add(rows: IntArray, cols: IntArray, vals: Array | float) -> None:
        parts.append((rows, cols, np.broadcast_to(np.asarray(vals, dtype=float), rows.shape)))

    ts, ps = np.nonzero(s.index >= 0)
    add(rowmap[ts, ps], s.index[ts, ps], 1.0)
    later = ts < T - 1
    add(rowmap[ts[later] + 1, ps[later]], s.index[ts[later], ps[later]], -1.0)
    ta, aa = np.nonzero(x.index >= 0)
    add(rowmap[ta, net.arc_src_pair[aa]], x.index[ta, aa], 1.0)
    arrive = ta + net.arc_lead[aa]
    inside = arrive < T
    add(rowmap[arrive[inside], net.arc_dst_pair[aa[inside]]], x.index[ta[inside], aa[inside]],
        -net.arc_yield[aa[inside]])
    tr, rr = np.nonzero(m.index >= 0)
    add(rowmap[tr, net.rec_node[rr] * C + net.rec_com[rr]], m.index[tr, rr], -1.0)
    ri, ci = np.nonzero(net.rec_inputs > 0)  # (recipe, input) entries
    tt = np.repeat(np.arange(T), ri.size)
    rr2, cc2 = np.tile(ri, T), np.tile(ci, T)
    has = m.index[tt, rr2] >= 0
    add(rowmap[tt[has], net.rec_node[rr2[has]] * C + cc2[has]], m.index[tt[has], rr2[has]],
        net.rec_inputs[rr2[has], cc2[has]])
    tu, pu = np.nonzero(u.index >= 0)
    add(rowmap[tu, pu], u.index[tu, pu], -1.0)
    carried = owes(net)[pu] & (tu < T - 1)  # a backlog is owed the next day: served = d + b' - b
    add(rowmap[tu[carried] + 1, pu[carried]], u.index[tu[carried], pu[carried]], 1.0)
    tz, qz = np.nonzero(z.index >= 0)
    add(rowmap[tz, net.sub_for_pair[qz]], z.index[tz, qz], -1.0)
    add(rowmap[tz, net.sub_use_pair[qz]], z.index[tz, qz], net.sub_ratio[qz])

    rhs = -demand.copy()
    rhs[0] += net.stock0.reshape(-1)
    rhs[:net.transit0.shape[0]] += net.transit0[:T]  # the lanes' in_transit lands
    rhs += net.policies.deliveries  # and deliveries from outside the network
    rhs = rhs[:, pairs].reshape(-1)
    day, item = np.nonzero(np.broadcast_to(pairs, (T, P)))
    return _constraints("stock balance", parts, rhs, rhs, day, item, "pair")


def define_inputs(net: Network, x: Variables, m: Variables, s: Variables) -> Constraints:
    """Per day and input pair: inputs used <= yesterday's stock + today's arrivals (what a
    plant makes today cannot feed its other recipes until tomorrow)."""
    T, C = net.days, net.shape[1]
    ri, ci = np.nonzero(net.rec_inputs > 0)
    inputs = np.unique(net.rec_node[ri] * C + ci)
    P = net.shape[0] * C
    is_input = np.zeros(P, dtype=bool)
    is_input[inputs] = True
    rowmap = _rows(np.broadcast_to(is_input, (T, P)))
    parts: list[tuple[IntArray, IntArray, Array]] = []
    if inputs.size:
        tt = np.repeat(np.arange(T), ri.size)
        rr, cc = np.tile(ri, T), np.tile(ci, T)
        has = m.index[tt, rr] >= 0
        parts.append((rowmap[tt[has], net.rec_node[rr[has]] * C + cc[has]], m.index[tt[has], rr[has]],
                      net.rec_inputs[rr[has], cc[has]]))
        ts, ps = np.nonzero((s.index[:-1] >= 0) & is_input[None, :])
        parts.append((rowmap[ts + 1, ps], s.index[ts, ps], np.full(ts.size, -1.0)))
        ta, aa = np.nonzero(x.index >= 0)
        arrive = ta + net.arc_lead[aa]
        ok = (arrive < T) & is_input[net.arc_dst_pair[aa]]
        parts.append((rowmap[arrive[ok], net.arc_dst_pair[aa[ok]]], x.index[ta[ok], aa[ok]],
                      -net.arc_yield[aa[ok]]))
    first = np.zeros((T, P))
    first[0] = net.stock0.reshape(-1)
    first[:net.transit0.shape[0]] += net.transit0[:T]
    first += net.policies.deliveries
    upper = first[:, is_input].reshape(-1)
    day, item = np.nonzero(np.broadcast_to(is_input, (T, P)))
    return _constraints("input availability", parts, np.full(upper.size, -INF), upper, day, item,
                        "pair")


def define_owed(net: Network, u: Variables, demand: Array) -> Constraints:
    """Per day and site that owes unmet demand: what it serves is at least 0, so its backlog
    grows by at most the day's demand (b[t] - b[t-1] <= d[t])."""
    T = net.days
    mask = (u.index >= 0) & owes(net)[None, :]
    rowmap = _rows(mask)
    tu, pu = np.nonzero(mask)
    parts = [(rowmap[tu, pu], u.index[tu, pu], np.ones(tu.size))]
    later = tu < T - 1
    parts.append((rowmap[tu[later] + 1, pu[later]], u.index[tu[later], pu[later]],
                  np.full(int(later.sum()), -1.0)))
    return _constraints("backlog", parts, np.full(tu.size, -INF), demand[tu, pu], tu, pu, "pair")


def define_cover(net: Network, u: Variables, z: Variables, demand: Array) -> Constraints:
    """Per day and site pair some substitute stands in for: what the rules cover is within
    what is served (sum z + u[t] <= d[t]; at a site that owes, sum z + b[t] - b[t-1] <= d[t])."""
    T, P = demand.shape
    has = np.zeros((T, P), dtype=bool)
    tz, qz = np.nonzero(z.index >= 0)
    fz = net.sub_for_pair[qz]
    has[tz, fz] = True
    rowmap = _rows(has)
    parts = [(rowmap[tz, fz], z.index[tz, qz], np.ones(tz.size))]
    tu, pu = np.nonzero((u.index >= 0) & has)
    parts.append((rowmap[tu, pu], u.index[tu, pu], np.ones(tu.size)))
    later = owes(net)[pu] & (tu < T - 1) & has[np.minimum(tu + 1, T - 1), pu]
    parts.append((rowmap[tu[later] + 1, pu[later]], u.index[tu[later], pu[later]],
                  np.full(int(later.sum()), -1.0)))
    day, item = np.nonzero(has)
    return _constraints("substitute cover", parts, np.full(day.size, -INF), demand[day, item],
                        day, item, "pair")


def define_quotas(net: Network, x: Variables) -> Constraints:
    """Per day and quota group in force: the group's flows add up to at most its quota."""
    pol = net.policies
    quota = pol.group_quota  # [T, G]
    mask = np.isfinite(quota)
    rowmap = _rows(mask)
    parts: list[tuple[IntArray, IntArray, Array]] = []
    if pol.member_arc.size:
        cols = x.index[:, pol.member_arc]  # [T, M]
        rows = rowmap[:, pol.member_group]
        ok = (cols >= 0) & (rows >= 0)
        parts.append((rows[ok], cols[ok], np.ones(int(ok.sum()))))
    day, item = np.nonzero(mask)
    q = quota[mask]
    return _constraints("quota", parts, np.full(q.size, -INF), q, day, item, "group")


def define_licences(net: Network, x: Variables) -> Constraints:
    """Per licence: the flows of its groups on the days they count add up to its total."""
    pol = net.policies
    L = pol.licence_total.size
    parts: list[tuple[IntArray, IntArray, Array]] = []
    day, item = np.zeros(L, dtype=np.intp), np.zeros(L, dtype=np.intp)
    if L:
        cols = x.index[:, pol.member_arc]  # [T, M]
        counts = pol.group_counts[:, pol.member_group]  # [T, M]
        lic = np.broadcast_to(pol.group_licence[pol.member_group], cols.shape)
        ok = counts & (cols >= 0)
        # one entry per (licence, column): an arc in two groups of a licence counts once
        pair = np.unique(np.stack([lic[ok], cols[ok]]), axis=1)
        parts.append((pair[0], pair[1], np.ones(pair.shape[1])))
        for k in range(L):  # for messages: the first day and group that count toward it
            on = pol.group_counts & (pol.group_licence == k)[None, :]
            t, g = np.unravel_index(int(np.argmax(on)), on.shape)
            day[k], item[k] = t, g
    return _constraints("licence", parts, np.full(L, -INF), pol.licence_total, day, item,
                        "group")


def define_order_link(net: Network, x: Variables, y: Variables) -> Constraints:
    """Per day and rated-order lane: the orders' shares add up to at most the lane's flow."""
    ks, _ = _window(net)
    arcs = np.array([net.policies.claims[k].arc for k in ks], dtype=np.intp)
    lanes, which = np.unique(arcs, return_inverse=True)
    T = net.days
    has = (x.index[:, lanes] >= 0) if ks else np.zeros((T, 0), dtype=bool)
    rowmap = _rows(has)
    parts: list[tuple[IntArray, IntArray, Array]] = []
    if ks:
        ty, ky = np.nonzero(y.index >= 0)
        parts.append((rowmap[ty, which[ky]], y.index[ty, ky], np.ones(ty.size)))
        tl, jl = np.nonzero(has)
        parts.append((rowmap[tl, jl], x.index[tl, lanes[jl]], np.full(tl.size, -1.0)))
    day, item = np.nonzero(has)
    return _constraints("rated-order lane share", parts, np.full(day.size, -INF),
                        np.zeros(day.size), day, lanes[item] if ks else item, "arc")


def define_order_totals(net: Network, y: Variables, slack: Variables) -> Constraints:
    """Per rated order: delivered by its due day + shortfall = quantity (of an order due after
    the horizon, the share its ship days in the horizon carry at an even pace)."""
    ks, _ = _window(net)
    ty, ky = np.nonzero(y.index >= 0)
    parts = [(ky.astype(np.intp), y.index[ty, ky], np.ones(ty.size)),
             (np.arange(len(ks), dtype=np.intp), slack.index, np.ones(len(ks)))]
    q = np.array([due_within(net, net.policies.claims[k]) for k in ks], dtype=float)
    due = np.array([net.policies.claims[k].due for k in ks], dtype=np.intp)
    return _constraints("rated-order delivery", parts, q, q, due, np.array(ks, dtype=np.intp), "claim")


def define_airlifts(net: Network, x: Variables, slack: Variables) -> Constraints:
    """Per flight day: airlifted + shortfall = units on the flights."""
    mask = slack.index >= 0
    rows = _rows(mask)
    t, a = np.nonzero(mask)
    parts = [(rows[t, a], x.index[t, a], np.ones(t.size)),
             (rows[t, a], slack.index[t, a], np.ones(t.size))]
    f = flights_grid(net)[mask]
    return _constraints("airlift", parts, f, f, t, a, "arc")


def _constraints(name: str, parts: list[tuple[IntArray, IntArray, Array]], lower: Array,
                 upper: Array, day: IntArray, item: IntArray, describe: str) -> Constraints:
    def cat(i: int, dtype: Any) -> Any:
        return np.concatenate([p[i] for p in parts]).astype(dtype) if parts else \
            np.zeros(0, dtype=dtype)

    return Constraints(name, cat(0, np.intp), cat(1, np.intp), cat(2, float),
                       np.asarray(lower, dtype=float), np.asarray(upper, dtype=float),
                       np.asarray(day, dtype=np.intp), np.asarray(item, dtype=np.intp), describe)


# --- build, solve, assign -------------------------------------------------------------------

def lp_demand(net: Network) -> tuple[Array, BoolArray]:
    """[T, N*C] demand with conservation fixed to the priority run's days, and those days."""
    pol = net.policies
    if pol.conserve_below is None:
        return net.demand.reshape(net.days, -1).copy(), np.zeros((net.days, net.demand[0].size),
                                                                  dtype=bool)
    if net not in _CONSERVED:
        _CONSERVED[net] = _conserved(net)
    demand, conserving = _CONSERVED[net]
    return demand.copy(), conserving.copy()


# a network's priority run, which fixes the LP's conservation days, is the same however often
# it is asked: a stress test asks it of each target's network for each horizon it tries, and
# again when that network's LP is built afresh (a network is immutable, keyed by identity)
_CONSERVED: weakref.WeakKeyDictionary[Network, tuple[Array, BoolArray]] = \
    weakref.WeakKeyDictionary()


def conservation_from(net: Network, whole: Network) -> None:
    """Let `lp_demand(net)` take `net`'s conservation days from the first `net.days` days of
    `whole`'s priority run instead of running `net`: for `net` compiled from `whole`'s scenario
    cut short (a stress test's horizons). A day of the priority run depends only on the days
    before it, so the two runs agree on those days (tests/test_properties.py checks it over
    random scenarios with every policy and inventory rule)."""
    if net.policies.conserve_below is None or net in _CONSERVED:
        return
    T = net.days
    if whole.days < T or not np.array_equal(net.demand, whole.demand[:T]):
        raise ValueError(f"{net.name}: not the first days of {whole.name}")
    demand, conserving = lp_demand(whole)
    _CONSERVED[net] = demand[:T], conserving[:T]


def _conserved(net: Network) -> tuple[Array, BoolArray]:
    sim = Simulator(net, reasons=False)  # (the days' shortfall reasons are not needed)
    demand = np.empty((net.days, net.demand[0].size))
    conserving = np.empty((net.days, net.demand[0].size), dtype=bool)
    while not sim.done:
        t = sim.day
        day = sim.step()
        demand[t], conserving[t] = day.demand[0].reshape(-1), day.conserving[0].reshape(-1)
    return demand, conserving


def build(net: Network, keep_blocked: bool = False, tight: bool = False) -> LP:
    """Every define_* block, assembled into one column-wise sparse LP (`keep_blocked`: see
    `define_shipments`; `tight`: see `assemble`)."""
    began = time.perf_counter()
    return assemble(net, *lp_demand(net), began=began, keep_blocked=keep_blocked, tight=tight)


def assemble(net: Network, demand: Array, conserving: BoolArray, began: float | None = None,
             keep_blocked: bool = False, tight: bool = False) -> LP:
    """The LP of `net` serving `demand` ([T, N*C], conservation already fixed). `tight`: without
    the shipments that cannot be of use (`useful_shipments`) and the rows of pairs left with
    nothing but their own stock: the same optimum from a smaller LP. Not for an LP whose
    bounds are changed afterwards (warm starts, rolling windows), since a changed demand could
    make a dropped shipment useful."""
    began = time.perf_counter() if began is None else began
    useful = useful_shipments(net, demand) if tight else None
    shipments = define_shipments(net, 0, keep_blocked, useful)
    shipped = np.asarray((shipments.index >= 0).any(axis=0), dtype=bool)
    pairs = relevant_pairs(net, demand, shipped if tight else None)
    rated, airlift = penalties(net)
    blocks: dict[str, Variables] = {}

    def add(v: Variables) -> Variables:
        blocks[v.name] = v
        return v

    def n() -> int:
        return sum(v.size for v in blocks.values())

    x = add(shipments)
    m = add(define_production(net, n()))
    s = add(define_stock(net, n(), pairs))
    u = add(define_unmet(net, n(), demand))
    y = add(define_order_flows(net, n(), x))
    ys = add(define_order_slack(net, n(), rated))
    ya = add(define_airlift_slack(net, n(), x, airlift))
    z = add(define_substitutes(net, n(), demand))
    cons = [define_balance(net, x, m, s, u, z, demand, pairs), define_inputs(net, x, m, s),
            define_owed(net, u, demand), define_cover(net, u, z, demand),
            define_quotas(net, x), define_licences(net, x), define_order_link(net, x, y),
            define_order_totals(net, y, ys),
            define_airlifts(net, x, ya)]
    offsets = np.cumsum([0] + [c.size for c in cons])
    rows = np.concatenate([c.row + off for c, off in zip(cons, offsets, strict=False)])
    cols = np.concatenate([c.col for c in cons])
    vals = np.concatenate([c.val for c in cons])
    start, index, value = _csc(rows, cols, vals, n())

    def cat(f: str) -> Array:
        return np.concatenate([getattr(v, f) for v in blocks.values()])

    return LP(blocks, {c.name: c for c in cons}, cat("cost"), cat("lower"), cat("upper"),
              np.concatenate([c.lower for c in cons]), np.concatenate([c.upper for c in cons]),
              start, index, value, demand, conserving, time.perf_counter() - began)


def _csc(rows: IntArray, cols: IntArray, vals: Array,
         n_cols: int) -> tuple[np.ndarray[Any, np.dtype[np.int32]], np.ndarray[Any, np.dtype[np.int32]],
                               Array]:
    """COO -> compressed sparse columns, adding up duplicate entries."""
    order = np.lexsort((rows, cols))
    rows, cols, vals = rows[order], cols[order], vals[order]
    if rows.size:
        first = np.ones(rows.size, dtype=bool)
        first[1:] = (rows[1:] != rows[:-1]) | (cols[1:] != cols[:-1])
        at = np.flatnonzero(first)
        vals = np.add.reduceat(vals, at)
        rows, cols = rows[at], cols[at]
    start = np.zeros(n_cols + 1, dtype=np.int32)
    np.cumsum(np.bincount(cols, minlength=n_cols), out=start[1:])
    return start, rows.astype(np.int32), vals.astype(float)


def _new_highs() -> Any:
    """A silent HiGHS. The core class, not `highspy.Highs`: the wrapper's callback set-up prints
    a banner on stdout at construction, which would corrupt `run --json`."""
    h = highspy._core._Highs()
    h.setOptionValue("output_flag", False)
    # The invariants allow 1e-9 of the throughput; HiGHS's default 1e-7 absolute tolerance
    # would let a tiny scenario ship 1e-7 units it does not have.
    h.setOptionValue("primal_feasibility_tolerance", 1e-10)
    h.setOptionValue("dual_feasibility_tolerance", 1e-10)
    return h


@dataclass(frozen=True)
class Method:
    """How HiGHS solves the LP: its settings, and the relative optimality gap it stops at
    (None: an optimal vertex, to the feasibility tolerances)."""

    name: str
    options: dict[str, Any]
    gap: float | None = None

    def describe(self) -> str:
        return self.name + ("" if self.gap is None else f" to a relative gap of {self.gap:g}")


SIMPLEX = Method("simplex", {})  # HiGHS's choice for an LP: its dual simplex
IPM_CROSSOVER = Method("interior point with crossover", {"solver": "ipm", "run_crossover": "on"})
IPM = Method("interior point without crossover",
             {"solver": "ipm", "run_crossover": "off", "ipm_optimality_tolerance": 1e-6}, 1e-6)
# PDLP measures feasibility relative to the right-hand side's norm: 1e-9 of it keeps the
# re-derived stock within the invariants' 1e-9 of the throughput on a large network; the dual
# side only bounds the gap, so it may be looser (tighter stalls on the 1e-6 tie-break costs)
PDLP = Method("PDLP", {"solver": "pdlp", "pdlp_optimality_tolerance": 1e-4,
                       "primal_feasibility_tolerance": 1e-9,
                       "dual_feasibility_tolerance": 1e-5}, 1e-4)
METHODS = {"simplex": SIMPLEX, "ipm-crossover": IPM_CROSSOVER, "ipm": IPM, "pdlp": PDLP}

IPM_ABOVE = 50_000  # columns: above this, interior point (with crossover) beats the simplex
PDLP_ABOVE = 300_000  # columns: above this, PDLP to a stated gap (crossover takes minutes)


def method_for(lp: LP) -> Method:
    """The method for an LP of this size (benchmarks/README.md, "The optimal allocator's LP")."""
    columns = lp.cost.size
    if columns > PDLP_ABOVE:
        return PDLP
    return IPM_CROSSOVER if columns > IPM_ABOVE else SIMPLEX


def _highs(lp: LP) -> Any:
    h = _new_highs()
    h.passModel(int(lp.cost.size), int(lp.row_lower.size), int(lp.value.size),
                int(highspy.MatrixFormat.kColwise), int(highspy.ObjSense.kMinimize), 0.0,
                lp.cost, lp.col_lower, lp.col_upper, lp.row_lower, lp.row_upper,
                lp.start[:-1], lp.index, lp.value, np.zeros(lp.cost.size, dtype=np.int32))
    return h


# HiGHS settings tried in turn when a solve ends in a numerical failure rather than a verdict:
# the tight tolerances the invariants want, then HiGHS's defaults, then interior point.
RETRIES: tuple[dict[str, Any], ...] = (
    {},
    {"primal_feasibility_tolerance": 1e-7, "dual_feasibility_tolerance": 1e-7},
    {"primal_feasibility_tolerance": 1e-7, "dual_feasibility_tolerance": 1e-7, "solver": "ipm"},
)


def _attempts(method: Method, duals: bool) -> list[tuple[Method, dict[str, Any]]]:
    """The settings tried in turn: a method that stops at a gap, then interior point without
    crossover; any other, with each of the RETRIES (with `duals`, on its own solver)."""
    if method.gap is not None:
        return [(method, method.options)] + ([] if method is IPM else [(IPM, IPM.options)])
    return [(method, {**{k: v for k, v in r.items() if not (duals and k == "solver")},
                      **method.options}) for r in RETRIES]


def solve(lp: LP, net: Network | None = None, duals: bool = False,
          method: Method | None = None) -> Solution:
    """Solve on HiGHS by `method` (default: `method_for` the LP's size); an LP without
    optimum raises OptimalError naming what is at fault. `duals`: also the reduced costs, row
    duals and ranging (from a vertex: ranging needs a basis, which a method that stops at a
    gap does not give, so those solve by the simplex or interior point with crossover)."""
    began = time.perf_counter()
    M = highspy.HighsModelStatus
    method = method_for(lp) if method is None else method
    if duals and method.gap is not None:
        method = IPM_CROSSOVER
    for attempt, options in _attempts(method, duals):
        used = attempt
        h = _highs(lp)
        if duals:
            h.setOptionValue("run_crossover", "on")
        for key, value in options.items():
            h.setOptionValue(key, value)
        h.run()
        status = h.getModelStatus()
        # with a slack on every claim the LP is always feasible and bounded: any other verdict
        # is numerical trouble, so the next settings get their chance too
        if status in (M.kOptimal, M.kModelEmpty):
            break
    seconds = time.perf_counter() - began
    if status == M.kModelEmpty:  # nothing to decide
        return Solution(0.0, np.zeros(lp.cost.size), seconds, method=used.name)
    if status != M.kOptimal:
        raise OptimalError(diagnose(lp, net, h.modelStatusToString(status)))
    sol = h.getSolution()
    values = np.asarray(sol.col_value, dtype=float)
    info = h.getInfo()
    objective = float(info.objective_function_value)
    gap = float(info.primal_dual_objective_error) if used.gap is not None else None
    if not duals:
        return Solution(objective, values, seconds, method=used.name, gap=gap)
    return Solution(objective, values, seconds, col_dual=np.asarray(sol.col_dual, dtype=float),
                    row_dual=np.asarray(sol.row_dual, dtype=float), ranging=_ranging(h),
                    method=used.name)


def _ranging(h: Any) -> Ranging | None:
    status, r = h.getRanging()
    if status != highspy.HighsStatus.kOk:
        return None

    def a(record: Any, part: str) -> Array:
        return np.asarray(getattr(record, part), dtype=float)

    return Ranging(a(r.col_bound_up, "value_"), a(r.col_bound_up, "objective_"),
                   a(r.col_bound_dn, "value_"), a(r.col_bound_dn, "objective_"),
                   a(r.row_bound_up, "value_"), a(r.row_bound_up, "objective_"),
                   a(r.row_bound_dn, "value_"), a(r.row_bound_dn, "objective_"))


def diagnose(lp: LP, net: Network | None, status: str) -> str:
    """Say which constraint family makes the LP infeasible: re-solve with an elastic variable
    on every row (minimising their sum) and name the families whose rows needed one."""
    if "nbounded" in status:
        return ("the optimal allocation's LP is unbounded: some shipment or stock could grow "
                "without limit at no cost (a bug in the model; please report it)")
    R, n = lp.row_lower.size, lp.cost.size
    eye = np.arange(R, dtype=np.int32)
    starts = np.concatenate([lp.start[:-1], lp.value.size + np.arange(2 * R + 1, dtype=np.int32)])
    index = np.concatenate([lp.index, eye, eye])
    value = np.concatenate([lp.value, np.ones(R), -np.ones(R)])
    h = _new_highs()
    h.passModel(n + 2 * R, R, int(value.size), int(highspy.MatrixFormat.kColwise),
                int(highspy.ObjSense.kMinimize), 0.0,
                np.concatenate([np.zeros(n), np.ones(2 * R)]),
                np.concatenate([lp.col_lower, np.zeros(2 * R)]),
                np.concatenate([np.minimum(lp.col_upper, 1e30), np.full(2 * R, INF)]),
                lp.row_lower, lp.row_upper, starts[:-1].astype(np.int32), index, value,
                np.zeros(n + 2 * R, dtype=np.int32))
    h.run()
    elastic = np.asarray(h.getSolution().col_value, dtype=float)[n:]
    bad = (elastic[:R] + elastic[R:]) > 1e-7
    found = []
    at = 0
    for c in lp.constraints.values():
        hit = np.flatnonzero(bad[at: at + c.size])
        if hit.size:
            i = hit[0]
            what = _item(net, c.describe, int(c.item[i])) if net is not None else str(c.item[i])
            found.append(f"{c.name} constraints ({hit.size} rows; first: {what} on day {c.day[i]})")
        at += c.size
    if not found:
        return f"the optimal allocation's LP has no optimum ({status}); no constraint family is at fault"
    return "no allocation satisfies the " + "; ".join(found)


def _item(net: Network, kind: str, i: int) -> str:
    if kind == "pair":
        C = net.shape[1]
        return f"{net.nodes[i // C]}/{net.commodities[i % C]}"
    if kind == "arc":
        return net.arc_names[i]
    if kind == "claim":
        return net.policies.claims[i].id
    return str(net.policies.reasons[net.policies.group_reason[i]])


def _values(v: Variables, sol: Array, shape: tuple[int, ...]) -> Array:
    out = np.zeros(shape)
    mask = v.index >= 0
    out[mask] = np.clip(sol[v.index[mask]], v.lower, v.upper)
    return out


def assign(net: Network, lp: LP, solution: Solution) -> Trace:
    """A Trace (batch of one) from the LP's values: requested = allowed = shipped, no reasons;
    stock re-derived from the flows so the mass balance holds exactly."""
    T, (N, C) = net.days, net.shape
    A, R, P = net.arc_src.size, net.rec_node.size, N * C
    sol = solution.col_value
    ks, _ = _window(net)
    return trace_from(net, _values(lp.variables["shipments"], sol, (T, A)),
                      _values(lp.variables["production"], sol, (T, R)),
                      _values(lp.variables["unmet"], sol, (T, P)),
                      _values(lp.variables["order_flows"], sol, (T, len(ks))),
                      lp.demand, lp.conserving,
                      _values(lp.variables["substitutes"], sol, (T, net.sub_ratio.size)))


def trace_from(net: Network, x: Array, made: Array, unmet: Array, y: Array, demand: Array,
               conserving: BoolArray, z: Array | None = None) -> Trace:
    """A Trace from an allocation over the horizon: shipments x [T, A], production [T, R],
    unmet demand [T, N*C] (at sites that owe it: the backlog at the end of each day), rated
    orders' shares y [T, orders] and what substitute rules covered z [T, Q] (each using
    ratio x z of its `use`)."""
    T, (N, C) = net.days, net.shape
    A, pol = net.arc_src.size, net.policies
    Q = net.sub_ratio.size
    z = np.zeros((T, Q)) if z is None else z
    used = z * net.sub_ratio
    served, backlog = served_and_owed(net, demand, unmet)

    landing, change = pair_flows(net, x, made, served + substitution(net, z, used))
    piped = np.zeros((T, N * C))
    piped[:net.transit0.shape[0]] = net.transit0[:T]
    arrivals = landing[:T] + piped
    stock = net.stock0.reshape(1, -1) + \
        np.cumsum(arrivals + net.policies.deliveries + change, axis=0)
    in_transit = net.transit0.sum(axis=0)[None, :] + \
        np.cumsum(by_pair(net, net.arc_dst_pair, x * net.arc_yield), axis=0) - \
        np.cumsum(arrivals, axis=0)

    K = len(pol.claims)
    asked, limit, claimed = np.zeros((T, K)), np.zeros((T, K)), np.zeros((T, K))
    limits = lane_limits(net)
    day_limit = alone(net, limits.arc, limits.quota)
    ks, _ = _window(net)
    for j, k in enumerate(ks):
        claimed[:, k] = y[:, j]
        asked[:, k] = y[:, j]  # the plan's own schedule is what the order asks each day
        limit[:, k] = day_limit[:, pol.claims[k].arc]
    for k, c in enumerate(pol.claims):
        if not c.is_order:
            asked[:, k] = c.flights
            limit[:, k] = day_limit[:, c.arc]
            claimed[:, k] = x[:, c.arc]

    care = [care_capacity(net, t, 1) for t in range(T)]
    S = len(net.care_sites)
    shape = (T, 1, N, C)

    def stack(a: Array, dims: tuple[int, ...]) -> Array:
        out = np.ascontiguousarray(a.reshape(dims))
        out.setflags(write=False)
        return out

    return Trace(
        stock=stack(stock, shape), in_transit=stack(in_transit, shape),
        produced=stack(made, (T, 1, net.rec_node.size)), demand=stack(demand, shape),
        served=stack(served, shape),
        substituted=stack(z, (T, 1, Q)), substitute_used=stack(used, (T, 1, Q)),
        requested=stack(x.copy(), (T, 1, A)),
        allowed=stack(x.copy(), (T, 1, A)), shipped=stack(x, (T, 1, A)),
        reason=stack(np.full((T, A), -1, dtype=np.int16), (T, 1, A)),  # type: ignore[arg-type]
        conserving=stack(conserving, shape),  # type: ignore[arg-type]
        backlog=stack(backlog, shape),
        claim_asked=stack(asked, (T, 1, K)), claim_limit=stack(limit, (T, 1, K)),
        claimed=stack(claimed, (T, 1, K)),
        patients=stack(np.stack([c[0] for c in care]), (T, 1, S)),
        staff=stack(np.stack([c[1] for c in care]), (T, 1, S)),
        unstaffed=stack(np.stack([c[2] for c in care]), (T, 1, S)),
    )


def served_and_owed(net: Network, demand: Array, unmet: Array,
                    owed0: Array | None = None) -> tuple[Array, Array]:
    """[D, N*C] what sites served and owed at the end of each day, from the LP's unmet
    variables: lost demand, or (at sites that owe it) the backlog, `owed0` owed before the
    first day. Re-derived day by day so that served = demand + yesterday's backlog - today's
    holds exactly."""
    keeps = owes(net)
    served = np.clip(demand - unmet, 0.0, demand)
    backlog = np.zeros(demand.shape)
    if keeps.any():
        owed = np.zeros(keeps.size) if owed0 is None else owed0.copy()
        for t in range(demand.shape[0]):  # the horizon's days, each vectorised
            due = owed + demand[t]
            served[t] = np.where(keeps, np.clip(due - unmet[t], 0.0, due), served[t])
            owed = np.where(keeps, due - served[t], 0.0)
            backlog[t] = owed
    return served, backlog


def shortfalls(net: Network, lp: LP, solution: Solution) -> dict[str, float]:
    """Per rated order and airlift: the penalised shortfall in the optimum."""
    sol = solution.col_value
    ks, _ = _window(net)
    out = {net.policies.claims[k].id: float(sol[lp.variables["order_shortfall"].index[j]])
           for j, k in enumerate(ks)}
    ya = lp.variables["airlift_shortfall"]
    for c in net.policies.claims:
        if not c.is_order:
            cols = ya.index[:, c.arc]
            out[c.id] = float(sol[cols[cols >= 0]].sum())
    return out


class Optimal:
    """One LP over the whole horizon: the least priority-weighted unmet demand the physics and
    policies allow."""

    name = "optimal"

    def run(self, net: Network) -> Trace:
        lp = build(net, tight=True)
        solution = solve(lp, net)
        trace = assign(net, lp, solution)
        if solution.gap is not None and violations(net, trace):
            # feasible to PDLP's tolerance is not always within the invariants': a vertex is
            solution = solve(lp, net, method=IPM_CROSSOVER)
            trace = assign(net, lp, solution)
        rows, columns, nonzeros = lp.shape
        LOG.info("optimal allocator: LP of %s rows, %s columns, %s non-zeros built in %.2f s; "
                 "%s; solved in %.1f s%s", f"{rows:,}", f"{columns:,}", f"{nonzeros:,}",
                 lp.build_seconds, method_for(lp).describe(), solution.solve_seconds,
                 "" if solution.gap is None else f" (gap {solution.gap:.1e})")
        return trace


def objective(net: Network, trace: Trace, demand: Array | None = None) -> dict[str, float]:
    """The horizon LP's objective at a trace's allocation (sample 0), in its parts: weighted
    unmet demand, penalised rated-order and airlift shortfalls, transport cost, and total.
    For a rolling-horizon run this is the figure to set against the full-horizon optimum."""
    demand = lp_demand(net)[0] if demand is None else demand
    T = net.days
    weight = np.repeat(net.priority, net.shape[1])
    short = np.where(owes(net), trace.backlog[:, 0].reshape(T, -1),
                     demand - trace.served[:, 0].reshape(T, -1))  # lost, or owed that day
    unmet = float((short * weight).sum())
    rated, airlift = penalties(net)
    ks, window = _window(net)
    short_rated = sum(max(0.0, due_within(net, net.policies.claims[k]) -
                          float(trace.claimed[:, 0, k][window[:, j]].sum()))
                      for j, k in enumerate(ks))
    may = lane_limits(net).arc > 0  # on an airlift's arc: a flight leaves and is let through
    short_air = sum(float((c.flights - trace.claimed[:, 0, k])[may[:, c.arc]].sum())
                    for k, c in enumerate(net.policies.claims) if not c.is_order)
    shipped = trace.shipped[:, 0]
    transport = float((shipped * (net.arc_cost + EPS)).sum())
    holding = float((trace.stock[:, 0] * net.inventory.holding_cost[None, :, None]).sum())
    substituting = EPS * float(trace.substituted[:, 0].sum())  # the tie-break per unit covered
    total = unmet + rated * short_rated + airlift * short_air + transport + holding + substituting
    return {"weighted_unmet": unmet, "rated_shortfall": short_rated,
            "airlift_shortfall": short_air, "transport": transport, "holding": holding,
            "substitution": substituting, "total": total}
