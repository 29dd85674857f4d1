"""Compile a scenario into the arrays the engine runs on (nodes x commodities, arcs, recipes)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any

import numpy as np

from ..demand import evaluate
from ..model import Scenario
from ..policy import Arcs, PolicyArrays, compile_policies
from ..policy.batch import PolicyBatch, stack
from .inventory import Inventory, compile_inventory, initial_transit

Array = np.ndarray[Any, np.dtype[np.float64]]
IntArray = np.ndarray[Any, np.dtype[np.intp]]
BoolArray = np.ndarray[Any, np.dtype[np.bool_]]


def _frozen(a: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    a.setflags(write=False)
    return a


@dataclass(frozen=True, eq=False)
class Network:
    """A scenario as arrays. A pair is one (node, commodity), flat index node * C + commodity."""

    name: str
    days: int
    nodes: tuple[str, ...]
    kinds: tuple[str, ...]
    node_region: IntArray  # [N]
    regions: tuple[str, ...]
    commodities: tuple[str, ...]
    target: Array  # [N] days of use to order up to
    priority: Array  # [N] cost of a unit of unmet demand at each site: shortage_cost, else priority
    inventory: Inventory  # forecasts, replenishment rules, backlogs, costs, sharing rules
    stock0: Array  # [N, C]
    demand: Array  # [T, N, C] (zero except at sites)
    # arcs: one commodity on one lane; then those policies add (an airlift's flights: no lane,
    # never asked for by requests)
    arc_names: tuple[str, ...]  # "from->to", or the name the policy gave ("airlift:<id>")
    arc_lane: IntArray  # index into scenario.lanes, -1 for an arc a policy added
    arc_src: IntArray
    arc_dst: IntArray
    arc_com: IntArray
    arc_lead: IntArray
    arc_cap: Array  # units per day, inf = unlimited
    arc_weight: Array
    arc_cost: Array  # [A] cost of shipping a unit
    arc_yield: Array  # [A] share of a shipment that arrives usable (the rest is rejected)
    transit0: Array  # [max lead, N*C] the lanes' in_transit at day 0, landing on each first day
    # recipes: one commodity made at one plant
    rec_node: IntArray
    rec_com: IntArray
    rec_cap: Array  # [T, R]
    rec_inputs: Array  # [R, C] units of each input per unit made
    # reverse topological order: pairs whose requests are settled before those of later levels
    level_pairs: tuple[IntArray, ...]
    level_arcs: tuple[IntArray, ...]
    # substitutes: at a site, commodity `use` in place of `for`, in the order they are tried
    sub_node: IntArray  # [Q] the site
    sub_for: IntArray  # [Q] the commodity whose unserved demand it covers
    sub_use: IntArray  # [Q] the commodity used instead
    sub_ratio: Array  # [Q] units of `use` per unit of `for` covered
    policies: PolicyArrays
    # care capacity: sites with a `care` entry, and the commuters who staff them
    care_sites: tuple[str, ...]
    care_patients: Array  # [T, S]
    care_local_staff: Array  # [S]
    care_patients_per_staff: Array  # [S]
    commuter_site: IntArray  # [W] index into care_sites
    commuter_staff: Array  # [W]

    @property
    def shape(self) -> tuple[int, int]:
        return len(self.nodes), len(self.commodities)

    @property
    def arc_src_pair(self) -> IntArray:
        return self.arc_src * len(self.commodities) + self.arc_com

    @property
    def arc_dst_pair(self) -> IntArray:
        return self.arc_dst * len(self.commodities) + self.arc_com

    @property
    def sub_for_pair(self) -> IntArray:
        return self.sub_node * len(self.commodities) + self.sub_for

    @property
    def sub_use_pair(self) -> IntArray:
        return self.sub_node * len(self.commodities) + self.sub_use

    @property
    def rec_outputs(self) -> Array:
        """[R, C]: 1 where a recipe makes the commodity (so made @ rec_outputs sums by commodity)."""
        return np.eye(len(self.commodities))[self.rec_com]

    @property
    def has_costs(self) -> bool:
        """Whether the scenario gives any cost (shortage, holding or transport)."""
        inv = self.inventory
        return bool(inv.shortage_cost.any() or inv.holding_cost.any() or self.arc_cost.any())

    @cached_property
    def flights(self) -> tuple[IntArray, Array]:
        """The arcs airlifts fly on (flight claims), and [T, F] the units leaving each day."""
        claims = [c for c in self.policies.claims if not c.is_order]
        arcs = np.array([c.arc for c in claims], dtype=np.intp)
        units = np.array([c.flights for c in claims], dtype=float).reshape(len(claims), self.days)
        return arcs, units.T.copy()

    @property
    def arcs(self) -> Arcs:
        """The arcs by name, as the policy layer describes them."""
        nodes = np.asarray(self.nodes, dtype=object)
        return Arcs(tuple(nodes[self.arc_src]), tuple(nodes[self.arc_dst]),
                    tuple(np.asarray(self.commodities, dtype=object)[self.arc_com]),
                    self.arc_names, tuple(bool(k >= 0) for k in self.arc_lane))

    @property
    def max_lead(self) -> int:
        return int(self.arc_lead.max()) if self.arc_lead.size else 1


@dataclass(frozen=True, eq=False)
class Sampled:
    """Per-sample values for a batch of B samples run together (each None: as the network has it).

    demand [B, T, N, C], rec_cap [B, T, R], stock0 [B, N, C], arc_cap [B, A]. A sampled lane
    capacity caps shipments; whether a lane is open (receives requests) is decided by the
    network's own capacity and policies, so a sample never depends on the others in its batch.
    `disruption` [B]: the index into `policies.disruptions` each sample suffers (-1 none), as
    if it were enabled in the scenario (the stress test's one target per sample).
    `policies`: each sample's own policies (`policy.batch.stack`; the network then holds their
    union), the attribution's one coalition per sample.
    """

    demand: Array | None = None
    rec_cap: Array | None = None
    stock0: Array | None = None
    arc_cap: Array | None = None
    disruption: IntArray | None = None
    policies: PolicyBatch | None = None

    def pick(self, b: int) -> Sampled:
        """Sample b alone (policies of its own are left out: see `invariants.own_sample`)."""
        def one(a: Any) -> Any:
            return None if a is None else a[b:b + 1]

        return Sampled(one(self.demand), one(self.rec_cap), one(self.stock0), one(self.arc_cap),
                       one(self.disruption))


def with_policies(net: Network, each: list[PolicyArrays]) -> tuple[Network, Sampled]:
    """A batch of len(each) samples on `net`'s arcs, sample b under the policies each[b]
    (compiled for `net`'s scenario): the network to run and the samples' values."""
    union, own = stack(each)
    return replace(net, policies=union), Sampled(policies=own)


def compile_network(scenario: Scenario) -> Network:
    nodes = tuple(scenario.nodes)
    coms = tuple(scenario.commodities)
    regions = tuple(scenario.regions)
    ni = {n: i for i, n in enumerate(nodes)}
    ci = {c: i for i, c in enumerate(coms)}
    N, C, T = len(nodes), len(coms), scenario.days

    stock0 = np.zeros((N, C))
    demand = np.zeros((T, N, C))
    rec_node, rec_com, rec_caps, rec_rows = [], [], [], []
    for n, node in scenario.nodes.items():
        for c, qty in node.stock.items():
            stock0[ni[n], ci[c]] = qty
        for c, series in node.demand.items():
            demand[:, ni[n], ci[c]] = evaluate(series, scenario)
        for c, prod in node.produce.items():
            rec_node.append(ni[n])
            rec_com.append(ci[c])
            rec_caps.append(evaluate(prod.capacity, scenario))
            row = np.zeros(C)
            for i, ratio in prod.inputs.items():
                row[ci[i]] = ratio
            rec_rows.append(row)

    # (lane index, name, from, to, commodity, lead, capacity, weight, cost per unit)
    arcs = [(k, lane.id, lane.from_, lane.to, c, lane.lead_time,
             np.inf if lane.capacity is None else lane.capacity, lane.weight, lane.cost_per_unit)
            for k, lane in enumerate(scenario.lanes) for c in scenario.lane_commodities(lane)]
    arcs += [(-1, a.name, a.src, a.dst, a.commodity, a.lead, np.inf, 0.0, 0.0)
             for p in scenario.policies for a in p.arcs(scenario)]
    arc_src = np.array([ni[a[2]] for a in arcs], dtype=np.intp)
    arc_dst = np.array([ni[a[3]] for a in arcs], dtype=np.intp)
    arc_com = np.array([ci[a[4]] for a in arcs], dtype=np.intp)
    on_lane = np.array([a[0] >= 0 for a in arcs], dtype=bool)
    level_pairs, level_arcs = _levels(N, C, arc_src[on_lane], arc_dst[on_lane], arc_com[on_lane])
    level_arcs = tuple(_frozen(np.flatnonzero(on_lane)[a].astype(np.intp)) for a in level_arcs)
    subs = [(ni[n], ci[q.for_], ci[q.use], q.ratio)
            for n, node in scenario.nodes.items() for q in node.substitutes]
    names = Arcs(tuple(a[2] for a in arcs), tuple(a[3] for a in arcs), tuple(a[4] for a in arcs),
                 tuple(a[1] for a in arcs), tuple(a[0] >= 0 for a in arcs))
    policies = compile_policies(scenario, names, nodes, coms)
    rec_cap = np.array(rec_caps, dtype=float).reshape(len(rec_caps), T).T
    rec_cap = rec_cap * policies.production_factor[:, np.array(rec_node, dtype=np.intp)]
    return Network(
        name=scenario.name,
        days=T,
        nodes=nodes,
        kinds=tuple(node.kind for node in scenario.nodes.values()),
        node_region=_frozen(np.array([regions.index(node.region)
                                      for node in scenario.nodes.values()], dtype=np.intp)),
        regions=regions,
        commodities=coms,
        target=_frozen(np.array([node.target for node in scenario.nodes.values()], dtype=float)),
        priority=_frozen(np.array([node.shortage_weight for node in scenario.nodes.values()],
                                  dtype=float)),
        inventory=compile_inventory(scenario, nodes, coms, arc_src, arc_dst, on_lane),
        stock0=_frozen(stock0),
        demand=_frozen(demand),
        arc_names=names.lane,
        arc_lane=_frozen(np.array([a[0] for a in arcs], dtype=np.intp)),
        arc_src=_frozen(arc_src),
        arc_dst=_frozen(arc_dst),
        arc_com=_frozen(arc_com),
        arc_lead=_frozen(np.array([a[5] for a in arcs], dtype=np.intp)),
        arc_cap=_frozen(np.array([a[6] for a in arcs], dtype=float)),
        arc_weight=_frozen(np.array([a[7] for a in arcs], dtype=float)),
        arc_cost=_frozen(np.array([a[8] for a in arcs], dtype=float)),
        arc_yield=_frozen(np.array([scenario.lanes[a[0]].yield_ if a[0] >= 0 else 1.0
                                    for a in arcs], dtype=float)),
        transit0=initial_transit(scenario, nodes, coms,
                                 max((a[5] for a in arcs), default=1)),
        rec_node=_frozen(np.array(rec_node, dtype=np.intp)),
        rec_com=_frozen(np.array(rec_com, dtype=np.intp)),
        rec_cap=_frozen(rec_cap),  # disrupted plants make capacity x factor
        rec_inputs=_frozen(np.array(rec_rows, dtype=float).reshape(len(rec_rows), C)),
        level_pairs=level_pairs,
        level_arcs=level_arcs,
        sub_node=_frozen(np.array([q[0] for q in subs], dtype=np.intp)),
        sub_for=_frozen(np.array([q[1] for q in subs], dtype=np.intp)),
        sub_use=_frozen(np.array([q[2] for q in subs], dtype=np.intp)),
        sub_ratio=_frozen(np.array([q[3] for q in subs], dtype=float)),
        policies=policies,
        **_care(scenario),
    )


def _care(s: Scenario) -> dict[str, Any]:
    sites = tuple(s.care)
    T = s.days
    return {
        "care_sites": sites,
        "care_patients": _frozen(np.array([evaluate(c.patients, s) for c in s.care.values()],
                                          dtype=float).reshape(len(sites), T).T.copy()),
        "care_local_staff": _frozen(np.array([c.local_staff for c in s.care.values()], dtype=float)),
        "care_patients_per_staff": _frozen(np.array([c.patients_per_staff
                                                     for c in s.care.values()], dtype=float)),
        "commuter_site": _frozen(np.array([sites.index(w.site) for w in s.workforce], dtype=np.intp)),
        "commuter_staff": _frozen(np.array([w.staff for w in s.workforce], dtype=float)),
    }


def _levels(N: int, C: int, src: IntArray, dst: IntArray,
            com: IntArray) -> tuple[tuple[IntArray, ...], tuple[IntArray, ...]]:
    """Level of a pair = 1 + the highest level among the pairs it supplies (0 if none).

    Requests flow upstream: every pair of level k has heard from all its customers once the
    pairs of levels < k have placed their requests. The lane graph of each commodity is
    acyclic (validated), so this terminates within N rounds.
    """
    level = np.zeros(N * C, dtype=np.intp)
    sp, dp = src * C + com, dst * C + com
    for _ in range(N + 1):
        new = level.copy()
        np.maximum.at(new, sp, level[dp] + 1)
        if np.array_equal(new, level):
            break
        level = new
    top = int(level.max()) if level.size else 0
    pairs = tuple(_frozen(np.flatnonzero(level == k).astype(np.intp)) for k in range(top + 1))
    arcs = tuple(np.flatnonzero(level[dp] == k).astype(np.intp) for k in range(top + 1))
    return pairs, arcs
