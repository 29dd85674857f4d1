"""Samplers: draws from the scenario's `uncertainty` section, one Generator per sample.

Sample k's numbers come from child k of `SeedSequence(seed)` alone, drawn path by path in the
order the section lists them, so sample k is the same whatever the batch, executor or worker
count.

Batchable paths (run many samples in one Simulator, the network compiled once):
`nodes.N.demand.C`, `nodes.N.produce.C.capacity`, `nodes.N.stock.C` and
`lanes.FROM->TO.capacity`. Any other path (lead times, policy dates, quotas, epidemic
parameters...) changes the compiled network, so a sample with such paths is compiled and run
on its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..engine import Network, Sampled
from ..model import Scenario
from ..model.scenario import Choice, LogNormal, Normal, Triangular, Uniform

Array = np.ndarray[Any, np.dtype[np.float64]]


def generators(seed: int, samples: range) -> list[np.random.Generator]:
    """One Generator per sample k in `samples`, from child k of SeedSequence(seed)."""
    # SeedSequence(seed, spawn_key=(k,)) is exactly SeedSequence(seed).spawn(k + 1)[k]
    return [np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(k,))))
            for k in samples]


def draw_one(dist: Any, rng: np.random.Generator) -> float:
    if isinstance(dist, Normal):
        return float(rng.normal(dist.mean, dist.sd))
    if isinstance(dist, LogNormal):
        return float(dist.median * np.exp(rng.normal(0.0, dist.sigma)))
    if isinstance(dist, Uniform):
        return float(rng.uniform(dist.low, dist.high))
    if isinstance(dist, Triangular):
        if dist.low == dist.high:
            return float(dist.low)
        return float(rng.triangular(dist.low, dist.mode, dist.high))
    if isinstance(dist, Choice):
        p = None
        if dist.weights is not None:
            w = np.asarray(dist.weights, dtype=float)
            p = w / w.sum()
        return float(dist.values[int(rng.choice(len(dist.values), p=p))])
    raise TypeError(f"unknown distribution {dist!r}")


def draw(scenario: Scenario, seed: int, samples: range) -> dict[str, Array]:
    """path -> the draws of samples in `samples` (one value each)."""
    paths = list(scenario.uncertainty)
    out = {p: np.zeros(len(samples)) for p in paths}
    for i, rng in enumerate(generators(seed, samples)):
        for p in paths:
            out[p][i] = draw_one(scenario.uncertainty[p], rng)
    return out


def batchable(path: str) -> bool:
    parts = path.split(".")
    return (
        (len(parts) == 4 and parts[0] == "nodes" and parts[2] in ("demand", "stock"))
        or (len(parts) == 5 and parts[0] == "nodes" and parts[2] == "produce" and parts[4] == "capacity")
        or (len(parts) == 3 and parts[0] == "lanes" and parts[2] == "capacity")
    )


@dataclass(frozen=True)
class Plan:
    batch: tuple[str, ...]  # paths applied to compiled arrays
    each: tuple[str, ...]  # paths needing a network of their own per sample


def plan(scenario: Scenario) -> Plan:
    paths = list(scenario.uncertainty)
    return Plan(tuple(p for p in paths if batchable(p)), tuple(p for p in paths if not batchable(p)))


def _apply(base: Array, values: Array, scale: bool) -> Array:
    """base [B, ...] with every sample's value put in (or multiplied by it); never below 0."""
    shape = (-1,) + (1,) * (base.ndim - 1)
    v = values.reshape(shape)
    return np.maximum(0.0, base * v if scale else np.broadcast_to(v, base.shape).copy())


def sampled_arrays(scenario: Scenario, net: Network, draws: dict[str, Array],
                   paths: tuple[str, ...]) -> Sampled:
    """The network's arrays for a batch, with the batchable paths' draws applied."""
    B = len(next(iter(draws.values()))) if draws else 1
    nodes = {n: i for i, n in enumerate(net.nodes)}
    coms = {c: i for i, c in enumerate(net.commodities)}
    demand = rec_cap = stock0 = arc_cap = None
    for path in paths:
        dist, values = scenario.uncertainty[path], draws[path]
        parts = path.split(".")
        if parts[0] == "lanes":
            k = next(i for i, lane in enumerate(scenario.lanes) if lane.id == parts[1]) \
                if not parts[1].isdigit() else int(parts[1])
            arcs = np.flatnonzero(net.arc_lane == k)
            if arc_cap is None:
                arc_cap = np.repeat(net.arc_cap[None, :], B, axis=0)
            arc_cap[:, arcs] = _apply(arc_cap[:, arcs], values, dist.scale)
            continue
        n, c = nodes[parts[1]], coms[parts[3]]
        if parts[2] == "demand":
            if demand is None:
                demand = np.repeat(net.demand[None], B, axis=0)
            demand[:, :, n, c] = _apply(demand[:, :, n, c], values, dist.scale)
        elif parts[2] == "stock":
            if stock0 is None:
                stock0 = np.repeat(net.stock0[None], B, axis=0)
            stock0[:, n, c] = _apply(stock0[:, n, c], values, dist.scale)
        else:
            r = int(np.flatnonzero((net.rec_node == n) & (net.rec_com == c))[0])
            if rec_cap is None:
                rec_cap = np.repeat(net.rec_cap[None], B, axis=0)
            rec_cap[:, :, r] = _apply(rec_cap[:, :, r], values, dist.scale)
            if not dist.scale:  # a drawn capacity is still cut by a disruption of the plant
                rec_cap[:, :, r] *= net.policies.production_factor[:, n]
    return Sampled(demand=demand, rec_cap=rec_cap, stock0=stock0, arc_cap=arc_cap)
