"""Hypothesis strategies: random, small, VALID scenarios (they pass every loader check).

Nodes are numbered n0..nK and lanes only run from a lower to a higher number, so the lane graph
of every commodity is acyclic. Every site has demand, every plant produces, and every plant
input is either held in stock or brought by a lane.
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from typing import Any

from hypothesis import strategies as st

from borderflow.model import Scenario
from borderflow.model.checks import check

START = dt.date(2020, 4, 1)
KINDS = ("plant", "stockpile", "warehouse", "broker", "site")  # upstream to downstream
KIND_MIX = ("plant", "plant", "stockpile", "warehouse", "warehouse", "broker", "site", "site", "site")


# Strategies are built once and reused: building them inside draws dominates the run time.
@cache
def ints(low: int, high: int) -> st.SearchStrategy[int]:
    return st.integers(low, high)


@cache
def one_of(options: tuple[str, ...]) -> st.SearchStrategy[str]:
    return st.sampled_from(options)


@cache
def some_of(options: tuple[str, ...]) -> st.SearchStrategy[frozenset[str]]:
    return st.frozensets(st.sampled_from(options), min_size=1)


BOOL = st.booleans()


@cache
def floats(low: float, high: float) -> st.SearchStrategy[float]:
    # Absurdly small quantities (below 1e-100, subnormals included) become 0: the engine's
    # divisions overflow on them (see test_engine.py::test_tiny_quantities_raise_no_warning).
    return st.floats(low, high, allow_nan=False, allow_infinity=False).map(
        lambda x: 0.0 if abs(x) < 1e-100 else x)


quantities = st.one_of(st.integers(0, 200).map(float), floats(0, 500))


def _day(draw: st.DrawFn, day: int) -> int | dt.date:
    """A day as an integer or as the ISO date it stands for."""
    return START + dt.timedelta(days=day) if draw(BOOL) else day


SERIES_FORMS = ("constant", "steps", "ramp", "per_patient_day")


def series(draw: st.DrawFn, days: int, nested: bool = True) -> Any:
    """A series in one of its forms: constant, steps, ramp, per_patient_day (not csv/epidemic)."""
    form = draw(one_of(SERIES_FORMS if nested else SERIES_FORMS[:3]))
    if form == "constant":
        return draw(quantities)
    if form == "steps":
        starts = sorted({draw(ints(0, days - 1)) for _ in range(draw(ints(1, 4)))})
        return [{"from": _day(draw, d), "value": draw(quantities)} for d in starts]
    if form == "ramp":
        start = draw(ints(0, days - 1))
        end = draw(ints(start, days))
        return {"ramp": {"from": draw(quantities), "to": draw(quantities),
                         "start": _day(draw, start), "end": _day(draw, end)}}
    return {"per_patient_day": draw(floats(0, 5)), "patients": series(draw, days, nested=False)}


@st.composite
def scenario_data(draw: st.DrawFn) -> dict[str, Any]:
    """The plain data of a valid scenario."""
    days = draw(ints(5, 40))
    coms = tuple(f"c{i}" for i in range(draw(ints(1, 3))))
    regions = {f"r{i}": {"country": draw(one_of(("AA", "BB")))} for i in range(draw(ints(1, 3)))}
    region_ids = tuple(regions)
    names = [f"n{i}" for i in range(draw(ints(2, 12)))]
    kinds = [draw(one_of(KIND_MIX)) for _ in names]
    if "site" not in kinds and draw(ints(0, 3)):
        kinds[-1] = "site"
    if draw(ints(0, 3)):  # mostly upstream to downstream: plants first, sites last
        kinds.sort(key=KINDS.index)

    lanes: list[dict[str, Any]] = []
    for j in range(1, len(names)):
        # each node gets up to 3 suppliers among the nodes before it (a site at least one)
        suppliers = draw(ints(1 if kinds[j] == "site" else 0, 3))
        for i in sorted({draw(ints(0, j - 1)) for _ in range(suppliers)}):
            lane: dict[str, Any] = {"from": names[i], "to": names[j], "lead_time": draw(ints(1, 4))}
            options = draw(ints(0, 7))  # bits: capacity, weight, commodities
            if options & 1:
                lane["capacity"] = 0.0 if draw(ints(0, 5)) == 0 else draw(quantities)
            if options & 2:
                lane["weight"] = draw(floats(0.1, 5))
            if options & 4:
                lane["commodities"] = sorted(draw(some_of(coms)))
            lanes.append(lane)

    def brought(node: str, com: str) -> bool:
        return any(lane["to"] == node and com in lane.get("commodities", coms) for lane in lanes)

    nodes: dict[str, Any] = {}
    for name, kind in zip(names, kinds, strict=True):
        node: dict[str, Any] = {"kind": kind, "region": draw(one_of(region_ids))}
        stock = {c: draw(quantities) for c in coms if draw(BOOL)}
        if kind == "site":
            node["demand"] = {c: series(draw, days) for c in sorted(draw(some_of(coms)))}
        if kind == "plant":
            produce = {}
            for c in sorted(draw(some_of(coms))):
                inputs = {}
                others = tuple(x for x in coms if x != c)
                if others and draw(BOOL):
                    for i in sorted(draw(some_of(others))):
                        inputs[i] = draw(floats(0.01, 3))
                        if stock.get(i, 0) <= 0 and not brought(name, i):
                            stock[i] = draw(floats(1, 500))
                produce[c] = {"capacity": series(draw, days), "inputs": inputs}
            node["produce"] = produce
        if stock:
            node["stock"] = stock
        if draw(BOOL):
            node["target_days"] = float(draw(ints(0, 20))) if draw(BOOL) else draw(floats(0, 20))
        nodes[name] = node

    return {
        "format": 1,
        "name": "random",
        "start": START,
        "days": days,
        "commodities": {c: {"unit": "u"} for c in coms},
        "regions": regions,
        "nodes": nodes,
        "lanes": lanes,
    }


def to_scenario(data: dict[str, Any]) -> Scenario:
    scenario = Scenario.model_validate(data)
    problems = check(scenario)
    assert not problems, problems  # a bug in this strategy, not in the engine
    return scenario


scenarios = scenario_data().map(to_scenario)
