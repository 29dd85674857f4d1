"""Who is hurt by which policy: each policy's Shapley value in a region's unmet demand and a
care site's unstaffed patient-days (`borderflow attribute`).

The players are the listed policies (default: every policy the variant enables, except
retaliations: a counter-measure is part of the policy that triggers it, since with that policy
off nothing triggers it; list a retaliation to make it a player of its own). The game's value
of a coalition S is the variant's outcome with only S's players on (the others off, everything
else as the variant has it); a policy's contribution is its Shapley value, so contributions
add up to the variant's outcome less the outcome with every listed policy off (efficiency,
checked on every run). Up to EXACT_LIMIT players every coalition is run (2^k runs); beyond,
permutations are sampled and each contribution carries its standard error.

Each coalition recompiles only the policies on the variant's compiled network (series, arcs
and levels are shared); a job's coalitions then run as one batch of the priority engine, each
sample under its own policies (`engine.with_policies`). The coalitions an attribution needs
(all of them, or those of its sampled orders) are run first, as jobs of the executors sweeps
use (`run_coalitions`; each process compiles the network once), then combined.
"""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from itertools import combinations
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..engine import Network, Trace, compile_network, resolve, run, with_policies
from ..model import Scenario, UsageError, apply_variant
from ..policy import PolicyArrays, compile_policies
from ..results.simulation import as_scenario
from .executors import executor as find_executor

EXACT_LIMIT = 12
TOL = 1e-6  # efficiency: |sum of contributions - (variant - none)| within TOL x max(1, |value|)
TOP_PAIRS = 10

Progress = Callable[[int, int], None]
Value = Callable[[int], np.ndarray[Any, Any]]  # a coalition's bit mask -> its outcomes


@dataclass(frozen=True, eq=False)
class Attribution:
    """Each policy's contribution to each region's unmet demand and each care site's
    unstaffed patient-days (positive: the policy made it worse)."""

    scenario: Scenario  # the variant applied
    variant: str | None
    policies: list[str]
    method: str  # "exact" | "sampled"
    permutations: int | None
    rows: pd.DataFrame  # region, commodity, policy, contribution, stderr
    care: pd.DataFrame  # site, policy, contribution, stderr
    totals: pd.DataFrame  # region, commodity, demand, unmet_none, unmet_variant
    care_totals: pd.DataFrame  # site, unstaffed_none, unstaffed_variant
    interactions: pd.DataFrame  # region, commodity, policy_a, policy_b, interaction
    runs: int

    def summary(self) -> dict[str, Any]:
        """The `attribute --json` document."""
        return {
            "scenario": self.scenario.name, "variant": self.variant or "",
            "policies": self.policies, "method": self.method,
            "permutations": self.permutations, "runs": self.runs,
            "rows": _records(self.rows), "care": _records(self.care),
            "totals": _records(self.totals), "care_totals": _records(self.care_totals),
            "interactions": _records(self.interactions),
        }


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return list(json.loads(frame.to_json(orient="records")))


def players(s: Scenario, listed: list[str] | None) -> list[str]:
    """The policies whose contributions are asked for (ids, in the scenario's order)."""
    ids = [p.id for p in s.policies]
    if listed is None:
        return [p.id for p in s.policies if p.enabled and p.type != "retaliation"]
    from ..model.messages import did_you_mean

    unknown = [x for x in listed if x not in ids]
    if unknown:
        raise UsageError("--policies", f"no policy {unknown[0]!r} in {s.name}"
                         f"{did_you_mean(unknown[0], ids)}")
    off = [x for x in listed if not next(p for p in s.policies if p.id == x).enabled]
    if off:
        raise UsageError("--policies", f"{off[0]} is not enabled in this variant: only a "
                         "policy in force can contribute (enable it with a variant)")
    if len(set(listed)) < len(listed):
        raise UsageError("--policies", "a policy is listed twice")
    return [x for x in ids if x in listed]


Outcome = tuple[np.ndarray[Any, Any], np.ndarray[Any, Any], np.ndarray[Any, Any]]


class _Game:
    """Runs coalitions (bit masks over the players): unmet [G, C], unstaffed patient-days
    [S] and demand [G, C] (after conservation) with the players of a mask on."""

    def __init__(self, s: Scenario, names: list[str]) -> None:
        self.s, self.names = s, names
        self.base = compile_network(s)
        net = self.base
        self.regions, self.commodities = list(net.regions), list(net.commodities)
        self.sites = list(net.care_sites)

    def policies(self, mask: int) -> PolicyArrays:
        """The policies compiled with only the players of `mask` on."""
        s = self.s.without_policies({n for i, n in enumerate(self.names) if not mask >> i & 1})
        return compile_policies(s, self.base.arcs, self.base.nodes, self.base.commodities)

    def outcomes(self, masks: list[int]) -> list[Outcome]:
        """Each coalition's outcome: the coalitions run as one batch, each sample under its
        own policies, unless one fires a retaliation on a shortage (a day of its own run)."""
        each = [self.policies(m) for m in masks]
        if any(p.shortages for p in each):
            out = []
            for m, pol in zip(masks, each, strict=True):
                net = resolve(replace(self.base, policies=pol))
                out += self._read(net, run(net, "priority", what=f"attribution: {m:b}"))
            return out
        net, sampled = with_policies(self.base, each)
        return self._read(net, run(net, "priority", batch=len(masks), sampled=sampled,
                                   what=f"attribution: {len(masks)} coalitions"))

    def _read(self, net: Network, trace: Trace) -> list[Outcome]:
        """Per sample: unmet [G, C], unstaffed patient-days [S], demand [G, C] (the KPIs'
        `unmet` and `demand`: every node's, summed over the days and the region's nodes)."""
        onehot = np.eye(len(self.regions))[net.node_region]  # [N, G]
        demand = np.einsum("bnc,ng->bgc", trace.demand.sum(axis=0), onehot)
        unmet = demand - np.einsum("bnc,ng->bgc", trace.served.sum(axis=0), onehot)
        B = demand.shape[0]
        staff = trace.unstaffed.sum(axis=0) if trace.unstaffed.size else \
            np.zeros((B, len(self.sites)))
        return [(unmet[k], np.asarray(staff[k], dtype=float), demand[k]) for k in range(B)]


@dataclass(frozen=True)
class _Job:
    """Coalitions to run; `key` names the attribution, so a process compiles once per run."""

    key: str
    names: tuple[str, ...]
    masks: tuple[int, ...]


_GAMES: dict[str, _Game] = {}  # the attribution this process works on (one at a time)


def run_coalitions(s: Scenario, job: _Job, seed: int) -> list[Outcome]:
    """An executor's work (`seed` unused: nothing is drawn): each coalition's outcome."""
    game = _GAMES.get(job.key)  # held here: another thread may replace the cache's entry
    if game is None:
        game = _Game(s, list(job.names))
        _GAMES.clear()
        _GAMES[job.key] = game
    return game.outcomes(list(job.masks))


def attribute(scenario: Scenario | str | Path, variant: str | None = None,
              policies: list[str] | None = None, samples: int | None = None, seed: int = 0,
              progress: Progress | None = None, workers: int = 1, executor: str = "local",
              address: str | None = None) -> Attribution:
    """Each listed policy's Shapley value in unmet demand (per region and commodity) and in
    unstaffed patient-days (per care site), under the priority allocator. Exact for up to
    EXACT_LIMIT policies (every coalition run); beyond that, or when `samples` is given,
    `samples` random orders of the policies (default 200) with standard errors. `workers`,
    `executor`, `address`: where the coalitions run, as for `sweep` (the same numbers
    wherever they run)."""
    runner = find_executor(executor, workers, address)
    s = apply_variant(as_scenario(scenario), variant)
    names = players(s, policies)
    if not names:
        raise UsageError("--policies", "no policy to attribute: the variant enables none "
                         "(besides retaliations)")
    if samples is not None and samples < 1:
        raise UsageError("--samples", "must be at least 1")
    k = len(names)
    exact = samples is None and k <= EXACT_LIMIT
    perms = None if exact else samples or 200
    if exact:
        masks = list(range(1 << k))
    else:
        assert perms is not None
        masks = sorted({0, *(m for order in _orders(k, perms, seed)
                             for m in np.bitwise_or.accumulate([1 << int(i) for i in order]))})
    meta = _Game(s, names)
    outcomes: dict[int, Outcome] = {}
    key = uuid.uuid4().hex
    per = _job_size(len(masks), workers, meta.base)
    jobs = [_Job(key, tuple(names), tuple(masks[lo:lo + per]))
            for lo in range(0, len(masks), per)]
    try:
        for job, found in runner.map(s, jobs, 0, run_coalitions):
            outcomes.update(zip(job.masks, found, strict=True))
            if progress is not None:
                progress(len(outcomes), len(masks))
    finally:
        _GAMES.pop(key, None)

    def value(mask: int) -> np.ndarray[Any, Any]:
        unmet, staff, _ = outcomes[mask]
        return np.concatenate([unmet.ravel(), staff])

    err: np.ndarray[Any, Any] | None = None
    inter: np.ndarray[Any, Any] | None = None
    if exact:
        phi, inter = shapley(value, k)
    else:
        assert perms is not None
        phi, err = sampled_shapley(value, k, perms, seed)
    full = (1 << k) - 1
    _check_efficiency(phi, value(full) - value(0))
    return _tables(s, variant, names, "exact" if exact else "sampled", perms, meta, outcomes,
                   phi, err, inter)


BATCH = 256  # coalitions in one batch at most: per-day costs shared, its arrays still small
TRACE_BYTES = 1 << 29  # and no batch's trace above about this


def _job_size(n: int, workers: int, net: Network) -> int:
    """Coalitions per job: as many as the batch and its trace allow, at least two jobs a
    worker when there are several (so a slow job does not leave the others idle)."""
    (N, C), A = net.shape, net.arc_src.size
    per_sample = 8 * net.days * (8 * N * C + 3 * A)  # the trace's float fields, roughly
    most = max(1, min(BATCH, TRACE_BYTES // max(1, per_sample)))
    return max(1, min(most, -(-n // (2 * workers)) if workers > 1 else most))


def _orders(k: int, perms: int, seed: int) -> list[np.ndarray[Any, Any]]:
    """The random orders of the players a sampled attribution walks."""
    rng = np.random.default_rng(seed)
    return [rng.permutation(k) for _ in range(perms)]


def shapley(value: Value, k: int, progress: Progress | None = None
            ) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """Shapley values [k, outputs] from every coalition of k players, and the pairwise
    Shapley interaction index [k, k, outputs]."""
    n = 1 << k
    values = []
    for mask in range(n):
        values.append(value(mask))
        if progress is not None:
            progress(mask + 1, n)
    v = np.asarray(values)  # [2^k, outputs]
    size = np.array([bin(m).count("1") for m in range(n)])
    masks = np.arange(n)
    fact = [math.factorial(j) for j in range(k + 1)]
    phi = np.zeros((k, v.shape[1]))
    for i in range(k):
        without = masks[(masks >> i & 1) == 0]
        w = np.array([fact[j] * fact[k - j - 1] / fact[k] for j in size[without]])
        phi[i] = w @ (v[without | 1 << i] - v[without])
    inter = np.zeros((k, k, v.shape[1]))
    for i, j in combinations(range(k), 2):
        rest = masks[((masks >> i & 1) == 0) & ((masks >> j & 1) == 0)]
        w = np.array([fact[t] * fact[k - t - 2] / fact[k - 1] for t in size[rest]])
        d = v[rest | 1 << i | 1 << j] - v[rest | 1 << i] - v[rest | 1 << j] + v[rest]
        inter[i, j] = inter[j, i] = w @ d
    return phi, inter


def sampled_shapley(value: Value, k: int, perms: int, seed: int = 0,
                    progress: Progress | None = None
                    ) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """Shapley values [k, outputs] from `perms` random orders of the players (each order's
    marginal contributions add up to the grand coalition's value exactly), with standard
    errors."""
    empty = value(0)
    total = np.zeros((k, empty.size))
    square = np.zeros((k, empty.size))
    for p, order in enumerate(_orders(k, perms, seed)):
        mask, before = 0, empty
        for i in order:
            mask |= 1 << int(i)
            after = value(mask)
            d = after - before
            total[i] += d
            square[i] += d * d
            before = after
        if progress is not None:
            progress(p + 1, perms)
    mean = total / perms
    var = np.maximum(square / perms - mean * mean, 0.0) * perms / max(1, perms - 1)
    return mean, np.sqrt(var / perms)


def _check_efficiency(phi: np.ndarray[Any, Any], want: np.ndarray[Any, Any]) -> None:
    """Contributions add up to the variant's outcome less the outcome with every listed
    policy off: the property a Shapley value must have. A failure is a bug, not bad input."""
    gap = np.abs(phi.sum(axis=0) - want)
    if np.any(gap > TOL * np.maximum(1.0, np.abs(want))):
        raise AssertionError(f"attribution: contributions do not add up (worst gap "
                             f"{gap.max():.3g})")


def _tables(s: Scenario, variant: str | None, names: list[str], method: str,
            perms: int | None, game: _Game, outcomes: dict[int, Outcome],
            phi: np.ndarray[Any, Any], err: np.ndarray[Any, Any] | None,
            inter: np.ndarray[Any, Any] | None) -> Attribution:
    G, C = len(game.regions), len(game.commodities)
    ua, sa, demand = outcomes[(1 << len(names)) - 1]  # the variant's
    un, sn, _ = outcomes[0]
    keep = [(g, c) for g in range(G) for c in range(C) if demand[g, c] > 0]
    rows = [{"region": game.regions[g], "commodity": game.commodities[c], "policy": name,
             "contribution": float(phi[i, g * C + c]),
             "stderr": None if err is None else float(err[i, g * C + c])}
            for g, c in keep for i, name in enumerate(names)]
    care = [{"site": site, "policy": name, "contribution": float(phi[i, G * C + j]),
             "stderr": None if err is None else float(err[i, G * C + j])}
            for j, site in enumerate(game.sites) for i, name in enumerate(names)]
    totals = pd.DataFrame([{"region": game.regions[g], "commodity": game.commodities[c],
                            "demand": float(demand[g, c]), "unmet_none": float(un[g, c]),
                            "unmet_variant": float(ua[g, c])} for g, c in keep])
    care_totals = pd.DataFrame([{"site": site, "unstaffed_none": float(sn[j]),
                                 "unstaffed_variant": float(sa[j])}
                                for j, site in enumerate(game.sites)],
                               columns=["site", "unstaffed_none", "unstaffed_variant"])
    pairs = []
    if inter is not None:
        for a, b in combinations(range(len(names)), 2):
            for g, c in keep:
                pairs.append({"region": game.regions[g], "commodity": game.commodities[c],
                              "policy_a": names[a], "policy_b": names[b],
                              "interaction": float(inter[a, b, g * C + c])})
    interactions = pd.DataFrame(pairs, columns=["region", "commodity", "policy_a", "policy_b",
                                                "interaction"])
    if len(interactions):
        interactions = interactions.reindex(interactions["interaction"].abs()
                                            .sort_values(ascending=False).index) \
            .head(TOP_PAIRS).reset_index(drop=True)
    return Attribution(s, variant, names, method, perms,
                       pd.DataFrame(rows, columns=["region", "commodity", "policy",
                                                   "contribution", "stderr"]),
                       pd.DataFrame(care, columns=["site", "policy", "contribution", "stderr"]),
                       totals, care_totals, interactions, len(outcomes))
