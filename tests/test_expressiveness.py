"""Issue 17, item 6: what a policy analyst needs to write a policy as it was. Golden cases,
every number computed by hand, on the tiny networks of `test_policies`."""

from __future__ import annotations

import numpy as np
import pytest

from borderflow.demand import evaluate
from borderflow.model import ScenarioError, loads

from test_policies import HEAD, SITES, run, shipped


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
