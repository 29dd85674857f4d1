"""`stress`: Simchi-Levi's stress test. Each target (a node, lane, border or country) is taken
out for its time to recover (TTR) while the rest of the network carries on, one target per
sample of a batch; per target:

- time to survive (TTS): days from the disruption's start to the first day on which the
  network's sites are short by more than in the undisrupted run (None: never within the
  horizon), under the priority rules and under the optimal allocation;
- performance impact: the unmet demand the disruption adds, by region and commodity, over
  the rest of the horizon (the TTR itself and the days stock takes to refill after it), and
  the unstaffed patient-days it adds;
- exposure index: the impact scaled so that the worst target is 1, in money when the
  scenario gives shortage costs (Simchi-Levi's financial impact), else in units.

Computing only; `store.stress` writes the result.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..engine import DayRecord, Network, Sampled, Trace, compile_network, days, run, streams, warm
from ..engine.optimal import conservation_from
from ..model import Scenario, UsageError, apply_variant
from ..model.disruptions import Disruption
from ..model.messages import did_you_mean
from ..results.kpis import CostSums, Days, RegionGroups, at_nodes, over_days
from ..results.schema import STRESS, STRESS_REGIONS
from ..results.simulation import as_scenario
from .executors import executor as find_executor

DEFAULT_TTR = 14
KINDS = ("nodes", "lanes", "borders", "countries")
DEFAULT_TARGETS = "nodes,borders"
TOL = 1e-6
# a batch's trace, where one is held, holds every day of every sample: keep it under this
CHUNK_BYTES = 512 * 2**20
# a batch's arrays over arcs [B, A], within about a core's L2 cache: past it a sample costs
# more in a batch, not less (benchmarks/README.md, "Stress tests": at 500 nodes, 0.22 s a
# sample alone, 0.136 s in batches of 12, 0.144 s of 16, 0.19 s of 32)
BATCH_BYTES = 3 * 2**18
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class StressResult:
    scenario: Scenario  # with the variant applied
    variant: str | None
    allocator: str
    ttr_days: int | None  # None: each target's own (a disruption of the scenario's)
    start: int
    basis: str  # "cost" or "units": what the exposure index scales
    optimal_tts: bool  # whether tts_optimal_days was solved for
    rows: pd.DataFrame  # one per target, worst first (schema.STRESS)
    regions: pd.DataFrame  # schema.STRESS_REGIONS
    targets: tuple[Disruption, ...]

    def to_json(self) -> dict[str, Any]:
        rows = self.rows.astype(object).where(self.rows.notna(), None)
        return {"scenario": self.scenario.name, "variant": self.variant, "allocator": self.allocator,
                "ttr_days": self.ttr_days, "start": self.start, "exposure_basis": self.basis,
                "optimal_tts": self.optimal_tts,
                "rows": [{k: _plain(v) for k, v in r.items()}
                         for r in rows.to_dict(orient="records")]}


ROW_COLUMNS = STRESS.names


def _plain(v: Any) -> Any:
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.floating):
        return float(v)
    return v


def borders(s: Scenario) -> list[tuple[str, str]]:
    """Every (from, to) pair of countries some lane or airlift crosses, in file order."""
    country = {n: s.regions[node.region].country for n, node in s.nodes.items()}
    pairs = [(country[lane.from_], country[lane.to]) for lane in s.lanes]
    pairs += [(country[a.src], country[a.dst]) for p in s.policies for a in p.arcs(s)]
    return list(dict.fromkeys((a, b) for a, b in pairs if a != b))


def targets(s: Scenario, spec: str = DEFAULT_TARGETS, ttr: int | None = None,
            start: int = 0) -> list[Disruption]:
    """The disruptions a stress test runs: `spec` is a comma-separated list of kinds (nodes:
    every node but the sites; lanes; borders: each direction goods cross; countries) and of
    targets by name (a node, a lane "a->b", a border "US>CA", a country, or the id of one of
    the scenario's disruptions, taken as written). Each lasts `ttr` days (default: a scenario
    disruption's own, else DEFAULT_TTR) from day `start`."""
    countries = list(dict.fromkeys(r.country for r in s.regions.values()))
    lanes = [lane.id for lane in s.lanes]
    own = {d.id: d for d in s.disruptions}
    out: list[tuple[str, dict[str, Any]]] = []
    for item in (x.strip() for x in spec.split(",")):
        if not item:
            continue
        if item == "nodes":
            out += [(n, {"node": n}) for n, node in s.nodes.items() if node.kind != "site"]
        elif item == "lanes":
            out += [(lane, {"lane": lane}) for lane in lanes]
        elif item == "borders":
            out += [(f"{a}>{b}", {"border": {"from_country": a, "to_country": b}})
                    for a, b in borders(s)]
        elif item == "countries":
            out += [(c, {"country": c}) for c in countries]
        elif item in own:
            out.append((item, {}))
        elif item in s.nodes:
            out.append((item, {"node": item}))
        elif item in lanes:
            out.append((item, {"lane": item}))
        elif item in countries:
            out.append((item, {"country": item}))
        elif ">" in item and all(c in countries for c in item.split(">", 1)):
            a, b = item.split(">", 1)
            out.append((item, {"border": {"from_country": a, "to_country": b}}))
        else:
            known = list(KINDS) + list(s.nodes) + lanes + countries + list(own)
            raise UsageError("--targets", f"unknown target {item!r}{did_you_mean(item, known)}: "
                             "give nodes, lanes, borders, countries, a node, a lane (a->b), "
                             "a border (US>CA), a country or a disruption's id")
    if not out:
        raise UsageError("--targets", "names no target")
    if ttr is not None and ttr < 1:
        raise UsageError("--ttr", f"must be at least 1 day, got {ttr}")
    if not 0 <= start < s.days:
        raise UsageError("--start", f"must be a day of the horizon (0-{s.days - 1}), got {start}")
    taken = {p.id for p in s.policies} | set(own)
    found: dict[str, Disruption] = {}
    for k, (name, where) in enumerate(dict(out).items()):
        if not where:  # the scenario's own disruption
            d = own[name]
            update: dict[str, Any] = {"enabled": False}
            if ttr is not None:
                update.update(start=start, end=None, days=ttr)
            found[name] = d.model_copy(update=update)
            continue
        sid = f"stress-{k}"
        while sid in taken:
            sid += "-"
        found[name] = Disruption.model_validate(
            {"id": sid, "description": name, "start": start,
             "days": DEFAULT_TTR if ttr is None else ttr, "enabled": False, **where})
    return list(found.values())


def _label(d: Disruption) -> str:
    return d.description if d.id.startswith("stress-") else d.id


def stress(scenario: Scenario | str | Path, variant: str | None = None, target_spec: str = DEFAULT_TARGETS,
           ttr: int | None = None, start: int = 0, allocator: str = "priority",
           optimal_tts: bool = True, progress: Progress | None = None,
           warm_start: bool = True, workers: int = 1, executor: str = "local",
           address: str | None = None) -> StressResult:
    """Run the stress test (module docstring). `allocator`: the one whose runs measure impact
    and `tts_days` (priority: targets in batches; optimal: one LP per target).
    `optimal_tts`: also solve the optimal allocation per target for `tts_optimal_days`.
    `warm_start`: each target's LP starts from the undisrupted optimum's basis where only
    bounds differ (`engine.warm`); False builds and solves every LP afresh (for checks).
    `workers`, `executor`, `address`: where the targets run, as for `sweep` (the same numbers
    wherever they run)."""
    if allocator not in ("priority", "optimal"):
        raise UsageError("--allocator", f"must be priority or optimal, got {allocator!r}")
    runner = find_executor(executor, workers, address)
    s = apply_variant(as_scenario(scenario), variant)
    chosen = targets(s, target_spec, ttr, start)
    names = {d.id for d in chosen}
    base_s = s._carry(s.model_copy(update={"disruptions": [
        d for d in s.disruptions if d.id not in names] + chosen}))
    solved = allocator == "optimal" or optimal_tts
    steps = len(chosen) + 1
    if progress:
        progress(0, steps)
    key = uuid.uuid4().hex
    state = _state(base_s, _Job(key, (), len(chosen), allocator, solved, warm_start))
    if progress and allocator == "optimal":
        progress(1, steps)  # the undisrupted optimum
    # a priority batch as large as memory allows, but one job per worker at least (each job
    # also bisects its targets' optimal TTS); an LP per job. The undisrupted priority run is
    # one more sample of the first batch.
    if allocator == "priority":
        ids = [-1, *range(len(chosen))]
        per = min(chunk_size(state.net), -(-len(ids) // max(1, workers)))
    else:
        ids, per = list(range(len(chosen))), 1
    jobs = [_Job(key, tuple(ids[lo:lo + per]), len(chosen), allocator, solved, warm_start)
            for lo in range(0, len(ids), per)]
    found: dict[int, tuple[_Measures, int | None]] = {}
    try:
        for job, out in runner.map(base_s, jobs, 0, run_targets):
            found.update(zip(job.targets, out, strict=True))
            if progress:
                progress(len(found) + (allocator == "optimal"), steps)
    finally:
        _STATES.pop(key, None)
    base = state.base if state.base is not None else found[-1][0]
    measured = [found[k][0] for k in range(len(chosen))]
    tts_opt = [found[k][1] for k in range(len(chosen))]
    return _table(s, state.net, variant, allocator, ttr, start, chosen, base, measured, tts_opt,
                  solved)


@dataclass(frozen=True)
class _Job:
    """Targets (indices among the run's `n`, the last disruptions of its scenario) to run; `key`
    names the run, so a process compiles the scenario once per run however many jobs it gets."""

    key: str
    targets: tuple[int, ...]
    n: int
    allocator: str
    optimal_tts: bool
    warm_start: bool


@dataclass
class _State:
    """What every job of one run shares within a process."""

    net: Network  # the scenario compiled with every target (disabled)
    chosen: list[Disruption]
    model: Any  # engine.warm's model of the undisrupted LP (optimal allocator, warm), or None
    base: _Measures | None  # the undisrupted optimum's (optimal allocator)
    best: _BestTts | None


_STATES: dict[str, _State] = {}  # the run whose jobs this process works on (one at a time)


def _state(s: Scenario, job: _Job) -> _State:
    if job.key not in _STATES:
        _STATES.clear()
        net = compile_network(s)
        model, base = None, None
        if job.allocator == "optimal":  # (priority's is a sample of the first job's batch)
            model = warm(net) if job.warm_start else None
            base = _measure(net, _optimal(model, net, "stress: undisrupted"))[0]
        first = len(s.disruptions) - job.n
        best = _BestTts(s, job.warm_start, model, base) if job.optimal_tts else None
        _STATES[job.key] = _State(net, list(s.disruptions[first:]), model, base, best)
    return _STATES[job.key]


def run_targets(s: Scenario, job: _Job, seed: int) -> list[tuple[_Measures, int | None]]:
    """An executor's work (`seed` unused: nothing is drawn): per target of the job, what its
    run shows and its time to survive under the optimal allocation (None: survives, or not
    asked for). Target -1 is the undisrupted run (one more sample of a priority batch)."""
    state = _state(s, job)
    if job.allocator == "priority":
        first = len(state.net.policies.disruptions) - job.n
        picked = np.array([first + k if k >= 0 else -1 for k in job.targets], dtype=np.intp)
        gathered = _Gather(state.net, picked.size)
        for day in days(state.net, "priority", picked.size, Sampled(disruption=picked),
                        f"stress targets {job.targets[0]}-{job.targets[-1]}"):
            gathered.add(day)
        measured = gathered.measures()
        compiled: list[Network | None] = [None] * len(job.targets)
    else:
        measured, compiled = [], []
        for k in job.targets:
            d = state.chosen[k]
            own = compile_network(_enabled(s, d))
            measured.append(_measure(own, _optimal(state.model, own, f"stress: {_label(d)}"))[0])
            compiled.append(own)
    # under the optimal allocator a target's run is its whole-horizon LP, which the
    # bisection would otherwise solve again
    tts = [state.best.tts(_enabled(s, state.chosen[k]), state.chosen[k].window(s)[0],
                          float(m.short.sum()) if job.allocator == "optimal" else None, net)
           if state.best and k >= 0 else None
           for k, m, net in zip(job.targets, measured, compiled, strict=True)]
    return list(zip(measured, tts, strict=True))


@dataclass(frozen=True)
class _Measures:
    """What one run (one sample) shows: per day the units its sites were short, per region
    and commodity the unmet demand, the unstaffed patient-days and the shortage cost."""

    short: np.ndarray[Any, Any]  # [T]
    unmet: np.ndarray[Any, Any]  # [G, C]
    demand: np.ndarray[Any, Any]  # [G, C]
    unstaffed: float
    cost: float
    def tts(self, base: _Measures, first: int) -> int | None:
        worse = self.short[first:] > base.short[first:] + TOL * np.maximum(1.0, base.short[first:])
        hit = np.flatnonzero(worse)
        return int(hit[0]) if hit.size else None


class _Gather:
    """What `_Measures` holds, gathered as a run's days come: `add` a DayRecord as
    `Simulator.step` returns it, or a whole Trace; the same numbers either way (every sum over
    days runs in day order)."""

    def __init__(self, net: Network, batch: int) -> None:
        self.net, self.batch, self.day = net, batch, 0
        self.groups = RegionGroups(net)
        self.sites = np.flatnonzero(self.groups.is_site)
        (N, C), G = net.shape, len(net.regions)
        self.short = np.zeros((net.days, batch))
        self.owed = np.zeros((batch, self.sites.size, C))  # yesterday's backlog
        self.demand, self.served = np.zeros((batch, G, C)), np.zeros((batch, G, C))
        self.unstaffed = np.zeros((batch, len(net.care_sites)))
        self.shortage = CostSums(np.zeros((batch, N, C)) if net.inventory.shortage_cost.any()
                                 else None, None, None)

    def add(self, run: Trace | DayRecord) -> None:
        got = Days.of(run)
        one = isinstance(run, DayRecord)
        t = got.demand.shape[0]
        backlog = at_nodes(got.backlog, self.sites)
        owed = np.concatenate([self.owed[None], backlog[:-1]])
        self.short[self.day:self.day + t] = (at_nodes(got.demand, self.sites) + owed -
                                             at_nodes(got.served, self.sites)).sum(axis=(2, 3))
        self.owed = backlog[-1]
        nodes, by_region = self.groups.nodes, self.groups.by_region
        self.demand = self.demand + over_days(by_region(at_nodes(got.demand, nodes)))
        self.served = self.served + over_days(by_region(at_nodes(got.served, nodes)))
        if self.unstaffed.size:
            self.unstaffed = self.unstaffed + over_days(run.unstaffed[None] if one else
                                                        run.unstaffed)
        self.shortage.add(self.net, got)
        self.day += t

    def measures(self) -> list[_Measures]:
        """Per sample of the batch."""
        unmet = np.where(self.demand > 0, self.demand - self.served, 0.0)
        unstaffed = self.unstaffed.sum(axis=1)
        shortage = self.shortage.costs(self.net, self.batch)[0].sum(axis=(1, 2))
        return [_Measures(self.short[:, k], unmet[k], self.demand[k], float(unstaffed[k]),
                          float(shortage[k])) for k in range(self.batch)]


def _measure(net: Network, trace: Trace) -> list[_Measures]:
    """Per sample of the trace."""
    gathered = _Gather(net, trace.demand.shape[1])
    gathered.add(trace)
    return gathered.measures()


def chunk_size(net: Network) -> int:
    """Samples per batch: as many as keep a batch's arc arrays within BATCH_BYTES, and, when
    the batch's trace is held (`engine.streams`), its trace under CHUNK_BYTES."""
    N, C = net.shape
    A, T = net.arc_src.size, net.days
    size = BATCH_BYTES // (8 * max(1, A, N * C))
    if not streams(net, "priority"):
        per_sample = 8 * T * (10 * N * C + 5 * A + 3 * max(1, len(net.care_sites)))
        size = min(size, CHUNK_BYTES // max(1, per_sample))
    return int(max(1, min(256, size)))


def _enabled(s: Scenario, d: Disruption) -> Scenario:
    """`s` with disruption `d` (one of its own) switched on."""
    return s._carry(s.model_copy(update={"disruptions": [
        x.model_copy(update={"enabled": True}) if x.id == d.id else x for x in s.disruptions]}))


class _BestTts:
    """The time to survive under the best allocation, as Simchi-Levi defines it: the longest
    the network can go on meeting demand, with every allocation allowed. A horizon of h days
    is survived when the horizon LP over days 0..h-1 loses no more than it does undisrupted;
    the TTS is the last such h less the start. Found by bisection over h, which takes a
    network that survives h days to survive fewer too; the undisrupted LPs of each h are
    shared by every target. Warm, the whole-horizon LP stands for every h-day LP (the costs
    from day h on set to 0: engine/warmstart.py), re-solved from the undisrupted basis: one
    model for every h, and the undisrupted h-day basis a few pivots from the whole horizon's.
    An h of under half the horizon has an h-day model of its own, as does a target whose LP
    differs from the undisrupted one in more than bounds; warm, its conservation days are the
    first h of the whole horizon's priority run (`optimal.conservation_from`), not a run of
    its own."""

    KEEP = 8  # h-day models held at once, the most recently used

    def __init__(self, base: Scenario, warm_start: bool = True, model: Any = None,
                 measured: _Measures | None = None) -> None:
        """`model`, `measured`: the undisrupted whole-horizon LP's engine.warm model and what
        its optimum shows, where the caller has them already."""
        self.base, self.warm_start = base, warm_start
        h = base.days
        self._lost: dict[int, float] = {} if measured is None else {h: float(measured.short.sum())}
        self._whole = model  # the whole-horizon model (warm; built on first use)
        self._models: dict[int, Any] = {}  # h -> an h-day engine.warm model

    def _model(self, h: int) -> Any:
        if h in self._models:
            self._models[h] = self._models.pop(h)  # most recent last
        else:
            if len(self._models) >= self.KEEP:
                del self._models[next(iter(self._models))]
            net = compile_network(_cut(self.base, h))
            conservation_from(net, self._whole_model().net)
            self._models[h] = warm(net)
        return self._models[h]

    def _short(self, s: Scenario, h: int, own: Network | None) -> float:
        """What `s` (compiled: `own`, when warm) loses over its first h days."""
        what = f"stress: {h} days"
        # under half the horizon, an h-day LP is small enough that building and solving it
        # afresh is quicker than re-solving the whole horizon's (benchmarks/README.md)
        if self.warm_start and own is not None and 2 * h >= s.days:
            trace = self._whole_model().run(own, what, h)
            if trace is not None:
                return float(_measure(own, trace)[0].short[:h].sum())
        net = compile_network(_cut(s, h))
        if self.warm_start and own is not None:  # its priority run's first h days are net's
            conservation_from(net, own)  # (fresh, every network runs its own: the reference)
        trace = _optimal(self._model(h) if self.warm_start else None, net, what)
        return float(_measure(net, trace)[0].short.sum())

    def _survives(self, s: Scenario, h: int, own: Network | None,
                  short: float | None = None) -> bool:
        """`short`: what `s` loses over h days, where the caller knows it."""
        if h not in self._lost:
            self._lost[h] = self._short(self.base, h, self._base_net())
        lost = self._lost[h]
        return (self._short(s, h, own) if short is None else short) <= lost + TOL * max(1.0, lost)

    def _whole_model(self) -> Any:
        if self._whole is None:
            self._whole = warm(compile_network(self.base))
        return self._whole

    def _base_net(self) -> Network | None:
        return self._whole_model().net if self.warm_start else None

    def tts(self, s: Scenario, first: int, short: float | None = None,
            own: Network | None = None) -> int | None:
        """`short`: what `s` loses over the whole horizon under the optimal allocation, where
        the caller has solved for it; `own`: `s` compiled, where the caller has it."""
        if self.warm_start and own is None:
            own = compile_network(s)
        if self._survives(s, s.days, own, short):
            return None
        lo, hi = first, s.days  # survives lo days (nothing lost before the start), not hi
        while hi - lo > 1:
            mid = (lo + hi) // 2
            lo, hi = (mid, hi) if self._survives(s, mid, own) else (lo, mid)
        return lo - first


def _optimal(model: Any, own: Network, what: str) -> Trace:
    """`own`'s optimum: re-solved by `model` (engine.warm) where only bounds differ, else
    built and solved afresh."""
    trace = None if model is None else model.run(own, what)
    return run(own, "optimal", what=what) if trace is None else trace


def _cut(s: Scenario, h: int) -> Scenario:
    """`s` over its first h days, with the demand it has over them: an epidemic that CHIME
    fits over the horizon (no `n_days` of its own) keeps the whole horizon's fit."""
    epidemics = {k: e if e.n_days is not None else e.model_copy(update={"n_days": s.days})
                 for k, e in s.epidemics.items()}
    return s._carry(s.model_copy(update={"days": h, "epidemics": epidemics}))


def _table(s: Scenario, net: Network, variant: str | None, allocator: str, ttr: int | None,
           start: int, chosen: list[Disruption], b: _Measures,
           measured: list[_Measures], tts_opt: list[int | None], solved: bool) -> StressResult:
    basis = "cost" if bool(net.inventory.shortage_cost.any()) else "units"
    total = float(b.demand.sum())
    rows, regions = [], []
    for d, m, opt in zip(chosen, measured, tts_opt, strict=True):
        extra = m.unmet - b.unmet  # [G, C]
        by_region = extra.sum(axis=1)
        impact = float(extra.sum())
        first, last = d.window(s)
        rows.append({
            "target": _label(d), "kind": d.kind, "ttr_days": last - first,
            # the optimal allocation's own timing is arbitrary among equal losses: its TTS
            # is the bisection's (`_BestTts`)
            "tts_days": opt if allocator == "optimal" else m.tts(b, first),
            "tts_optimal_days": opt,
            "impact_units": impact, "impact_pct": 100.0 * impact / total if total > 0 else 0.0,
            "impact_cost": m.cost - b.cost,
            "unstaffed_patient_days": m.unstaffed - b.unstaffed,
            "worst_region": net.regions[int(by_region.argmax())] if by_region.max() > TOL else None,
        })
        for g, c in zip(*np.nonzero(b.demand > 0), strict=True):
            regions.append({"target": _label(d), "region": net.regions[g],
                            "commodity": net.commodities[c], "impact_units": float(extra[g, c]),
                            "impact_pct": 100.0 * float(extra[g, c]) / float(b.demand[g, c])})
    table = pd.DataFrame(rows, columns=[c for c in ROW_COLUMNS if c != "exposure_index"])
    scale = np.maximum(0.0, table["impact_cost" if basis == "cost" else "impact_units"]
                       .to_numpy(dtype=float))
    worst = scale.max(initial=0.0)
    table.insert(ROW_COLUMNS.index("exposure_index"), "exposure_index",
                 scale / worst if worst > TOL else np.zeros(len(table)))
    for col in ("tts_days", "tts_optimal_days"):
        table[col] = table[col].astype("Int64")
    table = table.sort_values(["exposure_index", "target"], ascending=[False, True],
                              kind="stable").reset_index(drop=True)
    return StressResult(s, variant, allocator, ttr, start, basis, solved, table,
                        pd.DataFrame(regions, columns=STRESS_REGIONS.names),
                        tuple(chosen))
