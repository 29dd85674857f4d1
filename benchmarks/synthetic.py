"""Synthetic supply networks of any size, for benchmarks.

`scenario_dict(regions, nodes, lanes, commodities, days, seed)` returns a plain dict in the
scenario format (version 1) that `Scenario.model_validate` accepts and `check` finds sound;
`build(...)` validates and checks it; `to_yaml(d)` gives YAML text for `borderflow.model.loads`
(JSON is YAML). The network is tiered, so the lane graph of every commodity is acyclic:

    raw-material plants -> product plants -> warehouses (regional, then local) -> sites

(a quarter of the warehouses are regional and may supply the others; all may supply sites).
- plants (about 4% of nodes; at least one per commodity): each makes one or two commodities
  at a capacity sized so that, per commodity, total capacity is `supply_ratio` x total demand.
  With two or more commodities and `inputs=True`, commodity 0 is a raw material made by a few
  plants and used by the others (0.05 per unit made), brought in over plant -> plant lanes;
- warehouses (about 20%): order up to 14 days of the requests they receive (the default);
- sites (the rest): hospitals with demand for a random subset of the commodities (never the
  raw material); demand is a constant, a list of steps or a ramp. They order up to 7 days;
- lanes: every warehouse has a supplier of every product (a plant), every site a supplier (a
  warehouse of its own region when there is one), every plant a customer; the rest are drawn at random among
  the allowed tier pairs. Lead times are 1-5 days; about `capped_share` of lanes have a
  capacity (1.5-4 x the average daily flow they are likely to carry) and about a quarter of
  the optional lanes carry only some of the commodities.

Everything is drawn from one `numpy.random.Generator(seed)`: same arguments, same scenario.
Generation is vectorised (a 500-node, 2,000-lane network takes milliseconds); only the final
conversion to the dict walks the nodes and lanes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import numpy as np
import pycountry

from borderflow.model import Scenario
from borderflow.model.checks import check

IntArray = np.ndarray[Any, np.dtype[np.intp]]
FloatArray = np.ndarray[Any, np.dtype[np.float64]]

RAW_RATIO = 0.05  # units of raw material per unit of product
ISO = sorted(str(c.alpha_2) for c in pycountry.countries)  # countries are ISO codes


@dataclass(frozen=True)
class Size:
    regions: int
    nodes: int
    lanes: int
    commodities: int
    days: int
    seed: int = 0

    def label(self) -> str:
        return (f"{self.regions} regions x {self.nodes} nodes x {self.lanes} lanes x "
                f"{self.commodities} commodities x {self.days} days")


def tiers(nodes: int, commodities: int, inputs: bool) -> tuple[int, int, int, int]:
    """(raw plants, product plants, warehouses, sites) for a network of `nodes` nodes."""
    raw_input = inputs and commodities >= 2
    products = commodities - 1 if raw_input else commodities
    n_raw = max(1, round(0.01 * nodes)) if raw_input else 0
    n_prod = max(products, round(0.04 * nodes) - n_raw)
    n_wh = max(1, round(0.20 * nodes))
    n_site = nodes - n_raw - n_prod - n_wh
    if n_site < 1:
        raise ValueError(f"{nodes} nodes are too few for {commodities} commodities: need at least "
                         f"{n_raw + n_prod + n_wh + 1}")
    return n_raw, n_prod, n_wh, n_site


def min_lanes(nodes: int, commodities: int, inputs: bool = True) -> int:
    """The fewest lanes that connect every node (one supplier each, one customer per plant)."""
    n_raw, n_prod, n_wh, n_site = tiers(nodes, commodities, inputs)
    products = commodities - 1 if n_raw else commodities
    return n_prod * (n_raw > 0) + n_wh * products + n_site + n_prod


def _unique_pairs(src: IntArray, dst: IntArray, n: int) -> tuple[IntArray, IntArray]:
    """Drop repeated (src, dst) pairs, keeping the first of each, in order."""
    code = src * n + dst
    _, first = np.unique(code, return_index=True)
    keep = np.sort(first)
    return src[keep], dst[keep]


def scenario_dict(regions: int, nodes: int, lanes: int, commodities: int, days: int,
                  seed: int = 0, *, supply_ratio: float = 0.95, capped_share: float = 0.3,
                  inputs: bool = True) -> dict[str, Any]:
    """A valid scenario (format 1) as plain Python data; see the module docstring."""
    if regions < 1 or commodities < 1 or days < 1:
        raise ValueError("regions, commodities and days must be at least 1")
    rng = np.random.default_rng(seed)
    N, C, T = nodes, commodities, days
    n_raw, n_prod, n_wh, n_site = tiers(N, C, inputs)
    raw_input = n_raw > 0
    if lanes < min_lanes(N, C, inputs):
        raise ValueError(f"{lanes} lanes cannot connect {N} nodes; need at least {min_lanes(N, C, inputs)}")

    # Node index ranges, in tier order (a lane always goes to a later index: acyclic).
    raw = np.arange(0, n_raw)
    prod = np.arange(n_raw, n_raw + n_prod)
    wh = np.arange(n_raw + n_prod, n_raw + n_prod + n_wh)
    site = np.arange(n_raw + n_prod + n_wh, N)
    region = rng.integers(0, regions, N)
    region[: min(regions, N)] = np.arange(min(regions, N))  # every region holds a node when it can
    rng.shuffle(region)

    # What plants make. Product commodities are 1..C-1 with a raw material, else 0..C-1.
    first_product = 1 if raw_input else 0
    n_products = C - first_product
    makes = np.zeros((N, C), dtype=bool)
    makes[raw, 0] = True
    main = first_product + np.arange(n_prod) % n_products  # every product has a plant
    makes[prod, main] = True
    second = first_product + rng.integers(0, n_products, n_prod)
    makes[prod, second] |= rng.random(n_prod) < 0.3

    # Site demand: a random subset of the products (at least one), base level lognormal.
    wants = np.zeros((N, C), dtype=bool)
    wants[site[:, None], first_product + np.arange(n_products)[None, :]] = \
        rng.random((n_site, n_products)) < 0.6
    none = site[~wants[site].any(axis=1)]
    wants[none, first_product + rng.integers(0, n_products, none.size)] = True
    base = np.where(wants, np.round(rng.lognormal(np.log(80.0), 0.6, (N, C)), 1), 0.0)
    form = rng.choice(3, size=(N, C), p=[0.5, 0.25, 0.25])  # constant, steps, ramp
    mean_demand = base.sum(axis=0)  # per commodity; steps and ramps stay near base on average

    # Capacity: per commodity, supply_ratio x demand shared among its plants (random weights).
    weight = np.where(makes, rng.uniform(0.5, 1.5, (N, C)), 0.0)
    share = weight / np.maximum(weight.sum(axis=0, keepdims=True), 1e-12)
    capacity = share * (supply_ratio * mean_demand)[None, :]
    if raw_input:  # raw material for product plants at full capacity, with 10% to spare
        need_raw = RAW_RATIO * capacity[prod].sum()
        capacity[raw, 0] = share[raw, 0] * 1.1 * need_raw
    capacity = np.round(np.maximum(capacity, np.where(makes, 1.0, 0.0)), 1)

    # Mandatory lanes: raw plant -> each product plant; a maker of each product -> each
    # warehouse; each product plant -> some warehouse; a warehouse of the same region (else
    # any) -> each site.
    src_parts: list[IntArray] = []
    dst_parts: list[IntArray] = []
    raw_only: list[IntArray] = []
    if raw_input:
        src_parts.append(rng.choice(raw, n_prod))
        dst_parts.append(prod)
        raw_only.append(np.ones(n_prod, dtype=bool))
    for c in range(first_product, C):  # a supplier of every product for every warehouse
        src_parts.append(rng.choice(prod[makes[prod, c]], n_wh))
        dst_parts.append(wh)
    src_parts.append(prod)
    dst_parts.append(rng.choice(wh, n_prod))
    src_parts.append(_same_region_supplier(rng, wh, region[wh], region[site]))
    dst_parts.append(site)
    raw_only += [np.zeros(n_wh * n_products + n_prod + n_site, dtype=bool)]
    src, dst = np.concatenate(src_parts), np.concatenate(dst_parts)
    only_raw = np.concatenate(raw_only)
    code = src * N + dst
    _, first = np.unique(code, return_index=True)
    keep = np.sort(first)
    src, dst, only_raw = src[keep], dst[keep], only_raw[keep]

    # Optional lanes, drawn by tier pair: warehouse -> site 70%, plant -> warehouse 15%,
    # regional -> local warehouse 10%, plant -> site 5%. The tiers fix the depth of the
    # network (the engine's request levels: at most 4), whatever its size.
    extra_s, extra_d = _extra_lanes(rng, lanes - src.size, prod, wh, site, set((src * N + dst).tolist()))
    src = np.concatenate([src, extra_s])
    dst = np.concatenate([dst, extra_d])
    only_raw = np.concatenate([only_raw, np.zeros(extra_s.size, dtype=bool)])
    mandatory = np.arange(src.size) < src.size - extra_s.size
    L = src.size

    lead = rng.integers(1, 6, L)
    subset = ~mandatory & (rng.random(L) < 0.25) & (n_products > 1)
    carries = np.ones((L, C), dtype=bool)
    carries[subset] = rng.random((int(subset.sum()), C)) < 0.6
    carries[subset, first_product + rng.integers(0, n_products, int(subset.sum()))] = True
    if raw_input:
        carries[only_raw] = False
        carries[only_raw, 0] = True
        carries[~only_raw, 0] = False  # the raw material moves only from raw plants
    # What each node draws per day and commodity, roughly: sites their demand, warehouses the
    # demand of the sites they supply, product plants raw material at full capacity.
    inbound = np.maximum(np.bincount(dst, minlength=N), 1)
    to_site = np.isin(dst, site)
    use = np.where(np.isin(np.arange(N), site)[:, None], base, 0.0)
    np.add.at(use, src[to_site], base[dst[to_site]] / inbound[dst[to_site]][:, None])
    if raw_input:
        use[prod, 0] = RAW_RATIO * capacity[prod].sum(axis=1)
    # Lane capacity (per commodity per day): 1.5-4 x the largest share of a commodity it carries.
    flow = (np.where(carries, use[dst], 0.0) / inbound[dst][:, None]).max(axis=1)
    capped = rng.random(L) < capped_share
    lane_cap = np.round(np.maximum(1.0, flow * rng.uniform(1.5, 4.0, L)), 0)

    # Initial stock: 4-8 days of demand at sites, 7-14 days of their customers' demand at
    # warehouses, 7 days of raw material at product plants.
    stock = np.zeros((N, C))
    stock[site] = base[site] * rng.uniform(4.0, 8.0, (n_site, 1))
    stock[wh] = use[wh] * rng.uniform(7.0, 14.0, (n_wh, 1))
    if raw_input:
        stock[prod, 0] = use[prod, 0] * 7.0
    stock = np.round(stock, 0)

    return _as_dict(rng, N, C, T, regions, region, raw, prod, wh, site, makes, capacity, wants,
                    base, form, src, dst, lead, carries, capped, lane_cap, stock, raw_input)


def _same_region_supplier(rng: np.random.Generator, wh: IntArray, wh_region: IntArray,
                          site_region: IntArray) -> IntArray:
    """For each site, a random warehouse of its region, or any warehouse if its region has none."""
    order = np.argsort(wh_region, kind="stable")
    sorted_region = wh_region[order]
    lo = np.searchsorted(sorted_region, site_region, side="left")
    hi = np.searchsorted(sorted_region, site_region, side="right")
    count = hi - lo
    pick = lo + (rng.random(site_region.size) * np.maximum(count, 1)).astype(np.intp)
    local = wh[order[np.minimum(pick, wh.size - 1)]]
    anywhere = rng.choice(wh, site_region.size)
    return np.where(count > 0, local, anywhere)


def _extra_lanes(rng: np.random.Generator, wanted: int, prod: IntArray, wh: IntArray,
                 site: IntArray, taken: set[int]) -> tuple[IntArray, IntArray]:
    N = int(site.max()) + 1
    out_s: list[IntArray] = []
    out_d: list[IntArray] = []
    got = 0
    for _ in range(50):
        if got >= wanted:
            break
        k = 2 * (wanted - got) + 16
        kind = rng.choice(4, size=k, p=[0.70, 0.15, 0.10, 0.05])
        s = np.where(kind == 0, rng.choice(wh, k), rng.choice(prod, k))
        d = np.where(kind == 1, rng.choice(wh, k), rng.choice(site, k))
        # regional -> local warehouse (the first quarter of the warehouses are regional)
        regional = max(1, wh.size // 4)
        if wh.size > regional:
            s = np.where(kind == 2, rng.choice(wh[:regional], k), s)
            d = np.where(kind == 2, rng.choice(wh[regional:], k), d)
        else:
            d = np.where(kind == 2, rng.choice(wh, k), d)  # no local tier: plant -> warehouse
        ok = s != d
        s, d = _unique_pairs(s[ok], d[ok], N)
        code = s * N + d
        new = np.fromiter((c not in taken for c in code.tolist()), dtype=bool, count=code.size)
        s, d = s[new][: wanted - got], d[new][: wanted - got]
        taken.update((s * N + d).tolist())
        out_s.append(s)
        out_d.append(d)
        got += s.size
    if got < wanted:
        raise ValueError(f"could not place {wanted} optional lanes among these nodes (got {got}); "
                         "ask for fewer lanes")
    empty = np.zeros(0, dtype=np.intp)
    return (np.concatenate(out_s) if out_s else empty), (np.concatenate(out_d) if out_d else empty)


def _series(rng: np.random.Generator, base: float, form: int, days: int) -> Any:
    if form == 0 or days < 3:
        return base
    if form == 1:
        cuts = np.unique(rng.integers(1, days, size=3)).tolist()
        levels = np.round(base * rng.uniform(0.6, 1.4, size=len(cuts) + 1), 1).tolist()
        return [{"from": 0, "value": levels[0]}] + [
            {"from": c, "value": v} for c, v in zip(cuts, levels[1:], strict=True)]
    start, end = sorted(rng.integers(0, days, size=2).tolist())
    return {"ramp": {"from": round(base * 0.7, 1), "to": round(base * 1.3, 1),
                     "start": start, "end": max(end, start + 1)}}


def _as_dict(rng: np.random.Generator, N: int, C: int, T: int, regions: int, region: IntArray,
             raw: IntArray, prod: IntArray, wh: IntArray, site: IntArray, makes: Any,
             capacity: FloatArray, wants: Any, base: FloatArray, form: IntArray, src: IntArray,
             dst: IntArray, lead: IntArray, carries: Any, capped: Any, lane_cap: FloatArray,
             stock: FloatArray, raw_input: bool) -> dict[str, Any]:
    coms = [f"c{c}" for c in range(C)]
    kind = np.empty(N, dtype=object)
    kind[raw], kind[prod], kind[wh], kind[site] = "plant", "plant", "warehouse", "site"
    prefix = np.empty(N, dtype=object)
    prefix[raw], prefix[prod], prefix[wh], prefix[site] = "raw", "plant", "wh", "site"
    names = [f"{p}-{i:05d}" for i, p in enumerate(prefix.tolist())]
    countries = max(2, regions // 10) if regions > 1 else 1
    assert countries <= len(ISO), f"at most {len(ISO) * 10} regions"
    region_ids = [f"r{r:03d}" for r in range(regions)]

    nodes: dict[str, Any] = {}
    region_l, kind_l = region.tolist(), kind.tolist()
    for i in range(N):
        node: dict[str, Any] = {"kind": kind_l[i], "region": region_ids[region_l[i]]}
        held = {coms[c]: float(stock[i, c]) for c in np.flatnonzero(stock[i] > 0).tolist()}
        if held:
            node["stock"] = held
        if kind_l[i] == "plant":
            made = {}
            for c in np.flatnonzero(makes[i]).tolist():
                spec: dict[str, Any] = {"capacity": float(capacity[i, c])}
                if raw_input and c != 0:
                    spec["inputs"] = {coms[0]: RAW_RATIO}
                made[coms[c]] = spec
            node["produce"] = made
        elif kind_l[i] == "site":
            node["demand"] = {coms[c]: _series(rng, float(base[i, c]), int(form[i, c]), T)
                              for c in np.flatnonzero(wants[i]).tolist()}
        nodes[names[i]] = node

    lane_list: list[dict[str, Any]] = []
    all_coms = carries.all(axis=1).tolist()
    for k, (s, d, lt) in enumerate(zip(src.tolist(), dst.tolist(), lead.tolist(), strict=True)):
        lane: dict[str, Any] = {"from": names[s], "to": names[d], "lead_time": lt}
        if capped[k]:
            lane["capacity"] = float(lane_cap[k])
        if not all_coms[k]:
            lane["commodities"] = [coms[c] for c in np.flatnonzero(carries[k]).tolist()]
        lane_list.append(lane)

    return {
        "format": 1,
        "name": f"synthetic-{regions}r-{N}n-{len(lane_list)}l-{C}c-{T}d",
        "description": "A synthetic network for benchmarks (benchmarks/synthetic.py).",
        "start": "2020-04-01",
        "days": T,
        "commodities": {c: {"unit": "unit"} for c in coms},
        "regions": {r: {"country": ISO[j % countries]} for j, r in enumerate(region_ids)},
        "nodes": nodes,
        "lanes": lane_list,
    }


def to_yaml(data: dict[str, Any]) -> str:
    """YAML text for `borderflow.model.loads` (JSON is a subset of YAML 1.2)."""
    return json.dumps(data, indent=1)


def validate(data: dict[str, Any]) -> Scenario:
    """Validate the shape (pydantic) and the whole (references, acyclic lanes, horizons)."""
    scenario = Scenario.model_validate(data)
    problems = check(scenario)
    if problems:
        shown = "; ".join(f"{'.'.join(map(str, path))}: {message}" for path, message in problems[:10])
        raise ValueError(f"the synthetic scenario is invalid ({len(problems)} problems): {shown}")
    return scenario


def build(regions: int, nodes: int, lanes: int, commodities: int, days: int, seed: int = 0,
          **options: Any) -> Scenario:
    return validate(scenario_dict(regions, nodes, lanes, commodities, days, seed, **options))


def with_decisions(data: dict[str, Any]) -> dict[str, Any]:
    """The same network with the inventory decisions switched on (issue 12's rules): every
    site and warehouse forecasts a 7-day moving average, a third of the warehouses order by
    (s, S) at 1 and 4 weeks of their first customers' demand, every other site owes what it
    cannot serve, every fourth warehouse shares scarce stock by its buyers' forecast use."""
    out = json.loads(json.dumps(data, default=str))
    for i, node in enumerate(out["nodes"].values()):
        if node["kind"] in ("site", "warehouse"):
            node["forecast"] = {"moving_average": 7}
        if node["kind"] == "warehouse" and i % 3 == 0:
            node["replenishment"] = {"rule": "s_S", "reorder_point": 500.0, "level": 2000.0}
        if node["kind"] == "warehouse" and i % 4 == 0:
            node["allocation"] = {"rule": "pro_rata_use"}
        if node["kind"] == "site" and i % 2:
            node["unmet"] = "backlog"
    return out
