"""Issue 17, item 6: what a policy analyst needs to write a policy as it was. Golden cases,
every number computed by hand, on the tiny networks of `test_policies`."""

from __future__ import annotations

import numpy as np
import pytest

import borderflow
from borderflow.demand import evaluate
from borderflow.model import ScenarioError, loads
from borderflow.policy import Shipment, screen
from borderflow.results import Result
from test_policies import HEAD, SITES, reasons, run, shipped


def test_a_ban_already_in_force_keeps_its_real_date() -> None:
    """A ban dated ten days before day 0 is in force from day 0, and a retaliation that
    waits for it to be in force 7 days fires on day 0: the ban had already been in force
    10 days. The retaliation bans Canada's exports, so c->s2 ships nothing from day 0."""
    r = run("""
    nodes:
      w: {kind: warehouse, region: us, stock: {n95: 10000}, target_days: 0}
      c: {kind: warehouse, region: ca, stock: {n95: 10000}, target_days: 0}
      s1: {kind: site, region: ca, target_days: 1, demand: {n95: 20}}
      s2: {kind: site, region: us, target_days: 1, demand: {n95: 20}}
    lanes:
      - {from: w, to: s1, lead_time: 1}
      - {from: c, to: s2, lead_time: 1}
    policies:
      - {id: ban, type: export_control, commodities: [n95], from_country: US,
         start: 2020-03-22}
      - {id: answer, type: export_control, commodities: [n95], from_country: CA,
         enabled: false}
      - {id: tit-for-tat, type: retaliation, when: {policy: ban, active_days: 7},
         activate: [answer]}
    """)
    assert shipped(r, "w->s1") == [0.0] * 5
    assert shipped(r, "c->s2") == [0.0] * 5
    assert r.policies.loc[r.policies["policy"] == "answer", "active_days"].item() == 5


def test_a_retaliation_counts_only_the_days_before_day_0_it_needs() -> None:
    """The same ban dated 3 days before day 0 and a retaliation after 7 days in force: it
    has 3 days, needs 4 more, so it fires on day 4 (days 0-3 in force make the run 7)."""
    r = run("""
    nodes:
      w: {kind: warehouse, region: us, stock: {n95: 10000}, target_days: 0}
      c: {kind: warehouse, region: ca, stock: {n95: 10000}, target_days: 0}
      s2: {kind: site, region: us, target_days: 1, demand: {n95: 20}}
    lanes:
      - {from: c, to: s2, lead_time: 1}
    policies:
      - {id: ban, type: export_control, commodities: [n95], from_country: US,
         start: 2020-03-29}
      - {id: answer, type: export_control, commodities: [n95], from_country: CA,
         enabled: false}
      - {id: tit-for-tat, type: retaliation, when: {policy: ban, active_days: 7},
         activate: [answer]}
    """, days=6)
    assert shipped(r, "c->s2") == [20.0] * 4 + [0.0] * 2


def test_steps_and_ramps_may_start_before_day_0() -> None:
    """Demand in steps from before day 0: the last step on or before day 0 holds on day 0
    (30 from 2020-03-25, 40 from day 2). A ramp of capacity from 0 on 2020-03-22 to 15 on
    2020-04-06 (15 days) is at 15 * 10/15 = 10 on day 0 and rises by 1 a day."""
    s = loads(HEAD.format(days=5) + """
nodes:
  w: {kind: warehouse, region: us, stock: {n95: 10000}, target_days: 0}
  s1: {kind: site, region: us, target_days: 1, demand: {n95: [{from: 2020-03-20, value: 10},
       {from: 2020-03-25, value: 30}, {from: 2, value: 40}]}}
  p: {kind: plant, region: us, produce: {n95: {capacity: {ramp: {from: 0, to: 15,
      start: 2020-03-22, end: 2020-04-06}}}}}
lanes:
  - {from: w, to: s1, lead_time: 1}
""")

    assert evaluate(s.nodes["s1"].demand["n95"], s).tolist() == [30, 30, 40, 40, 40]
    assert evaluate(s.nodes["p"].produce["n95"].capacity, s).tolist() == [10, 11, 12, 13, 14]


def test_an_airlift_every_n_days_from_before_day_0_keeps_its_rhythm() -> None:
    """Flights every 3 days from 2020-03-30 (day -2): days -2, 1, 4 of which 1 and 4 fall in
    the horizon (count 3), each 50 units."""
    r = run("""
    nodes:
      w: {kind: warehouse, region: us, stock: {n95: 10000}, target_days: 0}
      s1: {kind: site, region: ca, target_days: 0, demand: {n95: 1}}
    policies:
      - {id: lift, type: airlift, from: w, to: s1, commodity: n95, units_per_flight: 50,
         flights: {every: 3, count: 3}, start: 2020-03-30}
    """)
    assert shipped(r, "airlift:lift") == [0.0, 50.0, 0.0, 0.0, 50.0]


def test_dates_after_the_horizon_are_still_an_error() -> None:
    with pytest.raises(ScenarioError, match="outside the horizon"):
        loads(HEAD.format(days=5) + SITES + """
policies:
  - {id: ban, type: export_control, commodities: [n95], from_country: US, start: 2021-04-01}
""")


def sim(text: str, days: int = 5, allocator: str = "priority", head: str = HEAD) -> Result:
    """`rolling`: the optimal allocator over windows of 3 days keeping 1."""
    s = loads(head.format(days=days) + text)
    if allocator == "rolling":
        return borderflow.simulate(s, allocator="optimal", window=3, commit=1)
    return borderflow.simulate(s, allocator=allocator)


def test_an_exemption_holds_only_on_its_own_days() -> None:
    """A US ban with an exemption for Canada from day 1 to day 3 (exclusive): w->s1 ships
    20 on days 1 and 2 and nothing on days 0, 3 and 4, when the ban blocks it."""
    r = run(SITES, """
    policies:
      - {id: ban, type: export_control, commodities: [n95], from_country: US,
         exemptions: [{to_countries: [CA], start: 1, end: 2020-04-04}]}
    """)
    assert shipped(r, "w->s1") == [0.0, 20.0, 20.0, 0.0, 0.0]
    assert reasons(r, "w->s1")[0] == "policy:ban"
    s = loads(HEAD.format(days=5) + SITES + """
policies:
  - {id: ban, type: export_control, commodities: [n95], from_country: US,
     exemptions: [{to_countries: [CA], start: 1, end: 3}]}
""")
    assert screen(s, Shipment("w", "s1", "n95", 5, 1)).exemption == "ban exemption 1"
    assert screen(s, Shipment("w", "s1", "n95", 5, 3)).blocked


def test_dated_exemptions_under_a_quota_split_it_by_days() -> None:
    """A US quota of 30 a day on what leaves for CA and MX, with MX exempt on days 0-1 only.
    Days 0-1: s1 and s3 (CA) share 30 pro rata 20:60 (7.5, 22.5) and s2 (MX) gets its 20.
    Days 2-4: all three share 30 pro rata 20:60:20 (6, 18, 6)."""
    r = run(SITES, """
    policies:
      - {id: q, type: export_control, commodities: [n95], from_country: US, action: quota,
         quota_per_day: 30, exemptions: [{to_countries: [MX], end: 2}]}
    """)
    assert shipped(r, "w->s1") == [7.5, 7.5, 6.0, 6.0, 6.0]
    assert shipped(r, "w->s3") == [22.5, 22.5, 18.0, 18.0, 18.0]
    assert shipped(r, "w->s2") == [20.0, 20.0, 6.0, 6.0, 6.0]


def test_exemptions_by_destination_kind_and_by_named_node() -> None:
    """A US ban exempting shipments to sites (hospitals) and to the named warehouse wca:
    the sites s1 and s2 get their 20 a day, wca what it orders, the broker b nothing."""
    r = sim("""
nodes:
  w: {kind: warehouse, region: us, stock: {n95: 10000}, target_days: 0}
  s1: {kind: site, region: ca, target_days: 1, demand: {n95: 20}}
  s2: {kind: site, region: mx, target_days: 1, demand: {n95: 20}}
  wca: {kind: warehouse, region: ca, target_days: 0}
  b: {kind: broker, region: mx, target_days: 0}
  s4: {kind: site, region: ca, target_days: 1, demand: {n95: 10}}
  s5: {kind: site, region: mx, target_days: 1, demand: {n95: 10}}
lanes:
  - {from: w, to: s1, lead_time: 1}
  - {from: w, to: s2, lead_time: 1}
  - {from: w, to: wca, lead_time: 1}
  - {from: w, to: b, lead_time: 1}
  - {from: wca, to: s4, lead_time: 1}
  - {from: b, to: s5, lead_time: 1}
policies:
  - {id: ban, type: export_control, commodities: [n95], from_country: US,
     exemptions: [{to_kinds: [site]}, {to_nodes: [wca]}]}
""")
    assert shipped(r, "w->s1") == [20.0] * 5
    assert shipped(r, "w->s2") == [20.0] * 5
    # wca relays what s4 asks (its ordering rhythm is its own); the ban never stops it
    assert sum(shipped(r, "w->wca")) == 30.0
    assert "policy:ban" not in reasons(r, "w->wca")
    assert shipped(r, "w->b") == [0.0] * 5
    assert set(reasons(r, "w->b")[1:]) == {"policy:ban"}


def test_an_exemption_must_match_everything_it_names() -> None:
    """to_countries [CA] and to_kinds [warehouse]: the Canadian site s1 is not exempt."""
    r = run(SITES, """
    policies:
      - {id: ban, type: export_control, commodities: [n95], from_country: US,
         exemptions: [{to_countries: [CA], to_kinds: [warehouse]}]}
    """)
    assert shipped(r, "w->s1") == [0.0] * 5


LICENCE = """
nodes:
  w: {kind: warehouse, region: us, stock: {n95: 10000}, target_days: 0}
  s1: {kind: site, region: ca, target_days: 1, demand: {n95: 20}}
lanes:
  - {from: w, to: s1, lead_time: 1}
policies:
  - {id: licence, type: export_control, commodities: [n95], from_country: US, action: quota,
     quota_total: 50}
"""


@pytest.mark.parametrize("allocator", ["priority", "optimal"])
def test_a_licence_allows_a_total_over_many_days(allocator: str) -> None:
    """A licence of 50 units in all: priority ships 20, 20, then the 10 left, then nothing
    (the licence names itself as the reason); the optimum ships 50 in all too (it may spread
    them, but no more reach s1 than the licence allows: served 50 of the 80 from day 1)."""
    r = sim(LICENCE, allocator=allocator)
    sent = shipped(r, "w->s1")
    assert sum(sent) == pytest.approx(50.0)
    if allocator == "priority":
        assert sent == [20.0, 20.0, 10.0, 0.0, 0.0]
        assert reasons(r, "w->s1")[2:] == ["policy:licence"] * 3
    assert float(r.kpis["unmet"].sum()) == pytest.approx(100.0 - 50.0)


def test_a_licence_beside_a_daily_quota_and_on_an_exemption() -> None:
    """A daily quota of 15 and a licence of 40: 15, 15, 10, 0, 0. An exemption for Mexico
    with a licence of its own (25) on a ban: 20, 5, then nothing."""
    r = run(SITES, """
    policies:
      - {id: q, type: export_control, commodities: [n95], from_country: US, action: quota,
         quota_per_day: 15, quota_total: 40, to_countries: [CA],
         exemptions: [{lanes: [w->s3]}]}
      - {id: ban, type: export_control, commodities: [n95], from_country: US,
         to_countries: [MX], exemptions: [{to_countries: [MX], quota_total: 25}]}
    """)
    assert shipped(r, "w->s1") == [15.0, 15.0, 10.0, 0.0, 0.0]
    assert shipped(r, "w->s3") == [60.0] * 5
    assert shipped(r, "w->s2") == [20.0, 5.0, 0.0, 0.0, 0.0]


def test_a_licence_is_checked_and_explained() -> None:
    s = loads(HEAD.format(days=5) + LICENCE)
    assert "50 in all" in " ".join(screen(s, Shipment("w", "s1", "n95", 5, 0)).notes)
    with pytest.raises(ScenarioError, match="a ban has no quota_total"):
        loads(HEAD.format(days=5) + SITES + """
policies:
  - {id: ban, type: export_control, commodities: [n95], from_country: US, quota_total: 5}
""")
    with pytest.raises(ScenarioError, match="a quota needs quota_per_day, quota_total"):
        loads(HEAD.format(days=5) + SITES + """
policies:
  - {id: q, type: export_control, commodities: [n95], from_country: US, action: quota}
""")


@pytest.mark.parametrize(("window", "commit"), [(3, 1), (4, 2), (5, 5)])
def test_the_rolling_horizon_carries_what_is_left_of_a_licence(window: int, commit: int) -> None:
    """Window by window, the licence's row allows what the committed days left of the 50,
    and counts only its own days. From day 0 all 50 go (days 0-3 ship 80 that could arrive);
    from day 2 (days 0-1 are free: 20 each) only 40 count: days 2 and 3 ship 20 each, and a
    unit shipped on day 4 would arrive after the horizon, so the optimum ships none."""
    text = HEAD.format(days=5) + LICENCE
    for start, total in ((0, 50.0), (2, 40.0)):
        s = loads(text.replace("quota_total: 50}", f"quota_total: 50, start: {start}}}"))
        r = borderflow.simulate(s, allocator="optimal", window=window, commit=commit)
        sent = shipped(r, "w->s1")
        assert sum(sent[start:]) == pytest.approx(total, abs=1e-6)
        assert sent[:start] == pytest.approx([20.0] * start)
        assert r.violations() == []


def test_the_invariants_catch_a_licence_overrun() -> None:
    """The check itself can fail: a trace shipping 60 through a licence of 50 is refused."""
    from dataclasses import replace

    from borderflow.engine import invariants
    from borderflow.engine.network import compile_network
    from borderflow.engine.simulator import Simulator

    net = compile_network(loads(HEAD.format(days=5) + LICENCE))
    trace = Simulator(net).run()
    assert not invariants.violations(net, trace)
    more = trace.shipped.copy()
    more[3] += 10.0
    assert any("licence" in v for v in invariants.violations(net, replace(trace, shipped=more)))


RATED = """
nodes:
  w: {kind: warehouse, region: us, stock: {n95: 30}, target_days: 0}
  a: {kind: warehouse, region: us, target_days: 0}
  b: {kind: warehouse, region: us, target_days: 0}
lanes:
  - {from: w, to: a, lead_time: 1}
  - {from: w, to: b, lead_time: 1}
"""


def test_a_scenario_may_declare_its_own_ratings() -> None:
    """Ratings [P1, P2, P3], highest first: the P1 order to b (declared second) is filled
    before the P3 order to a, from 30 in stock: b gets its 20 on day 0, a the 10 left."""
    r = sim("ratings: [P1, P2, P3]\n" + RATED + """
policies:
  - {id: late, type: rated_order, supplier: w, buyer: a, commodity: n95, quantity: 20,
     rating: P3, due: 2, schedule: asap}
  - {id: first, type: rated_order, supplier: w, buyer: b, commodity: n95, quantity: 20,
     rating: P1, due: 2, schedule: asap}
""")
    assert shipped(r, "w->b")[0] == 20.0
    assert shipped(r, "w->a")[0] == 10.0
    assert r.orders.set_index("order").loc["first", "rating"] == "P1"


def test_ratings_default_to_dx_then_do_and_are_checked() -> None:
    r = sim(RATED + """
policies:
  - {id: do, type: rated_order, supplier: w, buyer: a, commodity: n95, quantity: 20, due: 2,
     schedule: asap}
  - {id: dx, type: rated_order, supplier: w, buyer: b, commodity: n95, quantity: 20,
     rating: DX, due: 2, schedule: asap}
""")
    assert (shipped(r, "w->b")[0], shipped(r, "w->a")[0]) == (20.0, 10.0)
    with pytest.raises(ScenarioError, match=r"rating: unknown rating 'DO'") as e:
        loads(HEAD.format(days=5) + "ratings: [P1, P1]\n" + RATED + """
policies:
  - {id: do, type: rated_order, supplier: w, buyer: a, commodity: n95, quantity: 20, due: 2}
""")
    assert "duplicate rating 'P1'" in str(e.value)


YIELD = """
nodes:
  w: {kind: warehouse, region: us, stock: {n95: 10000}, target_days: 0}
  s1: {kind: site, region: ca, target_days: 1, demand: {n95: 20}}
lanes:
  - {from: w, to: s1, lead_time: 1, yield: 0.8, capacity: 20}
"""


@pytest.mark.parametrize("allocator", ["priority", "optimal", "rolling"])
def test_a_lane_yield_rejects_a_share_of_every_delivery(allocator: str) -> None:
    """A lane of 20 a day that delivers 80% usable: 20 shipped a day, 16 accepted and 4
    rejected on arrival. s1 is served 16 a day from day 1 (64 of 100), and the mass balance
    counts the 4 x 5 = 20 rejected (the last day's 4 of them still in transit). The optimum is
    not unique day by day (holding some of day 3's 16 for day 4 loses no more), so for the LPs
    only the total and what had arrived by each day are checked."""
    r = sim(YIELD, allocator=allocator)
    assert shipped(r, "w->s1") == pytest.approx([20.0] * (5 if allocator == "priority" else 4)
                                                + ([] if allocator == "priority" else [0.0]))
    served = r.sites.set_index("day")["served"].to_numpy()
    if allocator == "priority":
        assert served.tolist() == pytest.approx([0.0, 16.0, 16.0, 16.0, 16.0])
    else:
        assert served.sum() == pytest.approx(64.0)
        assert (np.cumsum(served) <= np.cumsum([0.0, 16.0, 16.0, 16.0, 16.0]) + 1e-6).all()
    flows = r.flows
    assert flows["rejected"].tolist() == pytest.approx([4.0] * len(flows))
    assert r.violations() == []


def test_a_lane_yield_feeds_the_ordering_rule() -> None:
    """Without a cap, s1 does not anticipate rejections: it asks for its 20 a day (nothing is
    on hand or in transit when it asks) and is served the 16 accepted, 4 short a day."""
    r = sim(YIELD.replace(", capacity: 20", ""))
    assert r.sites["served"].tolist()[1:] == pytest.approx([16.0] * 4)
    assert r.violations() == []


def test_a_lane_yield_must_be_a_share() -> None:
    with pytest.raises(ScenarioError, match="yield"):
        loads(HEAD.format(days=5) + YIELD.replace("yield: 0.8", "yield: 1.5"))


DONATION = """
nodes:
  s1: {kind: site, region: ca, target_days: 1, demand: {n95: 20}, stock: {n95: 10}}
  w: {kind: warehouse, region: us, stock: {n95: 0}, target_days: 0}
lanes:
  - {from: w, to: s1, lead_time: 1}
policies:
  - {id: gift, type: delivery, to: s1, commodity: n95,
     arrivals: [{day: 2, quantity: 30}, {day: 2020-04-05, quantity: 5}]}
"""


@pytest.mark.parametrize("allocator", ["priority", "optimal", "rolling"])
def test_a_delivery_arrives_from_outside_the_network(allocator: str) -> None:
    """s1 uses 20 a day and holds 10. Day 0: serves 10. Day 1: nothing. Day 2: 30 arrive,
    serves 20, keeps 10. Day 3: serves 10. Day 4: 5 arrive, serves 5. Served 45 of 100 (the
    optimum serves 45 too, on days of its choosing: every unit unmet weighs the same)."""
    r = sim(DONATION, allocator=allocator)
    served = r.sites["served"].tolist()
    if allocator == "priority":
        assert served == pytest.approx([10.0, 0.0, 20.0, 10.0, 5.0])
    assert sum(served) == pytest.approx(45.0)
    assert r.violations() == []
    timeline = r.policies.set_index("policy")
    assert timeline.loc["gift", "active_days"] == 2
    assert (timeline.loc["gift", "first_day"], timeline.loc["gift", "last_day"]) == (2, 4)


def test_a_delivery_only_while_its_policy_is_in_force() -> None:
    """Ended on day 3, the gift's day-4 arrival does not come (a variant may disable it)."""
    r = sim(DONATION.replace("quantity: 5}]}", "quantity: 5}], end: 3}"))
    assert r.sites["served"].tolist() == pytest.approx([10.0, 0.0, 20.0, 10.0, 0.0])
    with pytest.raises(ScenarioError, match="outside the horizon"):
        loads(HEAD.format(days=5) + DONATION.replace("day: 2,", "day: 2020-03-30,"))


SHORTAGE = """
nodes:
  c: {kind: warehouse, region: ca, stock: {n95: 10000}, target_days: 0}
  s1: {kind: site, region: ca, target_days: 0, demand: {n95: 20}, stock: {n95: 50}}
  s2: {kind: site, region: us, target_days: 1, demand: {n95: 20}}
lanes:
  - {from: c, to: s2, lead_time: 1}
policies:
  - {id: answer, type: export_control, commodities: [n95], from_country: CA, enabled: false}
  - {id: when-short, type: retaliation, activate: [answer],
     when: {region: ca, commodity: n95, days_of_supply_below: 1, active_days: 1}}
"""


@pytest.mark.parametrize("active_days, fired", [(0, 2), (1, 2), (2, 3)])
def test_a_retaliation_fires_on_a_shortage(active_days: int, fired: int) -> None:
    """s1 (Canada) uses 20 a day from 50 and orders nothing: it ends day 0 with 30 (1.5 days
    of supply), day 1 with 10 (0.5: short), day 2 with 0. Short at the end of day 1, the
    retaliation fires on day 2 (a day's shortage is known at its end; 0 days counts as 1);
    waiting for 2 days short, on day 3. Canada's ban then stops c->s2 from that day."""
    r = run(SHORTAGE.replace("active_days: 1", f"active_days: {active_days}"), days=6)
    assert shipped(r, "c->s2") == [20.0] * fired + [0.0] * (6 - fired)
    timeline = r.policies.set_index("policy")
    assert timeline.loc["when-short", "fired_day"] == fired
    assert timeline.loc["answer", "enabled_by"] == "when-short"
    assert timeline.loc["answer", "first_day"] == fired
    assert r.violations() == []


def test_a_shortage_that_never_comes_fires_nothing() -> None:
    r = run(SHORTAGE.replace("stock: {n95: 50}", "stock: {n95: 500}"), days=6)
    assert shipped(r, "c->s2") == [20.0] * 6
    assert r.policies.set_index("policy")["fired_day"].isna().all()


def test_the_optimal_allocator_takes_the_priority_runs_firing_day() -> None:
    s = loads(HEAD.format(days=6) + SHORTAGE)
    r = borderflow.simulate(s, allocator="optimal")
    assert r.policies.set_index("policy").loc["when-short", "fired_day"] == 2
    assert shipped(r, "c->s2")[2:] == [0.0] * 4


def test_each_sample_of_a_batch_fires_on_its_own_shortage() -> None:
    """Two samples: s1 starts with 50 (fires on day 2, as above) or 70 (ends days 0-2 with
    50, 30, 10: short at the end of day 2, fires on day 3). The batch equals the runs alone."""
    import numpy as np

    from borderflow.engine import Sampled, compile_network
    from borderflow.engine import run as run_engine

    s = loads(HEAD.format(days=6) + SHORTAGE)
    net = compile_network(s)
    stock0 = np.repeat(net.stock0[None], 2, axis=0)
    stock0[1, net.nodes.index("s1"), 0] = 70.0
    trace = run_engine(net, batch=2, sampled=Sampled(stock0=stock0))
    arc = net.arc_names.index("c->s2")
    shipped_by_sample = trace.shipped[:, :, arc].T.round(9).tolist()
    assert shipped_by_sample == [[20.0] * 2 + [0.0] * 4, [20.0] * 3 + [0.0] * 3]


def test_a_shortage_trigger_names_what_it_watches() -> None:
    with pytest.raises(ScenarioError, match="a trigger needs"):
        loads(HEAD.format(days=5) + SHORTAGE.replace("commodity: n95, days_of_supply_below: 1, ",
                                                     ""))
    with pytest.raises(ScenarioError, match="unknown region 'qc'"):
        loads(HEAD.format(days=5) + SHORTAGE.replace("region: ca, commodity", "region: qc, "
                                                     "commodity"))
    with pytest.raises(ScenarioError, match="not both"):
        loads(HEAD.format(days=5) + SHORTAGE.replace("when: {region", "when: {policy: answer, "
                                                     "region"))
MASKS = HEAD.replace("pulp: {{unit: tonne}}", "kn95: {{unit: respirator}}, surgical: {{unit: mask}}")
OWN_FIRST = """
nodes:
  s1: {kind: site, region: ca, demand: {n95: 20, kn95: 5}, stock: {n95: 50, kn95: 45},
       substitutes: [{for: n95, use: kn95, ratio: 2}]}
"""


def column(r: Result, commodity: str, name: str) -> list[float]:
    sites = r.sites
    return sites.loc[sites["commodity"] == commodity, name].tolist()


def test_a_substitute_covers_only_what_its_own_stock_left_after_its_own_demand() -> None:
    """s1 uses 20 N95 and 5 KN95 a day, holds 50 and 45, and may use 2 KN95 for an N95.
    Days 0-1: N95 serves itself (50 -> 10), KN95 too (45 -> 35). Day 2: N95 serves its last
    10; KN95 serves its own 5 first (30 left), then covers the other 10 N95 with 20 (10
    left). Day 3: KN95 serves its 5, and covers 2.5 N95 with the 5 left. Day 4: nothing."""
    r = sim(OWN_FIRST, head=MASKS)
    assert column(r, "n95", "served") == pytest.approx([20.0, 20.0, 20.0, 2.5, 0.0])
    assert column(r, "n95", "substituted") == pytest.approx([0.0, 0.0, 10.0, 2.5, 0.0])
    assert column(r, "n95", "unmet") == pytest.approx([0.0, 0.0, 0.0, 17.5, 20.0])
    assert column(r, "kn95", "served") == pytest.approx([5.0, 5.0, 5.0, 5.0, 0.0])
    assert column(r, "kn95", "substituted") == pytest.approx([0.0] * 5)
    stock = r.stocks[r.stocks["commodity"] == "kn95"]["stock"].tolist()
    assert stock == pytest.approx([40.0, 35.0, 10.0, 0.0, 0.0])
    assert r.trace.substitute_used[:, 0, 0].tolist() == pytest.approx([0.0, 0.0, 20.0, 5.0, 0.0])
    assert r.violations() == []


def test_the_optimum_keeps_a_substitute_for_its_own_demand() -> None:
    """The same site under the horizon LP: at 2 KN95 an N95, a KN95 is worth more serving
    itself, so the optimum serves all 25 KN95 and covers 10 N95 with the 20 left (unmet 40,
    against the priority step's 17.5 + 20 N95 and 5 KN95)."""
    r = sim(OWN_FIRST, head=MASKS, allocator="optimal")
    kpis = r.kpis.set_index("commodity")
    assert kpis.loc["n95", "unmet"] == pytest.approx(40.0)
    assert kpis.loc["kn95", "unmet"] == pytest.approx(0.0, abs=1e-9)
    assert sum(column(r, "n95", "substituted")) == pytest.approx(10.0)
    assert r.violations() == []


ONLY_SUBSTITUTE = """
nodes:
  s1: {kind: site, region: ca, demand: {n95: 20}, stock: {n95: 30, kn95: 40},
       substitutes: [{for: n95, use: kn95, ratio: RATIO}]}
"""


@pytest.mark.parametrize("allocator", ["priority", "optimal", "rolling"])
@pytest.mark.parametrize(("ratio", "served", "covered", "left"),
                         [(1, 70.0, 40.0, 0.0), (2, 50.0, 20.0, 0.0), (0.5, 100.0, 70.0, 5.0)])
def test_a_substitute_stands_in_at_its_ratio(allocator: str, ratio: float, served: float,
                                             covered: float, left: float) -> None:
    """20 N95 a day, 30 in stock, and 40 KN95 that nothing else needs. At 1 KN95 an N95,
    all 70 masks serve (40 of them KN95); at 2, 40 KN95 cover 20 N95 (50 served); at 0.5,
    all 100 are served, 70 by 35 KN95 (5 left). Every allocator: any other use of the stock
    serves no more (and the LP substitutes no more than it must: a unit covered costs 1e-6)."""
    r = sim(ONLY_SUBSTITUTE.replace("RATIO", str(ratio)), head=MASKS, allocator=allocator)
    assert sum(column(r, "n95", "served")) == pytest.approx(served)
    assert sum(column(r, "n95", "substituted")) == pytest.approx(covered)
    stock = r.stocks[(r.stocks["commodity"] == "kn95") & (r.stocks["day"] == 4)]["stock"]
    assert stock.item() == pytest.approx(left, abs=1e-9)
    if allocator == "priority" and ratio == 1:
        assert column(r, "n95", "substituted") == pytest.approx([0.0, 10.0, 20.0, 10.0, 0.0])
    assert r.violations() == []


def test_substitutes_are_tried_in_their_order() -> None:
    """N95 first from KN95, then from surgical masks (3 a respirator): 20 a day, 10 N95, 15
    KN95 and 60 surgical in stock. Day 0: 10 N95, 10 KN95 (5 left). Day 1: 5 KN95, then 15
    from 45 surgical (15 left). Day 2: 5 from the last 15 surgical. Served 20, 20, 5, 0, 0."""
    r = sim("""
nodes:
  s1: {kind: site, region: ca, demand: {n95: 20}, stock: {n95: 10, kn95: 15, surgical: 60},
       substitutes: [{for: n95, use: kn95}, {for: n95, use: surgical, ratio: 3}]}
""", head=MASKS)
    assert column(r, "n95", "served") == pytest.approx([20.0, 20.0, 5.0, 0.0, 0.0])
    assert column(r, "n95", "substituted") == pytest.approx([10.0, 20.0, 5.0, 0.0, 0.0])
    tr = r.trace
    assert tr.substituted[:, 0, 0].tolist() == pytest.approx([10.0, 5.0, 0.0, 0.0, 0.0])
    assert tr.substitute_used[:, 0, 1].tolist() == pytest.approx([0.0, 45.0, 15.0, 0.0, 0.0])
    assert r.violations() == []


def test_a_substitute_serves_what_a_site_owes() -> None:
    """A site that keeps a backlog: day 0 it has nothing and owes 20; day 1, 30 KN95 arrive
    (a delivery) and cover the 20 owed first, then 10 of the day's 20 (owed: 10)."""
    r = sim("""
nodes:
  s1: {kind: site, region: ca, unmet: backlog, demand: {n95: 20},
       substitutes: [{for: n95, use: kn95}]}
policies:
  - {id: gift, type: delivery, to: s1, commodity: kn95, arrivals: [{day: 1, quantity: 30}]}
""", head=MASKS, days=2)
    assert column(r, "n95", "served") == pytest.approx([0.0, 30.0])
    assert column(r, "n95", "backlog") == pytest.approx([20.0, 10.0])
    assert r.violations() == []


def test_substitutes_are_checked() -> None:
    """Every mistake in one pass, each at its line: only sites, known commodities (with a
    suggestion), not itself, one the site needs, no duplicate."""
    text = MASKS.format(days=5) + """nodes:
  w:
    kind: warehouse
    region: us
    substitutes: [{for: n95, use: kn95}]
  s1:
    kind: site
    region: ca
    demand: {n95: 10}
    substitutes:
      - {for: n95, use: kn59, ratio: 1.5}
      - {for: n95, use: n95}
      - {for: kn95, use: n95}
      - {for: n95, use: surgical}
      - {for: n95, use: surgical, ratio: 2}
"""
    with pytest.raises(ScenarioError) as e:
        loads(text, file="x.yaml")
    lines = text.splitlines()

    def at(snippet: str) -> int:
        return next(n for n, x in enumerate(lines, 1) if snippet in x)

    assert [str(p) for p in e.value.problems] == [
        f"x.yaml:{at('substitutes: [')}: nodes.w.substitutes: only sites have substitutes "
        "(this node is a warehouse)",
        f"x.yaml:{at('kn59')}: nodes.s1.substitutes.0.use: unknown commodity 'kn59' (did you "
        "mean 'kn95'?)",
        f"x.yaml:{at('use: n95}')}: nodes.s1.substitutes.1.use: a commodity cannot substitute "
        "for itself (n95)",
        f"x.yaml:{at('for: kn95')}: nodes.s1.substitutes.2.for: the site has no demand for "
        "kn95, so nothing to substitute for",
        f"x.yaml:{at('ratio: 2')}: nodes.s1.substitutes.4: duplicate substitute surgical for "
        "n95 (first is substitutes.3)",
    ]
    with pytest.raises(ScenarioError, match=r"substitutes.0.ratio: must be > 0"):
        loads(MASKS.format(days=5) + ONLY_SUBSTITUTE.replace("RATIO", "0"))
