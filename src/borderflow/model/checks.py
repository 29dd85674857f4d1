"""Checks that need the whole scenario: references, graph shape, horizon, files.

Each check yields (path, message); `load` turns them into located problems.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path as FsPath
from typing import Any

from . import countries, disruptions
from .csvdata import CsvError, read_column
from .errors import Path
from .inventory import RULE_FIELDS
from .messages import did_you_mean
from .policies.base import in_horizon, ref
from .scenario import Choice, Node, Scenario, Triangular, Uniform
from .series import Csv, EpidemicCensus, PerPatientDay, Ramp, Step

Found = Iterator[tuple[Path, str]]


def check(s: Scenario) -> list[tuple[Path, str]]:
    found: list[tuple[Path, str]] = []
    for checker in (countries.check, _places, _nodes, _lanes, _graph, _series_all, _policies,
                    disruptions.check, _care, _variants, _epidemics, _uncertainty):
        found.extend(checker(s))
    return found




def _places(s: Scenario) -> Found:
    for section, entries in (("regions", s.regions), ("nodes", s.nodes)):
        for eid, entry in entries.items():
            if (entry.lat is None) != (entry.lon is None):
                given, missing = ("lat", "lon") if entry.lon is None else ("lon", "lat")
                yield (section, eid, missing), f"a place needs both lat and lon ({given} is given)"


def _nodes(s: Scenario) -> Found:
    for nid, node in s.nodes.items():
        at: Path = ("nodes", nid)
        yield from ref((*at, "region"), "region", node.region, s.regions)
        for c in node.stock:
            yield from ref((*at, "stock", c), "commodity", c, s.commodities)
        for c in node.demand:
            yield from ref((*at, "demand", c), "commodity", c, s.commodities)
        for c, prod in node.produce.items():
            yield from ref((*at, "produce", c), "commodity", c, s.commodities)
            for i in prod.inputs:
                yield from ref((*at, "produce", c, "inputs", i), "commodity", i, s.commodities)
                if i == c:
                    yield (*at, "produce", c, "inputs", i), "a commodity cannot be its own input"
        if node.kind == "site" and not node.demand:
            yield (*at, "demand"), "a site needs demand for at least one commodity"
        if node.kind != "site" and node.demand:
            yield (*at, "demand"), f"only sites have demand (this node is a {node.kind})"
        if node.kind == "plant" and not node.produce:
            yield (*at, "produce"), "a plant needs produce for at least one commodity"
        if node.kind != "plant" and node.produce:
            yield (*at, "produce"), f"only plants produce (this node is a {node.kind})"
        yield from _substitutes(s, node, at)
        yield from _inventory(s, nid, node, at)


def _substitutes(s: Scenario, node: Node, at: Path) -> Found:
    """Each rule names two known commodities, different ones, the first demanded at a site."""
    if node.substitutes and node.kind != "site":
        yield (*at, "substitutes"), f"only sites have substitutes (this node is a {node.kind})"
        return
    seen: dict[tuple[str, str], int] = {}
    for j, sub in enumerate(node.substitutes):
        sp: Path = (*at, "substitutes", j)
        yield from ref((*sp, "for"), "commodity", sub.for_, s.commodities)
        yield from ref((*sp, "use"), "commodity", sub.use, s.commodities)
        if sub.for_ == sub.use:
            yield (*sp, "use"), f"a commodity cannot substitute for itself ({sub.use})"
        elif sub.for_ in s.commodities and sub.for_ not in node.demand:
            yield (*sp, "for"), f"the site has no demand for {sub.for_}, so nothing to " \
                "substitute for"
        key = (sub.for_, sub.use)
        if key in seen:
            yield sp, f"duplicate substitute {sub.use} for {sub.for_} (first is " \
                      f"substitutes.{seen[key]})"
        seen.setdefault(key, j)


def _only(at: Path, node: Node, field: str, kind: str, is_set: bool) -> Found:
    if is_set and node.kind != kind:
        yield (*at, field), f"only {kind}s have {field} (this node is a {node.kind})"


def _inventory(s: Scenario, nid: str, node: Node, at: Path) -> Found:
    """Forecasts, replenishment rules, backlogs, make-to-order, costs and allocation rules."""
    yield from _only(at, node, "unmet", "site", node.unmet != "lost")
    yield from _only(at, node, "shortage_cost", "site", node.shortage_cost is not None)
    yield from _only(at, node, "make", "plant", node.make != "to_stock")
    if node.kind == "stockpile":
        for field in ("forecast", "replenishment"):
            if getattr(node, field) is not None:
                yield (*at, field), "a stockpile does not order (it ships while a release lets it)"
    r = node.replenishment
    if r is not None:
        rp: Path = (*at, "replenishment")
        allowed, needed = RULE_FIELDS[r.rule]
        for field in ("level", "reorder_point", "quantity", "safety_days", "safety_z"):
            value = getattr(r, field)
            given = value is not None and value != 0.0
            if field in needed and value is None:
                yield (*rp, field), f"the {r.rule} rule needs {field}"
            elif given and field not in allowed:
                yield (*rp, field), f"the {r.rule} rule has no {field}"
            if isinstance(value, dict):
                for c in value:
                    yield from ref((*rp, field, c), "commodity", c, s.commodities)
        if r.rule == "s_S" and r.level is not None and r.reorder_point is not None:
            for c in s.commodities:
                low, high = _of(r.reorder_point, c), _of(r.level, c)
                if low > high:
                    yield (*rp, "level"), (f"the level S ({high:g} {c}) is below the reorder point s "
                                           f"({low:g}); (s, S) orders up to S once at or below s")
                    break
    a = node.allocation
    if a is not None:
        ap: Path = (*at, "allocation")
        buyers = [lane.to for lane in s.lanes if lane.from_ == nid]
        for field, owner in (("order", "priority"), ("shares", "shares")):
            value = getattr(a, field)
            if a.rule == owner and value is None:
                yield (*ap, field), f"the {owner} rule needs {field}"
            elif a.rule != owner and value is not None:
                yield (*ap, field), f"{field} is for the {owner} rule (this is {a.rule})"
            for j, b in enumerate(value or []):
                where: Path = (*ap, field, j if field == "order" else b)
                if b not in buyers:
                    yield where, f"{b!r} is not a buyer of {nid} (no lane {nid}->{b})" \
                                 f"{did_you_mean(b, buyers)}"


def _of(value: float | dict[str, float], commodity: str) -> float:
    return value.get(commodity, 0.0) if isinstance(value, dict) else value


def _lanes(s: Scenario) -> Found:
    seen: dict[str, int] = {}
    for i, lane in enumerate(s.lanes):
        at: Path = ("lanes", i)
        yield from ref((*at, "from"), "node", lane.from_, s.nodes)
        yield from ref((*at, "to"), "node", lane.to, s.nodes)
        if lane.from_ == lane.to:
            yield (*at, "to"), "a lane cannot lead from a node to itself"
        for j, c in enumerate(lane.commodities or []):
            yield from ref((*at, "commodities", j), "commodity", c, s.commodities)
        if lane.id in seen:
            yield at, f"duplicate lane {lane.id} (first is lanes.{seen[lane.id]}); " \
                      "list its commodities on one lane"
        seen.setdefault(lane.id, i)
        for c in lane.in_transit:
            if c not in s.commodities:
                yield from ref((*at, "in_transit", c), "commodity", c, s.commodities)
            elif c not in s.lane_commodities(lane):
                yield (*at, "in_transit", c), f"the lane does not carry {c}"


def _graph(s: Scenario) -> Found:
    carried = [set(s.lane_commodities(lane)) for lane in s.lanes]  # once, not per commodity
    known = [lane.from_ in s.nodes and lane.to in s.nodes for lane in s.lanes]
    for c in s.commodities:
        lanes = [i for i, cs in enumerate(carried) if c in cs]
        arcs = [(i, s.lanes[i].from_, s.lanes[i].to) for i in lanes if known[i]]
        # a lane from a node not known brings the input all the same: its unknown end is the
        # one problem (reported by _lanes), not also the plant it leads to
        brought = {s.lanes[i].to for i in lanes}
        for nid, node in s.nodes.items():
            for out, prod in node.produce.items():
                for i in prod.inputs:
                    # a plant making its own input (media for its masks) is supplied too
                    if i == c and node.stock.get(i, 0) <= 0 and i not in node.produce \
                            and nid not in brought:
                        yield ("nodes", nid, "produce", out, "inputs", i), \
                            f"this plant needs {i} but holds none in stock, makes none and " \
                            "no lane brings it"
        # a lane from a node to itself is reported by _lanes; it is not also a cycle here
        cycle = _find_cycle([(a, b) for _, a, b in arcs if a != b])
        if cycle:
            first = next(i for i, a, b in arcs if (a, b) == (cycle[-2], cycle[-1]))
            yield ("lanes", first), f"the lanes carrying {c} form a cycle: {' -> '.join(cycle)}"


def _find_cycle(edges: list[tuple[str, str]]) -> list[str] | None:
    graph: dict[str, list[str]] = {}
    for a, b in edges:
        graph.setdefault(a, []).append(b)
    state: dict[str, int] = {}  # 1 on the stack, 2 done
    for root in graph:
        if state.get(root):
            continue
        stack: list[tuple[str, Iterator[str]]] = [(root, iter(graph.get(root, [])))]
        state[root] = 1
        while stack:
            node, it = stack[-1]
            nxt = next(it, None)
            if nxt is None:
                state[node] = 2
                stack.pop()
            elif state.get(nxt) == 1:
                names = [n for n, _ in stack]
                return [*names[names.index(nxt):], nxt]
            elif not state.get(nxt):
                state[nxt] = 1
                stack.append((nxt, iter(graph.get(nxt, []))))
    return None




def _series(s: Scenario, path: Path, series: Any) -> Found:
    if isinstance(series, list) and not (series and isinstance(series[0], PerPatientDay)):
        last: int | None = None
        for i, step in enumerate(series):
            assert isinstance(step, Step)
            problems = list(in_horizon(s, (*path, i, "from"), step.from_, early=True))
            yield from problems
            d = s.day(step.from_)
            if not problems and last is not None and d <= last:
                yield (*path, i, "from"), "steps must be in increasing order of day"
            last = d if last is None else max(last, d)
    elif isinstance(series, Ramp):
        yield from in_horizon(s, (*path, "ramp", "start"), series.ramp.start, early=True)
        yield from in_horizon(s, (*path, "ramp", "end"), series.ramp.end, end=True, early=True)
        if s.day(series.ramp.end) < s.day(series.ramp.start):
            yield (*path, "ramp", "end"), "the ramp ends before it starts"
    elif isinstance(series, Csv):
        yield from _csv(s, path, series)
    elif isinstance(series, PerPatientDay):
        yield from _series(s, (*path, "patients"), series.patients)
    elif isinstance(series, list) and series and isinstance(series[0], PerPatientDay):
        for i, setting in enumerate(series):
            yield from _series(s, (*path, i), setting)
    elif isinstance(series, EpidemicCensus):
        yield from ref((*path, "epidemic"), "epidemic", series.epidemic, s.epidemics)


def _csv(s: Scenario, path: Path, series: Csv) -> Found:
    file = (s.base_dir or FsPath.cwd()) / series.csv
    try:
        values = read_column(file, series.column)
    except CsvError as e:
        yield (*path, "csv" if e.about_file else "column"), str(e)
        return
    if len(values) < s.days:
        yield (*path, "csv"), f"{series.csv} has {len(values)} rows of {series.column!r}; " \
                             f"the horizon needs {s.days}"


def _series_all(s: Scenario) -> Found:
    for nid, node in s.nodes.items():
        for c, series in node.demand.items():
            yield from _series(s, ("nodes", nid, "demand", c), series)
        for c, prod in node.produce.items():
            yield from _series(s, ("nodes", nid, "produce", c, "capacity"), prod.capacity)
    for site, care in s.care.items():
        yield from _series(s, ("care", site, "patients"), care.patients)




def _policies(s: Scenario) -> Found:
    """What every policy needs (a unique id, dates in the horizon), then its type's checks."""
    for j, rating in enumerate(s.ratings):
        if rating in s.ratings[:j]:
            yield ("ratings", j), f"duplicate rating {rating!r}"
    seen: dict[str, int] = {}
    for i, p in enumerate(s.policies):
        at: Path = ("policies", i)
        if p.id in seen:
            yield (*at, "id"), f"duplicate policy id {p.id!r} (first is policies.{seen[p.id]})"
        seen.setdefault(p.id, i)
        yield from in_horizon(s, (*at, "start"), p.start, early=True)
        if p.end is not None:
            yield from in_horizon(s, (*at, "end"), p.end, end=True, early=True)
            if s.day(p.end) <= s.day(p.start):
                yield (*at, "end"), "a policy must end after it starts"
        yield from p.check(s, at)




def _care(s: Scenario) -> Found:
    seen: set[str] = set()
    for i, w in enumerate(s.workforce):
        at: Path = ("workforce", i)
        if w.id in seen:
            yield (*at, "id"), f"duplicate workforce id {w.id!r}"
        seen.add(w.id)
        yield from ref((*at, "home_region"), "region", w.home_region, s.regions)
        yield from ref((*at, "site"), "node", w.site, s.nodes)
        if w.site in s.nodes and w.site not in s.care:
            yield (*at, "site"), f"site {w.site} has no entry under care"
    for site in s.care:
        yield from ref(("care", site), "node", site, s.nodes)
        if site in s.nodes and s.nodes[site].kind != "site":
            yield ("care", site), f"{site} is a {s.nodes[site].kind}, not a site"


def _variants(s: Scenario) -> Found:
    ids = [p.id for p in s.policies] + [d.id for d in s.disruptions]
    kind = "policy or disruption" if s.disruptions else "policy"
    for name, v in s.variants.items():
        for key in ("disable", "enable"):
            for j, q in enumerate(getattr(v, key)):
                yield from ref(("variants", name, key, j), kind, q, ids)


def _epidemics(s: Scenario) -> Found:
    for eid, e in s.epidemics.items():
        at: Path = ("epidemics", eid)
        if e.doubling_time is None and e.date_first_hospitalized is None:
            yield at, "needs doubling_time or date_first_hospitalized (one of them)"
        elif e.doubling_time is not None and e.date_first_hospitalized is not None:
            yield (*at, "date_first_hospitalized"), \
                "give doubling_time or date_first_hospitalized, not both"
        elif e.date_first_hospitalized is not None and e.date_first_hospitalized >= s.start:
            yield (*at, "date_first_hospitalized"), \
                f"must be before the scenario's start ({s.start.isoformat()}), " \
                f"got {e.date_first_hospitalized.isoformat()}"
        if e.hospitalized.rate == 0:
            yield (*at, "hospitalized", "rate"), "must be above 0: CHIME starts the epidemic " \
                "from 1 / (market_share x hospitalized.rate) infections"
        elif e.population <= (first := 1 / (e.market_share * e.hospitalized.rate)):
            yield (*at, "population"), f"must be more than the {first:g} people CHIME takes as " \
                "infected when the first patient is hospitalised (1 / (market_share x " \
                "hospitalized.rate))"


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _uncertainty(s: Scenario) -> Found:
    """Each path must name a number (or, with `scale: true`, a number or a series)."""
    from .paths import PathError, get_path

    for path, dist in s.uncertainty.items():
        try:
            value = get_path(s, path)
        except PathError as e:
            yield ("uncertainty", path), str(e)
            continue
        parts = path.split(".")
        is_series = (len(parts) == 4 and parts[0] == "nodes" and parts[2] == "demand") or \
            (len(parts) == 5 and parts[0] == "nodes" and parts[2] == "produce" and parts[4] == "capacity")
        if dist.scale:
            if not (_is_number(value) or is_series or (parts[0] == "lanes" and parts[-1] == "capacity")):
                yield ("uncertainty", path), f"{path} is neither a number nor a series; " \
                    "`scale: true` multiplies a number or a whole series"
        elif not _is_number(value):
            hint = " (use `scale: true` to multiply a whole series)" if is_series else ""
            yield ("uncertainty", path), f"{path} is not a number in this scenario{hint}"
        if isinstance(dist, Uniform | Triangular) and dist.low > dist.high:
            yield ("uncertainty", path, "high"), f"high ({dist.high:g}) is below low ({dist.low:g})"
        elif isinstance(dist, Triangular) and not dist.low <= dist.mode <= dist.high:
            yield ("uncertainty", path, "mode"), \
                f"mode ({dist.mode:g}) must lie between low ({dist.low:g}) and high ({dist.high:g})"
        elif isinstance(dist, Choice) and dist.weights is not None:
            if len(dist.weights) != len(dist.values):
                yield ("uncertainty", path, "weights"), f"{len(dist.weights)} weights for " \
                    f"{len(dist.values)} values; give one weight per value"
            elif sum(dist.weights) <= 0:
                yield ("uncertainty", path, "weights"), "at least one weight must be above 0"
