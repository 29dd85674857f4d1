"""Golden cases: tiny networks whose every asserted number was worked out by hand.

Each docstring follows DESIGN.md's day t: (1) Arrive, (2) Produce, (3) Consume, (4) Request
(order up to target_days x use, less stock and in transit, split over open inbound lanes by
weight), (5) Allocate and ship (cap each request by its lane, then share the supplier's stock
pro rata to the capped requests; arrival on day t + lead_time).

Notation: "S 20 -> 10" is a stock before and after a step; "need = 7x10 - 10 - 0 = 60" is
target x use - stock - in transit. Defaults: target_days site 7, warehouse 14, plant 7.
"""

from __future__ import annotations

import textwrap
from typing import Any

import numpy as np
import pytest

import borderflow
from borderflow import Result
from borderflow.model import loads

TOL = 1e-9

HEAD = """\
format: 1
name: golden
start: 2020-04-01
"""


def sim(body: str, prefix: str = "") -> Result:
    return borderflow.simulate(loads(HEAD + prefix + textwrap.dedent(body)))


def approx(expected: Any) -> Any:
    return pytest.approx(expected, rel=0, abs=TOL)


def flows(result: Result) -> dict[tuple[int, str, str, str], float]:
    """{(day, from, to, commodity): quantity} of every shipment."""
    f = result.flows
    return {(int(d), a, b, c): float(q)
            for d, a, b, c, q in zip(f["day"], f["from"], f["to"], f["commodity"], f["quantity"],
                                     strict=True)}


def assert_flows(result: Result, expected: dict[tuple[int, str, str, str], float]) -> None:
    got = flows(result)
    assert sorted(got) == sorted(expected)
    for key, qty in expected.items():
        assert got[key] == approx(qty), key


def column(frame: Any, node_col: str, node: str, commodity: str, name: str) -> list[float]:
    rows = frame[(frame[node_col] == node) & (frame["commodity"] == commodity)].sort_values("day")
    assert list(rows["day"]) == list(range(len(rows)))
    return [float(v) for v in rows[name]]


def stock(result: Result, node: str, commodity: str = "x") -> list[float]:
    return column(result.stocks, "node", node, commodity, "stock")


def transit(result: Result, node: str, commodity: str = "x") -> list[float]:
    return column(result.stocks, "node", node, commodity, "in_transit")


def site(result: Result, node: str, name: str, commodity: str = "x") -> list[float]:
    return column(result.sites, "node", node, commodity, name)


def kpi(result: Result, region: str, commodity: str = "x") -> dict[str, Any]:
    rows = result.kpis[(result.kpis["region"] == region) & (result.kpis["commodity"] == commodity)]
    assert len(rows) == 1
    return dict(rows.iloc[0])


def arc(result: Result, a: str, b: str, commodity: str = "x") -> int:
    net = result.network
    found = [k for k in range(net.arc_src.size)
             if net.nodes[net.arc_src[k]] == a and net.nodes[net.arc_dst[k]] == b
             and net.commodities[net.arc_com[k]] == commodity]
    assert len(found) == 1
    return found[0]


def requested(result: Result, a: str, b: str, commodity: str = "x") -> list[float]:
    return [float(v) for v in result.trace.requested[:, 0, arc(result, a, b, commodity)]]


def produced(result: Result, node: str, commodity: str) -> list[float]:
    net = result.network
    r = [k for k in range(net.rec_node.size)
         if net.nodes[net.rec_node[k]] == node and net.commodities[net.rec_com[k]] == commodity]
    assert len(r) == 1
    return [float(v) for v in result.trace.produced[:, 0, r[0]]]


ONE = """\
commodities: {x: {unit: u}}
regions: {r: {country: US}}
"""


def test_lead_time_arrival_exactly_on_day_t_plus_lead() -> None:
    """W (stock 1000) -> S (demand 10, stock 0, target 7), lead 3; 7 days.

    d0: S 0, unmet 10. need = 7x10 - 0 - 0 = 70; W ships 70, due d3. W 930.
    d1: unmet 10. need = 70 - 0 - 70 = 0.       d2: same, unmet 10, no shipment.
    d3: 70 arrives; S 70 -> 60. need = 70 - 60 - 0 = 10; ship 10 (due d6); transit 10.
    d4: S 60 -> 50; need = 70 - 50 - 10 = 10; ship 10 (due d7); transit 20.
    d5: S 50 -> 40; need = 70 - 40 - 20 = 10; ship 10 (due d8); transit 30.
    d6: 10 arrives, S 50 -> 40; transit 20; need = 70 - 40 - 20 = 10; ship; transit 30.
    S stock 0,0,0,60,50,40,40; in transit 70,70,70,10,20,30,30. W 930,930,930,920,910,900,890.
    Served 0,0,0,10,10,10,10. KPI: demand 70, served 40, unmet 30 (42.857142...%),
    stockout_days 3, min_days_of_supply 0 (d0: 0/10).
    """
    r = sim("""\
        days: 7
        nodes:
          w: {kind: warehouse, region: r, stock: {x: 1000}}
          s: {kind: site, region: r, demand: {x: 10}}
        lanes:
          - {from: w, to: s, lead_time: 3}
        """, ONE)
    assert_flows(r, {(0, "w", "s", "x"): 70, (3, "w", "s", "x"): 10, (4, "w", "s", "x"): 10,
                     (5, "w", "s", "x"): 10, (6, "w", "s", "x"): 10})
    assert stock(r, "s") == approx([0, 0, 0, 60, 50, 40, 40])
    assert transit(r, "s") == approx([70, 70, 70, 10, 20, 30, 30])
    assert stock(r, "w") == approx([930, 930, 930, 920, 910, 900, 890])
    assert site(r, "s", "served") == approx([0, 0, 0, 10, 10, 10, 10])
    assert site(r, "s", "unmet") == approx([10, 10, 10, 0, 0, 0, 0])
    k = kpi(r, "r")
    assert (k["demand"], k["served"], k["unmet"]) == approx((70, 40, 30))
    assert k["unmet_pct"] == approx(300 / 7)
    assert k["stockout_days"] == 3
    assert k["min_days_of_supply"] == approx(0.0)


def test_lane_capacity_caps_every_day() -> None:
    """W (stock 1000) -> S (demand 10, stock 0, target 7), lead 1, capacity 25; 6 days.

    d0: unmet 10; need 70, requested 70, capped to 25 -> ship 25.
    d1: 25 arrives, S 25 -> 15; need = 70 - 15 = 55 -> ship 25.
    d2: S 40 -> 30; need 40 -> ship 25.      d3: S 55 -> 45; need 25 -> ship 25.
    d4: S 70 -> 60; need 10 -> ship 10.      d5: S 70 -> 60; need 10 -> ship 10.
    Requested 70, 55, 40, 25, 10, 10; S stock 0, 15, 30, 45, 60, 60; W 975, 950, 925, 900,
    890, 880.
    """
    r = sim("""\
        days: 6
        nodes:
          w: {kind: warehouse, region: r, stock: {x: 1000}}
          s: {kind: site, region: r, demand: {x: 10}}
        lanes:
          - {from: w, to: s, lead_time: 1, capacity: 25}
        """, ONE)
    assert_flows(r, {(d, "w", "s", "x"): q for d, q in enumerate([25, 25, 25, 25, 10, 10])})
    assert requested(r, "w", "s") == approx([70, 55, 40, 25, 10, 10])
    assert stock(r, "s") == approx([0, 15, 30, 45, 60, 60])
    assert stock(r, "w") == approx([975, 950, 925, 900, 890, 880])
    assert site(r, "s", "unmet") == approx([10, 0, 0, 0, 0, 0])


def test_weights_split_a_request_over_inbound_lanes() -> None:
    """W1 -> S (weight 1, lead 1) and W2 -> S (weight 2, lead 2); S target 5, demand 12, stock 0.

    d0: unmet 12; need = 5x12 - 0 - 0 = 60 -> W1 60x1/3 = 20 (due d1), W2 60x2/3 = 40 (due d2).
    d1: 20 arrives, S 20 -> 8; transit 40; need = 60 - 8 - 40 = 12 -> W1 4 (due d2), W2 8 (due d3);
        transit 52.
    d2: 40 + 4 arrive, S 52 -> 40; transit 8; need = 60 - 40 - 8 = 12 -> W1 4, W2 8; transit 20.
    S stock 0, 8, 40; in transit 60, 52, 20; served 0, 12, 12.
    """
    r = sim("""\
        days: 3
        nodes:
          w1: {kind: warehouse, region: r, stock: {x: 1000}}
          w2: {kind: warehouse, region: r, stock: {x: 1000}}
          s: {kind: site, region: r, target_days: 5, demand: {x: 12}}
        lanes:
          - {from: w1, to: s, lead_time: 1, weight: 1}
          - {from: w2, to: s, lead_time: 2, weight: 2}
        """, ONE)
    assert_flows(r, {(0, "w1", "s", "x"): 20, (0, "w2", "s", "x"): 40,
                     (1, "w1", "s", "x"): 4, (1, "w2", "s", "x"): 8,
                     (2, "w1", "s", "x"): 4, (2, "w2", "s", "x"): 8})
    assert stock(r, "s") == approx([0, 8, 40])
    assert transit(r, "s") == approx([60, 52, 20])
    assert site(r, "s", "served") == approx([0, 12, 12])


def test_pro_rata_allocation_under_scarcity() -> None:
    """W (stock 30) -> S1 (region a, demand 10) and -> S2 (region b, demand 5); lead 1; 3 days.

    d0: both empty: unmet 10 and 5. needs 70 and 35 (total 105 > 30): W ships
        30x70/105 = 20 to S1 and 30x35/105 = 10 to S2. W 0.
    d1: S1 20 -> 10, S2 10 -> 5 (served in full); needs 60 and 30, W has nothing.
    d2: S1 10 -> 0, S2 5 -> 0 (served in full).
    KPI a: demand 30, served 20, unmet 10 (33.33...%), 1 stockout day.
    KPI b: demand 15, served 10, unmet 5, 1 stockout day.
    """
    r = sim("""\
        commodities: {x: {unit: u}}
        regions: {a: {country: US}, b: {country: US}}
        days: 3
        nodes:
          w: {kind: warehouse, region: a, stock: {x: 30}}
          s1: {kind: site, region: a, demand: {x: 10}}
          s2: {kind: site, region: b, demand: {x: 5}}
        lanes:
          - {from: w, to: s1, lead_time: 1}
          - {from: w, to: s2, lead_time: 1}
        """)
    assert_flows(r, {(0, "w", "s1", "x"): 20, (0, "w", "s2", "x"): 10})
    assert requested(r, "w", "s1") == approx([70, 60, 70])
    assert requested(r, "w", "s2") == approx([35, 30, 35])
    assert stock(r, "s1") == approx([0, 10, 0])
    assert stock(r, "s2") == approx([0, 5, 0])
    assert stock(r, "w") == []  # never holds any at the end of a day: not listed
    a, b = kpi(r, "a"), kpi(r, "b")
    assert (a["demand"], a["served"], a["unmet"], a["unmet_pct"]) == approx((30, 20, 10, 100 / 3))
    assert (b["demand"], b["served"], b["unmet"], b["unmet_pct"]) == approx((15, 10, 5, 100 / 3))
    assert a["stockout_days"] == b["stockout_days"] == 1


def test_pro_rata_is_to_the_capped_requests() -> None:
    """W (stock 30) -> S1 (capacity 10) and -> S2 (uncapped); demands 10 and 5; lead 1; 2 days.

    d0: needs 70 and 35; capped requests 10 and 35 (total 45 > 30, ratio 2/3):
        S1 gets 10x2/3 = 20/3, S2 gets 35x2/3 = 70/3.
    d1: S1 20/3 -> 0 (served 20/3, unmet 10/3); S2 70/3 -> 55/3 (served 5).
        needs 70 (capped 10) and 35 - 55/3 = 50/3; W is empty.
    """
    r = sim("""\
        days: 2
        nodes:
          w: {kind: warehouse, region: r, stock: {x: 30}}
          s1: {kind: site, region: r, demand: {x: 10}}
          s2: {kind: site, region: r, demand: {x: 5}}
        lanes:
          - {from: w, to: s1, lead_time: 1, capacity: 10}
          - {from: w, to: s2, lead_time: 1}
        """, ONE)
    assert_flows(r, {(0, "w", "s1", "x"): 20 / 3, (0, "w", "s2", "x"): 70 / 3})
    assert requested(r, "w", "s1") == approx([70, 70])
    assert requested(r, "w", "s2") == approx([35, 50 / 3])
    assert site(r, "s1", "served") == approx([0, 20 / 3])
    assert site(r, "s1", "unmet") == approx([10, 10 / 3])
    assert site(r, "s2", "served") == approx([0, 5])
    assert stock(r, "s2") == approx([0, 55 / 3])


def test_bom_input_limits_production() -> None:
    """W (part 100) -> P (kit: capacity 10, inputs part 2; stock part 8) -> S (kit demand 5).

    Lanes lead 1, W->P carries part, P->S carries kit; 3 days. P orders part for 7 days of
    its inputs at full capacity: 7 x 10 x 2 = 140.
    d0: P makes min(10, 8/2) = 4 kits, part 8 -> 0. S unmet 5, needs 35 kits: P ships its 4.
        P needs 140 - 0 - 0 = 140 part: W ships its 100 (due d1).
    d1: 100 part arrive. P makes min(10, 100/2) = 10, part 100 -> 80. S gets 4, serves 4,
        unmet 1. S needs 35: P ships 10. P needs 140 - 80 = 60 part: W is empty.
    d2: P makes 10, part 80 -> 60. S gets 10 -> 5. S needs 35 - 5 = 30: P ships 10.
    Produced 4, 10, 10; P part 0, 80, 60; S kit stock 0, 0, 5, in transit 4, 10, 10.
    """
    r = sim("""\
        commodities: {kit: {unit: u}, part: {unit: u}}
        regions: {r: {country: US}}
        days: 3
        nodes:
          w: {kind: warehouse, region: r, stock: {part: 100}}
          p:
            kind: plant
            region: r
            stock: {part: 8}
            produce: {kit: {capacity: 10, inputs: {part: 2}}}
          s: {kind: site, region: r, demand: {kit: 5}}
        lanes:
          - {from: w, to: p, lead_time: 1, commodities: [part]}
          - {from: p, to: s, lead_time: 1, commodities: [kit]}
        """)
    assert produced(r, "p", "kit") == approx([4, 10, 10])
    assert_flows(r, {(0, "w", "p", "part"): 100, (0, "p", "s", "kit"): 4,
                     (1, "p", "s", "kit"): 10, (2, "p", "s", "kit"): 10})
    assert requested(r, "w", "p", "part") == approx([140, 60, 80])
    assert stock(r, "p", "part") == approx([0, 80, 60])
    assert stock(r, "p", "kit") == []  # every kit made is shipped the same day: not listed
    assert stock(r, "s", "kit") == approx([0, 0, 5])
    assert transit(r, "s", "kit") == approx([4, 10, 10])
    assert site(r, "s", "served", "kit") == approx([0, 4, 5])
    assert site(r, "s", "unmet", "kit") == approx([5, 1, 0])


def test_stock_runs_out_unmet_demand_and_stockout_days() -> None:
    """A lone site, stock 25, demand steps: 0 before day 1, 10 from day 1, 20 from day 3; 5 days.

    d0: demand 0 (before the first step), stock 25.   d1: 25 -> 15.   d2: 15 -> 5.
    d3: demand 20, serves 5, unmet 15, stock 0.         d4: unmet 20.
    KPI: demand 0 + 10 + 10 + 20 + 20 = 60, served 25, unmet 35 (58.333...%), stockout_days 2,
    min_days_of_supply over days with demand: 15/10, 5/10, 0, 0 -> 0.
    """
    r = sim("""\
        days: 5
        nodes:
          s:
            kind: site
            region: r
            stock: {x: 25}
            demand: {x: [{from: 1, value: 10}, {from: 2020-04-04, value: 20}]}
        """, ONE)
    assert site(r, "s", "demand") == approx([0, 10, 10, 20, 20])
    assert site(r, "s", "served") == approx([0, 10, 10, 5, 0])
    assert site(r, "s", "unmet") == approx([0, 0, 0, 15, 20])
    assert stock(r, "s") == approx([25, 15, 5, 0, 0])
    assert len(r.flows) == 0
    k = kpi(r, "r")
    assert (k["demand"], k["served"], k["unmet"]) == approx((60, 25, 35))
    assert k["unmet_pct"] == approx(3500 / 60)
    assert k["stockout_days"] == 2
    assert k["min_days_of_supply"] == approx(0.0)


def test_target_days_order_up_to() -> None:
    """W (1000) -> S (target 3, demand 2 per patient-day x 5 patients = 10, stock 50) and
    W -> S0 (target 0, demand 10, stock 50); lead 1; 6 days.

    S:  d0 50 -> 40, need = 3x10 - 40 < 0 -> 0.   d1 40 -> 30, need 0.
        d2 30 -> 20, need = 30 - 20 - 0 = 10 -> ship 10 (due d3).
        d3 20 + 10 -> 20, need = 30 - 20 - 0 = 10 -> ship.  d4, d5 the same.
        stock 40, 30, 20, 20, 20, 20; in transit 0, 0, 10, 10, 10, 10.
    S0: need = 0x10 - ... <= 0 every day: never orders; 40, 30, 20, 10, 0, 0; unmet 10 on d5.
    W: 1000, 1000, 990, 980, 970, 960.
    """
    r = sim("""\
        days: 6
        nodes:
          w: {kind: warehouse, region: r, stock: {x: 1000}}
          s:
            kind: site
            region: r
            stock: {x: 50}
            target_days: 3
            demand: {x: {per_patient_day: 2, patients: 5}}
          s0: {kind: site, region: r, stock: {x: 50}, target_days: 0, demand: {x: 10}}
        lanes:
          - {from: w, to: s, lead_time: 1}
          - {from: w, to: s0, lead_time: 1}
        """, ONE)
    assert_flows(r, {(d, "w", "s", "x"): 10 for d in (2, 3, 4, 5)})
    assert stock(r, "s") == approx([40, 30, 20, 20, 20, 20])
    assert transit(r, "s") == approx([0, 0, 10, 10, 10, 10])
    assert stock(r, "s0") == approx([40, 30, 20, 10, 0, 0])
    assert site(r, "s0", "unmet") == approx([0, 0, 0, 0, 0, 10])
    assert requested(r, "w", "s0") == approx([0] * 6)
    assert stock(r, "w") == approx([1000, 1000, 990, 980, 970, 960])


def test_multi_echelon_chain_plant_warehouse_site() -> None:
    """P (capacity 20) -> W (target 2) -> S (target 2, demand 10); all stocks 0; lead 1; 5 days.

    Requests go downstream-first: S asks W, then W (use = what it was asked) asks P. A node's
    position is stock + in transit less what it owes today (W: the requests it received), so
    target_days means days of use after today's for W as for S.
    d0: P makes 20. S unmet 10; S need 2x10 = 20 -> W; W position 0 - 20, need 40 + 20 = 60
        -> P. W has 0. P ships 20 (due d1). P 0.
    d1: W gets 20; P makes 20. S unmet 10; S need 20 -> W; W position 20 - 20 = 0, need 40
        -> P. W ships 20 (due d2), W 0; P ships 20 (due d2), P 0.
    d2: S gets 20 -> 10; W gets 20; P makes 20. S need 20 - 10 = 10; W position 20 - 10 = 10,
        need 20 - 10 = 10. W ships 10, W 10; P ships 10, P 10.
    d3: S gets 10 -> 20 -> 10; W gets 10 -> 20; P 10 + 20 = 30. S need 10; W position 10,
        need 10. W ships 10, W 10; P ships 10, P 20.
    d4: as d3: W 10; P 30.
    S stock 0, 0, 10, 10, 10 (transit 0, 20, 10, 10, 10); W 0, 0, 10, 10, 10 (transit 20, 20,
    10, 10, 10): W ends each day with 2 days of use in stock and on the way. P 0, 0, 10, 20,
    30. Unmet 10, 10, 0, 0, 0.
    Balance: made 100 = served 30 + stock (10 + 10 + 30) + in transit (10 + 10).
    """
    r = sim("""\
        days: 5
        nodes:
          p: {kind: plant, region: r, produce: {x: {capacity: 20}}}
          w: {kind: warehouse, region: r, target_days: 2}
          s: {kind: site, region: r, target_days: 2, demand: {x: 10}}
        lanes:
          - {from: p, to: w, lead_time: 1}
          - {from: w, to: s, lead_time: 1}
        """, ONE)
    assert_flows(r, {(0, "p", "w", "x"): 20, (1, "p", "w", "x"): 20, (1, "w", "s", "x"): 20,
                     (2, "w", "s", "x"): 10, (2, "p", "w", "x"): 10, (3, "w", "s", "x"): 10,
                     (3, "p", "w", "x"): 10, (4, "w", "s", "x"): 10, (4, "p", "w", "x"): 10})
    assert requested(r, "w", "s") == approx([20, 20, 10, 10, 10])
    assert requested(r, "p", "w") == approx([60, 40, 10, 10, 10])
    assert stock(r, "s") == approx([0, 0, 10, 10, 10])
    assert transit(r, "s") == approx([0, 20, 10, 10, 10])
    assert stock(r, "w") == approx([0, 0, 10, 10, 10])
    assert transit(r, "w") == approx([20, 20, 10, 10, 10])
    assert stock(r, "p") == approx([0, 0, 10, 20, 30])
    assert site(r, "s", "unmet") == approx([10, 10, 0, 0, 0])
    assert produced(r, "p", "x") == approx([20] * 5)


def test_two_recipes_share_an_input_pro_rata() -> None:
    """P makes a (capacity 10, 1 m each) and b (capacity 5, 2 m each); stock m 30; 3 days.

    At full capacity a wants 10 m and b wants 10 m (20 in all).
    d0: 30 >= 20: a 10, b 5; m 30 - 20 = 10.
    d1: 10 < 20: each recipe gets its share 10 x 10/20 = 5 m: a 5/1 = 5, b 5/2 = 2.5; m 0.
    d2: no m: nothing made.
    Stocks a 10, 15, 15; b 5, 7.5, 7.5; m 10, 0, 0.
    """
    r = sim("""\
        commodities: {a: {unit: u}, b: {unit: u}, m: {unit: kg}}
        regions: {r: {country: US}}
        days: 3
        nodes:
          p:
            kind: plant
            region: r
            stock: {m: 30}
            produce:
              a: {capacity: 10, inputs: {m: 1}}
              b: {capacity: 5, inputs: {m: 2}}
        """)
    assert produced(r, "p", "a") == approx([10, 5, 0])
    assert produced(r, "p", "b") == approx([5, 2.5, 0])
    assert stock(r, "p", "a") == approx([10, 15, 15])
    assert stock(r, "p", "b") == approx([5, 7.5, 7.5])
    assert stock(r, "p", "m") == approx([10, 0, 0])
    assert r.balance_error <= TOL


def test_stockpile_does_not_ship() -> None:
    """K (stockpile, 1000) -> S and W (warehouse, 15) -> S, equal weights, lead 1; S demand 10,
    stock 20; 4 days. Without a stockpile_release K's lane is shut, so all of S's need goes to W.

    d0: S 20 -> 10; need = 70 - 10 = 60, all to W (none to K); W ships its 15. W 0.
    d1: S 10 + 15 -> 15; need = 70 - 15 = 55.    d2: S 15 -> 5; need 65.
    d3: S serves 5, unmet 5; need 70.
    K stays at 1000; the only shipment is d0 W->S 15. The record still shows what S would
    have asked of K had its lane been open: its weight's share, need x 1/(1 + 1): 30, 27.5,
    32.5, 35, shipped 0 because the stockpile was not released.
    KPI: demand 40, served 35, unmet 5 (12.5%), 1 stockout day; days of supply 1, 1.5, 0.5, 0.
    """
    r = sim("""\
        days: 4
        nodes:
          k: {kind: stockpile, region: r, stock: {x: 1000}}
          w: {kind: warehouse, region: r, stock: {x: 15}}
          s: {kind: site, region: r, stock: {x: 20}, demand: {x: 10}}
        lanes:
          - {from: k, to: s, lead_time: 1}
          - {from: w, to: s, lead_time: 1}
        """, ONE)
    assert_flows(r, {(0, "w", "s", "x"): 15})
    assert requested(r, "k", "s") == approx([30, 27.5, 32.5, 35])
    assert set(r.constraints[r.constraints["lane"] == "k->s"]["reason"]) == {"stockpile_closed"}
    assert requested(r, "w", "s") == approx([60, 55, 65, 70])
    assert stock(r, "k") == approx([1000] * 4)
    assert stock(r, "s") == approx([10, 15, 5, 0])
    assert site(r, "s", "unmet") == approx([0, 0, 0, 5])
    k = kpi(r, "r")
    assert (k["demand"], k["served"], k["unmet"], k["unmet_pct"]) == approx((40, 35, 5, 12.5))
    assert k["stockout_days"] == 1
    assert k["min_days_of_supply"] == approx(0.0)


def test_kpi_min_days_of_supply_per_region() -> None:
    """Region r: S1 (x stock 100, demand 10), S2 (x stock 20, demand 10). Region q: S3 (y stock
    110, demand ramp 0 -> 20 from day 0 to day 2: 0, 10, 20). No lanes; 3 days.

    r/x: end-of-day site stock 90 + 10, 80 + 0, 70 + 0 over demand 20: 5, 4, 3.5 -> min 3.5.
         S2 runs short on d2 (unmet 10): demand 60, served 50, unmet 10 (16.66...%), 1 stockout day.
    q/y: d0 has no demand (left out); d1 100/10 = 10; d2 80/20 = 4 -> min 4.
         demand 30, served 30, unmet 0, 0 stockout days.
    Only (r, x) and (q, y) have demand, so the KPI table has exactly those two rows.
    """
    r = sim("""\
        commodities: {x: {unit: u}, y: {unit: u}}
        regions: {r: {country: US}, q: {country: CA}}
        days: 3
        nodes:
          s1: {kind: site, region: r, stock: {x: 100}, demand: {x: 10}}
          s2: {kind: site, region: r, stock: {x: 20}, demand: {x: 10}}
          s3:
            kind: site
            region: q
            stock: {y: 110}
            demand: {y: {ramp: {from: 0, to: 20, start: 0, end: 2}}}
        """)
    assert sorted(zip(r.kpis["region"], r.kpis["commodity"], strict=True)) == [("q", "y"), ("r", "x")]
    rx, qy = kpi(r, "r", "x"), kpi(r, "q", "y")
    assert rx["min_days_of_supply"] == approx(3.5)
    assert (rx["demand"], rx["served"], rx["unmet"], rx["unmet_pct"]) == approx((60, 50, 10, 100 / 6))
    assert rx["stockout_days"] == 1
    assert qy["min_days_of_supply"] == approx(4.0)
    assert (qy["demand"], qy["served"], qy["unmet"], qy["unmet_pct"]) == approx((30, 30, 0, 0))
    assert qy["stockout_days"] == 0
    assert site(r, "s3", "demand", "y") == approx([0, 10, 20])


def test_mass_balance_from_the_tables() -> None:
    """P (x: capacity ramp 0 -> 20 from day 1 to 3, inputs m 0.5; stock m 12) -> S (x demand 4,
    stock 6, target 2), lead 2; 5 days. Capacity 0, 0, 10, 20, 20.

    d0: P makes 0. S 6 -> 2; need = 2x4 - 2 - 0 = 6; P has no x.
    d1: P makes 0. S serves 2 (unmet 2) -> 0; need 8; P has no x.
    d2: P makes 10 (uses 5 m, m 7). S unmet 4; need 8: P ships 8 (due d4), P 2.
    d3: P wants 10 m, has 7: makes 14 (m 0), P 16. S unmet 4; need = 8 - 0 - 8 = 0.
    d4: P makes 0. S gets 8 -> 4; need = 8 - 4 = 4: P ships 4 (due d6, after the horizon), P 12.
    End: P x 12, S x 4, 4 in transit to S; served 4 + 2 + 0 + 0 + 4 = 10.
    x: initial 6 + made 24 - served 10 - final stock 16 - in transit 4 = 0.
    m: initial 12 - used 0.5 x 24 = 12 - final stock 0 = 0.
    """
    r = sim("""\
        commodities: {x: {unit: u}, m: {unit: kg}}
        regions: {r: {country: US}}
        days: 5
        nodes:
          p:
            kind: plant
            region: r
            stock: {m: 12}
            produce:
              x:
                capacity: {ramp: {from: 0, to: 20, start: 1, end: 3}}
                inputs: {m: 0.5}
          s: {kind: site, region: r, stock: {x: 6}, target_days: 2, demand: {x: 4}}
        lanes:
          - {from: p, to: s, lead_time: 2, commodities: [x]}
        """)
    assert produced(r, "p", "x") == approx([0, 0, 10, 14, 0])
    assert_flows(r, {(2, "p", "s", "x"): 8, (4, "p", "s", "x"): 4})
    assert site(r, "s", "served") == approx([4, 2, 0, 0, 4])
    assert site(r, "s", "unmet") == approx([0, 2, 4, 4, 0])
    assert stock(r, "p", "x") == approx([0, 0, 2, 16, 12])
    assert stock(r, "p", "m") == approx([12, 12, 7, 0, 0])
    last = r.stocks[r.stocks["day"] == 4]
    final = last.groupby("commodity", observed=True)[["stock", "in_transit"]].sum()
    assert final.loc["x"].tolist() == approx([16, 4])
    assert final.loc["m"].tolist() == approx([0, 0])
    made = float(r.trace.produced[:, 0].sum())
    served = float(r.sites["served"].sum())
    initial_x, initial_m = 6.0, 12.0
    assert (made, served) == approx((24, 10))
    assert initial_x + made - served - final.loc["x"].sum() == approx(0.0)
    assert initial_m - 0.5 * made - final.loc["m"].sum() == approx(0.0)
    assert r.balance_error <= TOL
    assert r.violations() == []


# ---- DESIGN.md step 4 says a plant's use is its inputs at full capacity and a site's use is its
# ---- demand; the engine adds the requests a node received today to every node's use.

def test_plant_orders_only_for_its_inputs() -> None:
    """W (x 1000) -> P (makes x, capacity 10, no inputs) -> S (x demand 10); lead 1; 3 days.

    d0: P makes 10. S unmet 10; S need 70 -> P. P's use = its inputs at full capacity = 0 (x is
        not an input), so P's need = max(0, 7x0 - 10 - 0) = 0: nothing is asked of W.
        P ships its 10 to S.
    d1: P makes 10; S serves 10; S need = 70 - 0 - 0 = 70: P ships 10. P asks W for nothing.
    d2: same as d1.
    Expected: no W->P flow; P->S 10 a day. (The engine asks W for 7x70 - 10 = 480 on d0.)
    """
    r = sim("""\
        days: 3
        nodes:
          w: {kind: warehouse, region: r, stock: {x: 1000}}
          p: {kind: plant, region: r, produce: {x: {capacity: 10}}}
          s: {kind: site, region: r, demand: {x: 10}}
        lanes:
          - {from: w, to: p, lead_time: 1}
          - {from: p, to: s, lead_time: 1}
        """, ONE)
    assert requested(r, "w", "p") == approx([0, 0, 0])
    assert_flows(r, {(d, "p", "s", "x"): 10 for d in range(3)})


def test_site_orders_only_for_its_own_demand() -> None:
    """W (x 1000) -> S1 (demand 10) -> S2 (demand 10); lead 1; 2 days.

    d0: both unmet 10. S2 need 70 -> S1. S1's use is its demand 10, so S1 need = 7x10 - 0 - 0
        = 70 -> W (the engine asks 7 x (10 + 70) = 560). W ships 70; S1 has nothing to ship.
    d1: S1 gets 70 -> 60. S2 need 70 -> S1 (S1 ships 60 of its 60). S1 need = 70 - 60 - 0 = 10.
    Expected W->S1 requests 70, 10.
    """
    r = sim("""\
        days: 2
        nodes:
          w: {kind: warehouse, region: r, stock: {x: 1000}}
          s1: {kind: site, region: r, demand: {x: 10}}
          s2: {kind: site, region: r, demand: {x: 10}}
        lanes:
          - {from: w, to: s1, lead_time: 1}
          - {from: s1, to: s2, lead_time: 1}
        """, ONE)
    assert requested(r, "w", "s1") == approx([70, 10])
    assert np.isclose(flows(r)[(0, "w", "s1", "x")], 70)
