"""Disruptions in the scenario format (issue 14, item 1): golden cases worked by hand on the
tiny networks of `test_policies`, in every allocator, and their validation."""

from __future__ import annotations

import textwrap

import numpy as np
import pytest

import borderflow
from borderflow.model import ScenarioError, loads
from borderflow.results import Result
from test_policies import HEAD, reasons, shipped

CHAIN = """
nodes:
  p: {kind: plant, region: us, produce: {n95: {capacity: 10}}}
  w: {kind: warehouse, region: us, target_days: 0}
  s: {kind: site, region: ca, target_days: 1, demand: {n95: 10}}
lanes:
  - {from: p, to: w, lead_time: 1, capacity: 100}
  - {from: w, to: s, lead_time: 1}
"""


def sim(*parts: str, days: int = 6, allocator: str = "priority", variant: str | None = None,
        ) -> Result:
    s = loads(HEAD.format(days=days) + "".join(textwrap.dedent(p) for p in parts))
    if allocator == "rolling":
        return borderflow.simulate(s, variant=variant, allocator="optimal", window=3, commit=1)
    return borderflow.simulate(s, variant=variant, allocator=allocator)


def made(r: Result) -> list[float]:
    """What the one plant made each day."""
    return [round(float(x), 9) for x in r.trace.produced[:, 0, 0]]


@pytest.mark.parametrize("allocator", ["priority", "optimal", "rolling"])
def test_a_plant_at_half_capacity_makes_half(allocator: str) -> None:
    """The plant makes 10 a day; disrupted at factor 0.5 on days 2-3 it makes 5. The priority
    rule makes at capacity every day; the optimal ones need no more than the site uses, so
    they are checked for the cap only."""
    r = sim(CHAIN, """
    disruptions:
      - {id: fire, node: p, start: 2, days: 2, capacity_factor: 0.5}
    """, allocator=allocator)
    if allocator == "priority":
        assert made(r) == [10.0, 10.0, 5.0, 5.0, 10.0, 10.0]
    else:
        assert max(made(r)[2:4]) <= 5.0 + 1e-9


@pytest.mark.parametrize("allocator", ["priority", "optimal", "rolling"])
def test_a_lane_out_of_action_carries_nothing_and_says_why(allocator: str) -> None:
    """w->s is out on days 1-2 (end: 3, exclusive). The site asks for 10 a day (target 1 day,
    nothing in hand): the lane ships 10 on days 0, 3, 4, 5 and nothing on days 1-2."""
    r = sim(CHAIN.replace("target_days: 0}", "target_days: 0, stock: {n95: 100}}"), """
    disruptions:
      - {id: strike, lane: w->s, start: 1, end: 3}
    """, allocator=allocator)
    assert shipped(r, "w->s")[1:3] == [0.0, 0.0]
    if allocator == "priority":
        assert shipped(r, "w->s") == [10.0, 0.0, 0.0, 10.0, 10.0, 10.0]
        assert reasons(r, "w->s")[1:3] == ["disruption:strike"] * 2


def test_a_lane_at_part_capacity_is_capped_by_the_disruption() -> None:
    """p->w has capacity 100; at factor 0.04 it carries 4 a day on days 0-5."""
    r = sim(CHAIN, """
    disruptions:
      - {id: slow, lane: p->w, capacity_factor: 0.04}
    """)
    assert max(shipped(r, "p->w")) == pytest.approx(4.0)
    assert "disruption:slow" in reasons(r, "p->w")


def test_a_warehouse_out_of_action_neither_ships_nor_receives() -> None:
    r = sim(CHAIN, """
    disruptions:
      - {id: flood, node: w, start: 0, days: 3}
    """)
    assert shipped(r, "p->w")[:3] == [0.0] * 3
    assert shipped(r, "w->s")[:3] == [0.0] * 3
    assert shipped(r, "p->w")[3] > 0


def test_a_country_disrupts_each_of_its_nodes() -> None:
    """Country US holds p (its production stops) and w (its lanes close)."""
    r = sim(CHAIN, """
    disruptions:
      - {id: lockdown, country: US, days: 2}
    """)
    assert made(r)[:2] == [0.0, 0.0]
    assert shipped(r, "w->s")[:2] == [0.0, 0.0]


BORDER = """
nodes:
  w: {kind: warehouse, region: us, stock: {n95: 1000}, target_days: 0}
  h: {kind: site, region: us, target_days: 1, demand: {n95: 10}}
  c: {kind: site, region: ca, target_days: 1, demand: {n95: 10}}
lanes:
  - {from: w, to: h, lead_time: 1}
  - {from: w, to: c, lead_time: 1}
workforce:
  - {id: windsor, home_region: ca, site: h, staff: 10}
care:
  h: {patients: 30, local_staff: 1, patients_per_staff: 2}
"""


def test_a_closed_border_stops_goods_one_way_and_keeps_commuters_home() -> None:
    """US>CA closed on days 1-2: w->c carries nothing, w->h carries on. The CA>US border is a
    different one: closing it keeps the Windsor nurses home (staff 1 + 10 = 11 care for 22
    patients, 8 unstaffed; with 1 staff, 28 unstaffed)."""
    r = sim(BORDER, """
    disruptions:
      - {id: goods, border: {from_country: US, to_country: CA}, start: 1, days: 2}
      - {id: people, border: {from_country: CA, to_country: US}, start: 3, days: 1}
    """)
    assert shipped(r, "w->c")[1:3] == [0.0, 0.0]
    assert shipped(r, "w->h")[1:3] == [10.0, 10.0]
    unstaffed = r.care.set_index("day")["unstaffed"].tolist()
    assert unstaffed == [8.0, 8.0, 8.0, 28.0, 8.0, 8.0]


def test_variants_switch_disruptions_like_policies() -> None:
    text = CHAIN + """
disruptions:
  - {id: fire, node: p, enabled: false}
variants:
  burnt: {enable: [fire]}
"""
    assert made(sim(text))[0] == 10.0
    assert made(sim(text, variant="burnt")) == [0.0] * 6


def test_a_sweep_draws_when_a_disruption_starts() -> None:
    """The fire starts on a day drawn from 0-5: the plant makes nothing from then on."""
    s = loads(HEAD.format(days=6) + CHAIN + """
disruptions:
  - {id: fire, node: p, start: 0}
uncertainty:
  disruptions.fire.start: {dist: uniform, low: 0, high: 5}
""")
    result = borderflow.sweep(s, samples=8, seed=3, chunk_size=4)
    served = result.kpis.groupby("sample")["served"].sum().to_numpy()
    assert np.unique(np.round(served, 6)).size > 1  # the start moved the shortage


@pytest.mark.parametrize(("extra", "message"), [
    ("{id: x, node: nowhere}", "disruptions.0.node: unknown node 'nowhere'"),
    ("{id: x, lane: p->s}", "disruptions.0.lane: unknown lane 'p->s'"),
    ("{id: x, node: p, lane: p->w}", "disruptions.0: name exactly one of node, lane, border "
     "or country (got node, lane)"),
    ("{id: x, node: p, end: 3, days: 2}", "disruptions.0.days: give end or days, not both"),
    ("{id: x, country: ZZ}", "disruptions.0.country: unknown country 'ZZ'"),
    ("{id: x, node: p, capacity_factor: 1.5}", "disruptions.0.capacity_factor"),
    ("{id: x, node: p, start: 4, end: 2}", "disruptions.0.end: a disruption must end after it "
     "starts"),
    ("{id: x, border: {from_country: US, to_country: US}}", "a border lies between two "
     "different countries"),
])
def test_bad_disruptions_name_the_line_and_field(extra: str, message: str) -> None:
    text = HEAD.format(days=6) + CHAIN + f"disruptions:\n  - {extra}\n"
    with pytest.raises(ScenarioError) as e:
        loads(text, file="bad.yaml")
    shown = str(e.value)
    assert message in shown
    assert "bad.yaml:" in shown


def test_a_disruption_id_may_not_repeat_a_policy_id() -> None:
    text = HEAD.format(days=6) + CHAIN + """
policies:
  - {id: fire, type: stockpile_release, stockpile: w, max_per_day: 1}
disruptions:
  - {id: fire, node: p}
"""
    with pytest.raises(ScenarioError, match="duplicate id 'fire'"):
        loads(text)
