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


SERIES_FORMS = ("constant", "steps", "ramp", "per_patient_day", "burn")


def series(draw: st.DrawFn, days: int, nested: bool = True) -> Any:
    """A series in one of its forms: constant, steps, ramp, per_patient_day, burn (a list of
    per_patient_day settings); not csv or epidemic."""
    form = draw(one_of(SERIES_FORMS if nested else SERIES_FORMS[:3]))
    if form == "constant":
        return draw(quantities)
    if form == "steps":
        # steps and ramps may begin before day 0
        starts = sorted({draw(ints(-3, days - 1)) for _ in range(draw(ints(1, 4)))})
        return [{"from": _day(draw, d), "value": draw(quantities)} for d in starts]
    if form == "ramp":
        start = draw(ints(-3, days - 1))
        end = draw(ints(start, days))
        return {"ramp": {"from": draw(quantities), "to": draw(quantities),
                         "start": _day(draw, start), "end": _day(draw, end)}}
    if form == "burn":
        return [{"per_patient_day": draw(floats(0, 5)), "patients": series(draw, days, nested=False)}
                for _ in range(draw(ints(1, 3)))]
    return {"per_patient_day": draw(floats(0, 5)), "patients": series(draw, days, nested=False)}


@st.composite
def scenario_data(draw: st.DrawFn) -> dict[str, Any]:
    """The plain data of a valid scenario."""
    days = draw(ints(5, 40))
    coms = tuple(f"c{i}" for i in range(draw(ints(1, 3))))
    regions = {f"r{i}": {"country": draw(one_of(("US", "CA")))} for i in range(draw(ints(1, 3)))}
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
            if draw(ints(0, 3)) == 0:  # a share of deliveries rejected on arrival
                lane["yield"] = draw(floats(0.5, 1))
            lanes.append(lane)

    def brought(node: str, com: str) -> bool:
        return any(lane["to"] == node and com in lane.get("commodities", coms) for lane in lanes)

    nodes: dict[str, Any] = {}
    for name, kind in zip(names, kinds, strict=True):
        node: dict[str, Any] = {"kind": kind, "region": draw(one_of(region_ids))}
        stock = {c: draw(quantities) for c in coms if draw(BOOL)}
        if kind == "site":
            node["demand"] = {c: series(draw, days) for c in sorted(draw(some_of(coms)))}
            if len(coms) > 1 and draw(ints(0, 2)) == 0:  # commodities used for others
                rules = {(draw(one_of(tuple(node["demand"]))), draw(one_of(coms)))
                         for _ in range(draw(ints(1, 3)))}
                node["substitutes"] = [
                    {"for": f, "use": u, **({"ratio": draw(floats(0.25, 4))} if draw(BOOL) else {})}
                    for f, u in sorted(rules) if f != u]
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


def _covered_lanes(data: dict[str, Any], policy: dict[str, Any]) -> list[str]:
    """Lanes an export control covers (as `check` sees them): leaving its country for another."""
    country = {n: data["regions"][node["region"]]["country"] for n, node in data["nodes"].items()}
    out = []
    for lane in data["lanes"]:
        a, b = country[lane["from"]], country[lane["to"]]
        kinds = policy.get("from_kinds")
        if a == policy["from_country"] and b != a and \
                (policy["to_countries"] == "*" or b in policy["to_countries"]) and \
                (kinds is None or data["nodes"][lane["from"]]["kind"] in kinds):
            out.append(f"{lane['from']}->{lane['to']}")
    return out


@st.composite
def policies(draw: st.DrawFn, data: dict[str, Any]) -> list[dict[str, Any]]:
    """Random valid policies of every type for the scenario `data`."""
    days = data["days"]
    coms = list(data["commodities"])
    nodes = data["nodes"]
    countries = sorted({r["country"] for r in data["regions"].values()})
    out: list[dict[str, Any]] = []

    def window() -> dict[str, Any]:
        start = draw(st.integers(-3, days - 1))  # a policy may be dated before day 0
        w: dict[str, Any] = {"start": _day(draw, start)}
        if draw(st.booleans()):
            w["end"] = _day(draw, draw(st.integers(start + 1, days)))
        return w

    for k in range(draw(st.integers(0, 3))):
        p: dict[str, Any] = {"id": f"ec{k}", "type": "export_control", **window(),
                             "from_country": draw(st.sampled_from(countries)),
                             "to_countries": draw(st.one_of(st.just("*"), st.lists(
                                 st.sampled_from(countries), min_size=1, max_size=2, unique=True))),
                             "commodities": draw(st.one_of(st.just("*"), st.lists(
                                 st.sampled_from(coms), min_size=1, unique=True))),
                             "action": draw(st.sampled_from(["ban", "quota"]))}
        if p["action"] == "quota":
            limits = draw(st.sampled_from([("quota_per_day",), ("quota_total",),
                                           ("quota_per_day", "quota_total")]))
            for field in limits:
                p[field] = draw(quantities) * (days if field == "quota_total" else 1)
        if draw(st.booleans()):
            p["from_kinds"] = draw(st.lists(st.sampled_from(KINDS), min_size=1, unique=True))
        exemptions = []
        covered = _covered_lanes(data, p)
        if covered and draw(st.booleans()):
            ex: dict[str, Any] = {"lanes": draw(st.lists(st.sampled_from(covered), min_size=1,
                                                         unique=True))}
            exemptions.append(ex)
        if draw(st.booleans()):
            exemptions.append({"to_countries": [draw(st.sampled_from(countries))]})
        if draw(st.booleans()):
            exemptions.append(draw(st.sampled_from([{"to_kinds": ["site"]},
                                                    {"to_nodes": [sorted(nodes)[0]]}])))
        for ex in exemptions:
            if draw(st.booleans()):
                ex["quota_per_day"] = draw(quantities)
            if draw(st.booleans()):
                ex["quota_total"] = draw(quantities) * 3
            if draw(st.booleans()):  # its own days
                first = draw(st.integers(-2, days - 1))
                ex["start"] = first
                if draw(st.booleans()):
                    ex["end"] = draw(st.integers(first + 1, days))
        if exemptions:
            p["exemptions"] = exemptions
        out.append(p)

    lanes = [(lane["from"], lane["to"], c) for lane in data["lanes"]
             for c in lane.get("commodities", coms)]
    for k in range(draw(st.integers(0, 3)) if lanes else 0):
        src, dst, com = draw(st.sampled_from(lanes))
        start = draw(st.integers(0, days - 2))
        out.append({"id": f"ro{k}", "type": "rated_order", "supplier": src, "buyer": dst,
                    "commodity": com, "quantity": draw(st.floats(1, 500, allow_nan=False)),
                    "rating": draw(st.sampled_from(["DX", "DO"])), "start": start,
                    "due": draw(st.integers(start + 1, days)),
                    "schedule": draw(st.sampled_from(["even", "asap"]))})

    pairs = {(lane["from"], lane["to"]) for lane in data["lanes"]}
    free = [(a, b) for a in nodes for b in nodes if a != b and (a, b) not in pairs]
    for k in range(draw(st.integers(0, 2)) if free else 0):
        src, dst = draw(st.sampled_from(free))
        flights: Any = draw(st.one_of(
            st.lists(st.integers(0, days - 1), min_size=1, max_size=4),
            st.builds(lambda e, c: {"every": e, "count": c}, st.integers(1, 5), st.integers(1, 6))))
        out.append({"id": f"air{k}", "type": "airlift", "from": src, "to": dst,
                    "commodity": draw(st.sampled_from(coms)), "flights": flights,
                    "units_per_flight": draw(st.floats(1, 300, allow_nan=False)),
                    "flight_days": draw(st.integers(1, 4))})

    for k in range(draw(st.integers(0, 1))):
        arrivals = draw(st.lists(st.integers(0, days - 1), min_size=1, max_size=3))
        out.append({"id": f"gift{k}", "type": "delivery", "to": draw(st.sampled_from(list(nodes))),
                    "commodity": draw(st.sampled_from(coms)), **window(),
                    "arrivals": [{"day": d, "quantity": draw(st.floats(1, 300, allow_nan=False))}
                                 for d in arrivals]})

    for k, name in enumerate(n for n, node in nodes.items() if node["kind"] == "stockpile"):
        if draw(st.booleans()):
            p = {"id": f"rel{k}", "type": "stockpile_release", "stockpile": name, **window()}
            if draw(st.booleans()):
                p["max_per_day"] = draw(quantities)
            out.append(p)

    sites = [n for n, node in nodes.items() if node["kind"] == "site"]
    if sites and draw(st.booleans()):
        below = draw(st.floats(0.5, 10, allow_nan=False))
        lift = draw(st.none() | st.floats(below, 2 * below, allow_nan=False))
        out.append({"id": "save", "type": "conservation", **window(),
                    "sites": draw(st.lists(st.sampled_from(sites), min_size=1, unique=True)),
                    "below_days_of_supply": below,
                    "multiplier": draw(st.floats(0.1, 1, allow_nan=False)),
                    **({} if lift is None else {"lift_above_days_of_supply": lift})})

    controls = [p["id"] for p in out if p["type"] == "export_control"]
    if len(controls) >= 2 and draw(st.booleans()):
        target = next(p for p in out if p["id"] == controls[-1])
        target["enabled"] = False
        regions = sorted({node["region"] for node in nodes.values() if node["kind"] == "site"})
        when: dict[str, Any] = {"policy": controls[0]}
        if regions and draw(st.booleans()):  # or when a region runs short
            when = {"region": draw(st.sampled_from(regions)), "commodity": draw(st.sampled_from(coms)),
                    "days_of_supply_below": draw(st.floats(0.5, 5, allow_nan=False))}
        out.append({"id": "hit-back", "type": "retaliation",
                    "when": {**when, "active_days": draw(st.integers(0, 5))},
                    "activate": [controls[-1]], "after_days": draw(st.integers(0, 3))})
    return out


@st.composite
def scenarios_with_policies(draw: st.DrawFn) -> Scenario:
    """A valid scenario with random policies of every type."""
    data = draw(scenario_data())
    data["policies"] = draw(policies(data))
    scenario = Scenario.model_validate(data)
    assert check(scenario) == [], check(scenario)
    return scenario


@st.composite
def inventory_data(draw: st.DrawFn) -> dict[str, Any]:
    """A random scenario whose nodes take random inventory decisions: forecasts, replenishment
    rules, backlogs, make-to-order, sharing rules, costs; lanes with costs, shared capacities
    and goods in the pipeline."""
    data = draw(scenario_data())
    coms = list(data["commodities"])
    for name, node in data["nodes"].items():
        kind = node["kind"]
        if kind != "stockpile" and draw(st.booleans()):
            node["forecast"] = draw(st.one_of(
                st.builds(lambda p: {"moving_average": p}, st.integers(1, 6)),
                st.builds(lambda a: {"exponential": a}, st.floats(0.05, 1.0))))
        if kind != "stockpile" and draw(st.booleans()):
            rule = draw(st.sampled_from(["order_up_to", "base_stock", "s_S", "r_Q"]))
            r: dict[str, Any] = {"rule": rule, "review_days": draw(st.integers(1, 4))}
            if rule == "order_up_to":
                r["safety_days"] = draw(st.floats(0, 5))
                r["safety_z"] = draw(st.floats(0, 3))
            elif rule == "base_stock":
                r["level"] = draw(quantities)
            elif rule == "s_S":
                low = draw(quantities)
                r["reorder_point"], r["level"] = low, low + draw(quantities)
            else:
                r["reorder_point"] = draw(quantities)
                r["quantity"] = draw(st.floats(1, 500))
            node["replenishment"] = r
        if kind == "site":
            if draw(st.booleans()):
                node["unmet"] = "backlog"
            if draw(st.booleans()):
                node["shortage_cost"] = draw(st.floats(0.1, 10))
        if kind == "plant" and draw(st.booleans()):
            node["make"] = "to_order"
        if draw(st.booleans()):
            node["holding_cost"] = draw(st.floats(0, 0.1))
        buyers = sorted({lane["to"] for lane in data["lanes"] if lane["from"] == name})
        if buyers and draw(st.booleans()):
            rule = draw(st.sampled_from(["pro_rata_use", "priority", "shares"]))
            a: dict[str, Any] = {"rule": rule}
            if rule == "priority":
                a["order"] = draw(st.lists(st.sampled_from(buyers), min_size=1, unique=True))
            elif rule == "shares":
                a["shares"] = {b: draw(st.floats(0.1, 5)) for b in
                               draw(st.lists(st.sampled_from(buyers), min_size=1, unique=True))}
            node["allocation"] = a
    for lane in data["lanes"]:
        carried = lane.get("commodities", coms)
        if draw(st.booleans()):
            lane["cost_per_unit"] = draw(st.floats(0, 2))
        if draw(st.integers(0, 3)) == 0:
            lane["capacity_total"] = draw(quantities)
        if carried and draw(st.booleans()):
            lane["in_transit"] = {draw(st.sampled_from(carried)): draw(quantities)}
    return data


inventory_scenarios = inventory_data().map(to_scenario)
