"""Golden cases, one per policy type and for their interactions, every number computed by hand.

Conventions in the tiny networks below: a warehouse `w` with ample stock and target_days 0
(so it never orders itself) supplies sites whose target_days is 1, so a site with no stock and
nothing in transit asks for exactly one day of demand every day.
"""

from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd
import pytest

import borderflow
from borderflow.model import loads
from borderflow.policy import Shipment, screen
from borderflow.results import Result

HEAD = """
format: 1
name: golden
start: 2020-04-01
days: {days}
commodities: {{n95: {{unit: respirator}}, pulp: {{unit: tonne}}}}
regions:
  us: {{country: US}}
  ca: {{country: CA}}
  mx: {{country: MX}}
  cn: {{country: CN}}
"""


def run(*parts: str, days: int = 5, variant: str | None = None) -> Result:
    text = HEAD.format(days=days) + "".join(textwrap.dedent(p) for p in parts)
    return borderflow.simulate(loads(text), variant=variant)


def shipped(r: Result, lane: str, commodity: str = "n95") -> list[float]:
    c = r.constraints
    rows = c[(c["lane"] == lane) & (c["commodity"] == commodity)].set_index("day")["shipped"]
    return [round(float(rows.get(t, 0.0)), 9) for t in range(r.days)]


def reasons(r: Result, lane: str) -> list[str | None]:
    c = r.constraints
    rows = c[c["lane"] == lane].set_index("day")["reason"]
    return [None if t not in rows.index or not isinstance(rows[t], str) else rows[t]
            for t in range(r.days)]


SITES = """
nodes:
  w: {kind: warehouse, region: us, stock: {n95: 10000}, target_days: 0}
  s1: {kind: site, region: ca, target_days: 1, demand: {n95: 20}}
  s3: {kind: site, region: ca, target_days: 1, demand: {n95: 60}}
  s2: {kind: site, region: mx, target_days: 1, demand: {n95: 20}}
lanes:
  - {from: w, to: s1, lead_time: 1}
  - {from: w, to: s3, lead_time: 1}
  - {from: w, to: s2, lead_time: 1}
"""


def test_ban_with_an_exemption_quota_shared_by_two_lanes() -> None:
    """A US ban with an exemption for Canada limited to 10 a day.

    Every day each site has nothing on hand or in transit (what arrives is used at once), so
    s1 asks 20, s3 asks 60, s2 asks 20. The exemption's 10 a day is shared pro rata by request
    between the two Canadian lanes: s1 gets 10 * 20/80 = 2.5, s3 gets 10 * 60/80 = 7.5.
    Mexico is not exempt: w->s2 ships 0, blocked by the ban, though s2 asked for 20 each day.
    Served over 5 days (arrivals from day 1): s1 4 * 2.5 = 10, s3 4 * 7.5 = 30, s2 0.
    """
    r = run(SITES, """
    policies:
      - {id: ban, type: export_control, commodities: [n95], from_country: US,
         exemptions: [{to_countries: [CA], quota_per_day: 10}]}
    """)
    assert shipped(r, "w->s1") == [2.5] * 5
    assert shipped(r, "w->s3") == [7.5] * 5
    assert shipped(r, "w->s2") == [0.0] * 5
    assert reasons(r, "w->s2") == ["policy:ban"] * 5
    assert reasons(r, "w->s1") == ["policy:ban"] * 5  # held to the exemption's quota
    c = r.constraints
    assert c[c["lane"] == "w->s2"]["requested"].tolist() == [20.0] * 5
    sites = r.sites.groupby("node", observed=True)["served"].sum()
    assert sites.to_dict() == {"s1": 10.0, "s3": 30.0, "s2": 0.0}


def test_quota_without_ban_is_shared_pro_rata() -> None:
    """action: quota, 12 a day from the US to anywhere: requests 20 + 60 + 20 = 100, so each
    lane gets 12% of its request: 2.4, 7.2 and 2.4 a day."""
    r = run(SITES, """
    policies:
      - {id: cap, type: export_control, commodities: "*", from_country: US, action: quota,
         quota_per_day: 12}
    """)
    assert shipped(r, "w->s1") == pytest.approx([2.4] * 5)
    assert shipped(r, "w->s3") == pytest.approx([7.2] * 5)
    assert shipped(r, "w->s2") == pytest.approx([2.4] * 5)


def test_ban_window_and_domestic_lanes() -> None:
    """A ban on days 2-3 (start 2, end 4): exports flow on days 0, 1 and 4; a domestic lane
    (w->home, both in the US) is never affected. With the ban off, s1 asks 20 - in transit.
    Day 0: asks 20 (nothing anywhere). Day 1: 20 arrived and was used, asks 20 again.
    Days 2, 3: blocked. Day 4: asks 20 again. So 20, 20, 0, 0, 20."""
    r = run("""
    nodes:
      w: {kind: warehouse, region: us, stock: {n95: 10000}, target_days: 0}
      s1: {kind: site, region: ca, target_days: 1, demand: {n95: 20}}
      home: {kind: site, region: us, target_days: 1, demand: {n95: 5}}
    lanes:
      - {from: w, to: s1, lead_time: 1}
      - {from: w, to: home, lead_time: 1}
    policies:
      - {id: ban, type: export_control, commodities: [n95], from_country: US, start: 2, end: 4}
    """)
    assert shipped(r, "w->s1") == [20.0, 20.0, 0.0, 0.0, 20.0]
    assert reasons(r, "w->s1") == [None, None, "policy:ban", "policy:ban", None]
    assert shipped(r, "w->home") == [5.0] * 5


def test_anti_diversion_blocks_brokers_not_plants() -> None:
    """from_kinds: [broker]: the broker's export is blocked, the plant's is not. The site asks
    20 a day split by weight 1:1 over its two open lanes... but the broker's lane is closed
    (allowance 0), so the whole 20 goes to the plant's lane."""
    r = run("""
    nodes:
      plant: {kind: plant, region: us, stock: {n95: 1000}, produce: {n95: {capacity: 0}}}
      broker: {kind: broker, region: us, stock: {n95: 1000}, target_days: 0}
      s1: {kind: site, region: ca, target_days: 1, demand: {n95: 20}}
    lanes:
      - {from: plant, to: s1, lead_time: 1}
      - {from: broker, to: s1, lead_time: 1}
    policies:
      - {id: no-diversion, type: export_control, commodities: "*", from_country: US,
         from_kinds: [broker]}
    """, days=3)
    assert shipped(r, "plant->s1") == [20.0] * 3
    assert shipped(r, "broker->s1") == [0.0] * 3
    assert reasons(r, "broker->s1") == ["policy:no-diversion"] * 3


RATED = """
nodes:
  p: {kind: plant, region: us, produce: {n95: {capacity: 10}}}
  f: {kind: stockpile, region: us}
  h: {kind: site, region: us, target_days: 1, demand: {n95: 10}}
lanes:
  - {from: p, to: f, lead_time: 1}
  - {from: p, to: h, lead_time: 1}
"""


def test_rated_order_asap_is_served_before_unrated_requests() -> None:
    """The plant makes 10 a day. An asap DO order for 30 takes all 10 on days 0, 1, 2; the
    hospital's request (10 a day) gets nothing until the order is delivered, then 10 a day.
    The order is filled when its last unit arrives: shipped day 2, lead 1, so day 3 (due 5,
    on time)."""
    r = run(RATED, """
    policies:
      - {id: ro, type: rated_order, supplier: p, buyer: f, commodity: n95, quantity: 30,
         rating: DO, due: 5, schedule: asap}
    """, days=6)
    assert shipped(r, "p->f") == [10.0, 10.0, 10.0, 0.0, 0.0, 0.0]
    assert shipped(r, "p->h") == [0.0, 0.0, 0.0, 10.0, 10.0, 10.0]
    assert reasons(r, "p->h")[:3] == ["rated_order:ro"] * 3
    order = r.orders.iloc[0]
    assert (order["delivered"], order["filled_day"], bool(order["on_time"]),
            order["shortfall"]) == (30.0, 3, True, 0.0)


@pytest.mark.parametrize("due, days, status, filled, late, delivered", [
    (5, 6, "on_time", 3, 0, 30.0),      # the last unit arrives on day 3, due 5
    (2, 6, "late", 3, 1, 30.0),         # the same deliveries due on day 2: one day late
    (1, 2, "short", None, None, 20.0),  # due day 1, 20 shipped by the end of day 1
    (9, 2, "pending", None, None, 20.0),  # due after the horizon: not short, pending
])
def test_rated_order_status(due: int, days: int, status: str, filled: int | None,
                            late: int | None, delivered: float) -> None:
    """The asap order above (10 a day shipped on days 0-2, lead 1, so its last unit arrives on
    day 3), due on different days and seen over different horizons."""
    r = run(RATED, f"""
    policies:
      - {{id: ro, type: rated_order, supplier: p, buyer: f, commodity: n95, quantity: 30,
         rating: DO, due: {due}, schedule: asap}}
    """, days=days)
    order = r.orders.iloc[0]
    assert order["status"] == status
    assert (None if pd.isna(order["filled_day"]) else order["filled_day"]) == filled
    assert (None if pd.isna(order["days_late"]) else order["days_late"]) == late
    assert bool(order["on_time"]) == (status == "on_time")
    assert (order["delivered"], order["shortfall"]) == (delivered, 30.0 - delivered)


def test_rated_order_even_spreads_over_the_days_left() -> None:
    """even, due day 6: claims remaining / (due - t): 30/6 = 5 on day 0, 25/5 = 5 on day 1,
    ... 5 each day to day 5. The hospital gets the other 5 a day, then 10 from day 6."""
    r = run(RATED, """
    policies:
      - {id: ro, type: rated_order, supplier: p, buyer: f, commodity: n95, quantity: 30,
         rating: DO, due: 6, schedule: even}
    """, days=8)
    assert shipped(r, "p->f") == pytest.approx([5.0] * 6 + [0.0, 0.0])
    assert shipped(r, "p->h") == pytest.approx([5.0] * 6 + [10.0, 10.0])
    assert r.orders.iloc[0]["filled_day"] == 6


def test_dx_before_do_then_earlier_start() -> None:
    """Plant 10 a day. DO order `late-do` (start 0, 20 asap), DX order `dx` (start 1, 15 asap).
    Day 0: only late-do is active: 10. Day 1: DX first: 10 (DO 0). Day 2: DX's last 5, DO 5.
    Day 3: DO's last 5. So DX is filled on day 3 (shipped day 2 + lead 1), DO on day 4."""
    r = run("""
    nodes:
      p: {kind: plant, region: us, produce: {n95: {capacity: 10}}}
      f1: {kind: stockpile, region: us}
      f2: {kind: stockpile, region: us}
    lanes:
      - {from: p, to: f1, lead_time: 1}
      - {from: p, to: f2, lead_time: 1}
    policies:
      - {id: late-do, type: rated_order, supplier: p, buyer: f1, commodity: n95,
         quantity: 20, rating: DO, due: 4, schedule: asap}
      - {id: dx, type: rated_order, supplier: p, buyer: f2, commodity: n95, quantity: 15,
         rating: DX, due: 4, schedule: asap, start: 1}
    """)
    assert shipped(r, "p->f1") == [10.0, 0.0, 5.0, 5.0, 0.0]
    assert shipped(r, "p->f2") == [0.0, 10.0, 5.0, 0.0, 0.0]
    filled = r.orders.set_index("order")["filled_day"].to_dict()
    assert filled == {"late-do": 4, "dx": 3}


def test_two_do_orders_earlier_start_first() -> None:
    """Two DO orders from a plant making 10 a day: `a` (listed first, 10 units) starts on
    day 1, `b` (20 units) on day 0. Equal ratings, so the earlier start goes first: b takes
    day 0's and day 1's 10; a gets day 2's."""
    r = run("""
    nodes:
      p: {kind: plant, region: us, produce: {n95: {capacity: 10}}}
      f1: {kind: stockpile, region: us}
      f2: {kind: stockpile, region: us}
    lanes:
      - {from: p, to: f1, lead_time: 1}
      - {from: p, to: f2, lead_time: 1}
    policies:
      - {id: a, type: rated_order, supplier: p, buyer: f1, commodity: n95, quantity: 10,
         rating: DO, due: 4, schedule: asap, start: 1}
      - {id: b, type: rated_order, supplier: p, buyer: f2, commodity: n95, quantity: 20,
         rating: DO, due: 4, schedule: asap}
    """, days=4)
    # day 0: b 10; day 1: b (earlier start) 10, a 0; day 2: a 10.
    assert shipped(r, "p->f2") == [10.0, 10.0, 0.0, 0.0]
    assert shipped(r, "p->f1") == [0.0, 0.0, 10.0, 0.0]


def test_rated_order_obeys_lane_capacity_and_foreign_bans() -> None:
    """A DPA-style order cannot override an export ban: to a Canadian buyer under a US ban it
    delivers nothing (shortfall 30); on a lane of capacity 4 it gets 4 a day."""
    r = run("""
    nodes:
      p: {kind: plant, region: us, stock: {n95: 100}, produce: {n95: {capacity: 0}}}
      f: {kind: stockpile, region: ca}
      g: {kind: stockpile, region: us}
    lanes:
      - {from: p, to: f, lead_time: 1}
      - {from: p, to: g, lead_time: 1, capacity: 4}
    policies:
      - {id: to-ca, type: rated_order, supplier: p, buyer: f, commodity: n95, quantity: 30,
         rating: DX, due: 4}
      - {id: to-us, type: rated_order, supplier: p, buyer: g, commodity: n95, quantity: 30,
         rating: DX, due: 4, schedule: asap}
      - {id: ban, type: export_control, commodities: [n95], from_country: US}
    """)
    orders = r.orders.set_index("order")
    assert orders.loc["to-ca", "delivered"] == 0.0 and orders.loc["to-ca", "shortfall"] == 30.0
    assert reasons(r, "p->f") == ["policy:ban"] * 5
    assert shipped(r, "p->g") == [4.0] * 5
    assert reasons(r, "p->g") == ["lane_capacity"] * 5


def test_airlift_is_drawn_before_unrated_requests_and_obeys_origin_controls() -> None:
    """China holds 100. One flight of 60 leaves on day 1 and lands 3 days later (day 4) at the
    Canadian site, which uses it that day (demand 80: served 60).
    The site has target_days 0, so nothing is ever ordered: China ships only by air. In a
    variant where China bans exports, the flight carries nothing."""
    body = """
    nodes:
      cn-plant: {kind: plant, region: cn, stock: {n95: 100}, produce: {n95: {capacity: 0}}}
      ca-dc: {kind: warehouse, region: ca, target_days: 1}
      ca-site: {kind: site, region: ca, target_days: 0, demand: {n95: 80}}
    lanes:
      - {from: cn-plant, to: ca-dc, lead_time: 2}
      - {from: ca-dc, to: ca-site, lead_time: 1}
    policies:
      - {id: charter, type: airlift, from: cn-plant, to: ca-site, commodity: n95,
         units_per_flight: 60, flights: [1], flight_days: 3}
      - {id: cn-ban, type: export_control, commodities: "*", from_country: CN, enabled: false}
    variants:
      china-bans: {enable: [cn-ban]}
    """
    r = run(body, days=6)
    assert shipped(r, "airlift:charter") == [0.0, 60.0, 0.0, 0.0, 0.0, 0.0]
    assert shipped(r, "cn-plant->ca-dc") == [0.0] * 6
    served = r.sites.set_index("day")["served"].tolist()
    assert served == [0.0, 0.0, 0.0, 0.0, 60.0, 0.0]
    charter = r.policies.set_index("policy").loc["charter"]  # in force on its one flight day
    assert (charter["active_days"], charter["first_day"], charter["last_day"]) == (1, 1, 1)
    assert charter["enabled_by"] == "scenario"
    banned = run(body, days=6, variant="china-bans")
    assert shipped(banned, "airlift:charter") == [0.0] * 6
    assert reasons(banned, "airlift:charter")[1] == "policy:cn-ban"


def test_airlift_takes_stock_before_requests() -> None:
    """China holds 100. The site (target 1) uses 10 on day 0 and 100 from day 1, ordering
    straight from China. Day 0: it asks 10 and gets 10 (90 left). Day 1: it asks 100 - 10 in
    transit = 90, but the flight takes its 60 first, leaving 30 for the request."""
    r = run("""
    nodes:
      cn-plant: {kind: plant, region: cn, stock: {n95: 100}, produce: {n95: {capacity: 0}}}
      ca-site:
        kind: site
        region: ca
        target_days: 1
        demand: {n95: [{from: 0, value: 10}, {from: 1, value: 100}]}
    lanes:
      - {from: cn-plant, to: ca-site, lead_time: 2}
    policies:
      - {id: charter, type: airlift, from: cn-plant, to: ca-site, commodity: n95,
         units_per_flight: 60, flights: [1], flight_days: 3}
    """, days=3)
    assert shipped(r, "cn-plant->ca-site") == [10.0, 30.0, 0.0]
    assert shipped(r, "airlift:charter") == [0.0, 60.0, 0.0]
    assert reasons(r, "cn-plant->ca-site")[:2] == [None, "policy:charter"]


def test_stockpile_ships_only_while_released_up_to_its_maximum() -> None:
    """The SNS holds 100; release on days 2-4 (end 5), at most 4 a day. The hospital asks 10
    a day (target 1, nothing on hand). Days 0-1: closed. Days 2-4: 4 a day. Then closed.
    Served: the shipments of days 2, 3, 4 arrive on days 3, 4, 5: 4 each, 12 in all."""
    r = run("""
    nodes:
      sns: {kind: stockpile, region: us, stock: {n95: 100}}
      h: {kind: site, region: us, target_days: 1, demand: {n95: 10}}
    lanes:
      - {from: sns, to: h, lead_time: 1}
    policies:
      - {id: release, type: stockpile_release, stockpile: sns, start: 2, end: 5, max_per_day: 4}
    """, days=7)
    assert shipped(r, "sns->h") == [0.0, 0.0, 4.0, 4.0, 4.0, 0.0, 0.0]
    assert reasons(r, "sns->h") == ["stockpile_closed"] * 2 + ["policy:release"] * 3 + \
        ["stockpile_closed"] * 2
    assert r.sites["served"].sum() == 12.0


def test_conservation_cuts_use_while_days_of_supply_are_low() -> None:
    """30 on hand, 10 a day, no supply; conserve at half use below 2 days of supply.
    Day 0: 30/10 = 3 days: uses 10 (20 left). Day 1: 2 days, not below 2: uses 10 (10 left).
    Day 2: 1 day: demand 5, uses 5 (5 left). Day 3: 0.5: uses 5 (0 left). Day 4: 0: demand 5,
    unmet 5. Demand 10+10+5+5+5 = 35, served 30, unmet 5; 3 days conserving."""
    r = run("""
    nodes:
      h: {kind: site, region: us, stock: {n95: 30}, demand: {n95: 10}}
    policies:
      - {id: save, type: conservation, sites: [h], below_days_of_supply: 2, multiplier: 0.5}
    """)
    assert r.sites["demand"].tolist() == [10.0, 10.0, 5.0, 5.0, 5.0]
    assert r.sites["served"].tolist() == [10.0, 10.0, 5.0, 5.0, 0.0]
    spells = r.conservation
    assert spells[["site", "region", "commodity", "entered_day", "days"]].to_dict("records") == [
        {"site": "h", "region": "us", "commodity": "n95", "entered_day": 2, "days": 3}]
    assert pd.isna(spells["left_day"][0]) and spells["left"][0] is None  # to the end


CONSERVE_AND_RECOVER = """
nodes:
  sns: {{kind: stockpile, region: us, stock: {{n95: 1000}}}}
  h: {{kind: site, region: us, target_days: 4, stock: {{n95: 25}}, demand: {{n95: 10}}}}
lanes:
  - {{from: sns, to: h, lead_time: 1}}
policies:
  - {{id: release, type: stockpile_release, stockpile: sns, start: 2, max_per_day: 15}}
  - {{id: save, type: conservation, sites: [h], below_days_of_supply: 2, multiplier: 0.5{lift}}}
"""


@pytest.mark.parametrize("lift, demand, left", [
    ("", [10, 5, 5, 10, 10, 10], 3),
    (", lift_above_days_of_supply: 3", [10, 5, 5, 5, 10, 10], 4)])
def test_conservation_ends_when_cover_recovers(lift: str, demand: list[float], left: int) -> None:
    """10 a day, 25 on hand, order up to 4 days of *normal* use; the stockpile opens on day 2
    at 15 a day, lead 1; conserve at half use under 2 days of supply at normal use.
    Day 0: 25/10 = 2.5 days: uses 10 (15 left), asks 40 - 15 = 25 (closed).
    Day 1: 1.5 days: conserves, uses 5 (10 left), asks 30 (closed).
    Day 2: 1.0 day: conserves, uses 5 (5 left), asks 35; 15 shipped.
    Day 3: 5 + 15 = 20, 2.0 days: no longer under 2, so without a lift level it stops, uses 10
    (10 left) and asks 30; with `lift_above_days_of_supply: 3` it still conserves (2 < 3),
    uses 5 (15 left) and asks 25. 15 shipped either way.
    Day 4: without the lift level, 10 + 15 = 25 on hand, 2.5 days: uses 10; with it, 15 + 15 =
    30, 3.0 days: lifts and uses 10. Both use 10 from day 4 on, and nothing goes unmet."""
    r = run(CONSERVE_AND_RECOVER.format(lift=lift), days=6)
    assert r.sites["demand"].tolist() == demand
    assert r.sites["unmet"].sum() == 0
    assert r.conservation[["entered_day", "left_day", "days"]].to_dict("records") == [
        {"entered_day": 1, "left_day": left, "days": left - 1}]
    assert str(r.conservation["left"][0]) == f"2020-04-0{left + 1}"
    assert r.violations() == []


def test_two_shortfalls_after_conservation_and_at_normal_use() -> None:
    """The case above with the lift level: 45 used of 45 asked after conservation (unmet 0),
    of 60 at normal use (6 days x 10): 15 short of normal use, 25%. The site table keeps both
    demands day by day."""
    r = run(CONSERVE_AND_RECOVER.format(lift=", lift_above_days_of_supply: 3"), days=6)
    k = r.kpis.iloc[0]
    assert (k["demand"], k["served"], k["unmet"], k["unmet_pct"]) == (45.0, 45.0, 0.0, 0.0)
    assert (k["normal_demand"], k["normal_unmet"], k["normal_unmet_pct"]) == (60.0, 15.0, 25.0)
    assert r.sites["normal_demand"].tolist() == [10.0] * 6
    assert r.summary()["kpis"][0]["normal_unmet"] == 15.0


def test_without_conservation_the_two_shortfalls_are_one() -> None:
    r = run(CONSERVE_AND_RECOVER.format(lift="").replace(
        "  - {id: save, type: conservation", "  - {id: save, enabled: false, type: conservation"),
        days=6)
    k = r.kpis.iloc[0]
    assert (k["normal_demand"], k["normal_unmet"]) == (k["demand"], k["unmet"])


def test_conservation_cannot_lift_below_its_threshold() -> None:
    with pytest.raises(borderflow.ScenarioError, match="lift_above_days_of_supply: conservation "
                       "cannot lift below the threshold"):
        run(CONSERVE_AND_RECOVER.format(lift=", lift_above_days_of_supply: 1"), days=6)


RETALIATION = """
nodes:
  w: {kind: warehouse, region: us, stock: {n95: 1000}, target_days: 0}
  mill: {kind: warehouse, region: ca, stock: {pulp: 1000}, target_days: 0}
  s1: {kind: site, region: ca, target_days: 1, demand: {n95: 20}}
  s2: {kind: site, region: us, target_days: 1, demand: {pulp: 3}}
lanes:
  - {from: w, to: s1, lead_time: 1}
  - {from: mill, to: s2, lead_time: 1}
workforce:
  - {id: windsor-nurses, home_region: ca, site: s2, staff: 10}
care:
  s2: {patients: 50, local_staff: 5, patients_per_staff: 4}
policies:
  - {id: ban, type: export_control, commodities: [n95], from_country: US, start: 2}
  - {id: pulp-ban, type: export_control, commodities: [pulp], from_country: CA, enabled: false}
  - {id: closure, type: border_closure, from_country: CA, to_country: US, enabled: false}
  - {id: hit-back, type: retaliation, when: {policy: ban, active_days: 3},
     activate: [pulp-ban, closure], after_days: 1}
variants:
  at-once: {set: {policies.hit-back.when.active_days: 0, policies.hit-back.after_days: 0}}
  restraint: {disable: [hit-back]}
"""


def test_retaliation_fires_after_the_trigger_has_been_active_long_enough() -> None:
    """The ban starts on day 2; after 3 days in force (days 2, 3, 4) the retaliation fires at
    the start of day 5, and with after_days 1 the pulp ban and the closure start on day 6.
    The pulp lane ships 3 a day on days 0-5, then nothing, blocked by the pulp ban."""
    r = run(RETALIATION, days=8)
    timeline = r.policies.set_index("policy")
    assert timeline.loc["hit-back", "fired_day"] == 5
    assert timeline.loc["pulp-ban", "first_day"] == 6
    assert timeline.loc["pulp-ban", "active_days"] == 2
    # switched on by the retaliation, though not enabled in the file
    assert not timeline.loc["pulp-ban", "enabled"]
    assert timeline.loc["pulp-ban", "enabled_by"] == "hit-back"
    assert timeline.loc["hit-back", "enabled_by"] == "scenario"
    assert shipped(r, "mill->s2", "pulp") == [3.0] * 6 + [0.0, 0.0]
    assert reasons(r, "mill->s2")[6:] == ["policy:pulp-ban"] * 2
    closed = r.network.policies.commuters_blocked[:, 0].tolist()
    assert closed == [False] * 6 + [True] * 2


def test_retaliation_at_once_and_restraint() -> None:
    """active_days 0 and after_days 0: fires on the ban's first day (2), pulp stops from day 2.
    Disabled: never fires; pulp flows every day."""
    r = run(RETALIATION, days=8, variant="at-once")
    assert r.policies.set_index("policy").loc["hit-back", "fired_day"] == 2
    assert shipped(r, "mill->s2", "pulp") == [3.0, 3.0] + [0.0] * 6
    calm = run(RETALIATION, days=8, variant="restraint")
    assert calm.policies["fired_day"].isna().all()
    assert shipped(calm, "mill->s2", "pulp") == [3.0] * 8


def test_screen_explains_which_policy_decides() -> None:
    s = loads(HEAD.format(days=5) + SITES + textwrap.dedent("""
    policies:
      - {id: ban, type: export_control, commodities: [n95], from_country: US, start: 1,
         exemptions: [{to_countries: [CA], quota_per_day: 10}]}
    """))
    to_mx = screen(s, Shipment("w", "s2", "n95", 500, 2))
    assert to_mx.blocked and to_mx.decided_by == "ban" and to_mx.allowed == 0
    to_ca = screen(s, Shipment("w", "s1", "n95", 500, 2))
    assert (to_ca.allowed, to_ca.decided_by, to_ca.exemption) == (10, "ban", "ban exemption 1")
    before = screen(s, Shipment("w", "s2", "n95", 500, 0))
    assert before.allowed == 500 and before.decided_by is None
    assert "blocked by ban" in str(to_mx)


def test_every_policy_run_keeps_the_invariants() -> None:
    """The conftest checks invariants on every run; this one also checks mass balance to
    1e-9 relative explicitly on the retaliation case (pulp and n95)."""
    r = run(RETALIATION, days=8)
    assert r.violations() == []
    assert np.abs(borderflow.engine.mass_balance(r.network, r.trace)).max() < 1e-9 * 2000


def test_even_order_with_a_long_lead_time_arrives_by_its_due_day() -> None:
    """Lead time 3, due day 6: the last day to ship is 6 - 3 = 3, so 30 is spread over days
    0-3: 30/4 = 7.5 a day; the last units arrive on day 6, on time."""
    r = run(RATED.replace("{from: p, to: f, lead_time: 1}", "{from: p, to: f, lead_time: 3}"), """
    policies:
      - {id: ro, type: rated_order, supplier: p, buyer: f, commodity: n95, quantity: 30,
         rating: DO, due: 6, schedule: even}
    """, days=8)
    assert shipped(r, "p->f") == pytest.approx([7.5] * 4 + [0.0] * 4)
    order = r.orders.iloc[0]
    assert (order["filled_day"], bool(order["on_time"])) == (6, True)


def test_a_zero_quota_closes_its_lanes_and_says_so() -> None:
    """An exemption with quota 0 lets nothing through; the lane is closed, so nobody asks, but
    the record still shows what would have been asked and names the policy."""
    r = run(SITES, """
    policies:
      - {id: ban, type: export_control, commodities: [n95], from_country: US,
         exemptions: [{to_countries: [CA], quota_per_day: 0}]}
    """, days=3)
    assert shipped(r, "w->s1") == [0.0] * 3
    assert reasons(r, "w->s1") == ["policy:ban"] * 3


def test_production_table() -> None:
    r = run(RATED, days=3)
    assert r.production.to_dict("list") == {"day": [0, 1, 2], "node": ["p"] * 3,
                                            "commodity": ["n95"] * 3, "produced": [10.0] * 3}
