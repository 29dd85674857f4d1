"""Inventory decisions (forecasts, replenishment rules, backlogs, make-to-order, in_transit,
costs, capacity_total, sharing rules, orders due after the horizon): golden cases worked by
hand, the textbook results they must reproduce, and bad input.

Day t as in tests/test_golden.py. A node's inventory position p is its stock after today's
use plus what is in transit to it, less what it owes (a site's backlog, a warehouse's requests
of the day)."""

from __future__ import annotations

import math
import textwrap
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import borderflow
from borderflow import Result
from borderflow.model import Scenario, ScenarioError, loads

TOL = 1e-9
HEAD = "format: 1\nname: inventory\nstart: 2020-04-01\n"
ONE = "commodities: {x: {unit: u}}\nregions: {r: {country: US}}\n"


def sim(body: str, allocator: str = "priority") -> Result:
    return borderflow.simulate(loads(HEAD + ONE + textwrap.dedent(body)), allocator=allocator)


def approx(expected: Any) -> Any:
    return pytest.approx(expected, rel=0, abs=1e-7)


def asked(r: Result, lane: str) -> list[float]:
    """What was requested of a lane each day (0 on days nothing was)."""
    c = r.constraints[r.constraints["lane"] == lane]
    out = [0.0] * r.days
    for d, q in zip(c["day"], c["requested"], strict=True):
        out[int(d)] = float(q)
    return out


def site_column(r: Result, node: str, name: str) -> list[float]:
    rows = r.sites[r.sites["node"] == node].sort_values("day")
    return [float(v) for v in rows[name]]


# A site using 10 a day, 30 in stock, supplied a day away by a warehouse that never runs out
# and never orders (target 0).
RULE = """\
days: 6
nodes:
  dc: {{kind: warehouse, region: r, stock: {{x: 1000}}, target_days: 0}}
  s:
    kind: site
    region: r
    stock: {{x: 30}}
    demand: {{x: 10}}
    target_days: 3
    replenishment: {rule}
lanes:
  - {{from: dc, to: s, lead_time: 1}}
"""


@pytest.mark.parametrize(("rule", "expected"), [
    # p = 20 on day 0; each day's order arrives the next morning
    # base-stock S = 50: up to 50 from p = 20, then 50 - 10 = 40 each day
    ("{rule: base_stock, level: 50}", [30, 10, 10, 10, 10, 10]),
    # (s, S) = (20, 50): p = 20 <= s -> 30; p 40, 30 > s -> 0; p 20 -> 30; 40, 30 -> 0
    ("{rule: s_S, reorder_point: 20, level: 50}", [30, 0, 0, 30, 0, 0]),
    # (R, Q) = (20, 15): p 20 -> 15; 25 -> 0; 15 -> 15; 20 -> 15; 25 -> 0; 15 -> 15
    ("{rule: r_Q, reorder_point: 20, quantity: 15}", [15, 0, 15, 15, 0, 15]),
    # (R, Q) = (25, 4): one order of Q a day while p <= R: p 20, 14, 8 ... -> 4 each day
    ("{rule: r_Q, reorder_point: 25, quantity: 4}", [4, 4, 4, 4, 4, 4]),
    # order up to 3 x 10 on even days only: p 20 -> 10; -; p 10 -> 20; -; 10 -> 20; -
    ("{review_days: 2}", [10, 0, 20, 0, 20, 0]),
    # 3 x 10 + 1 day of safety = 40: p 20 -> 20, then 40 - 10 = 30 -> 10 each day
    ("{safety_days: 1}", [20, 10, 10, 10, 10, 10]),
])
def test_each_replenishment_rule_worked_by_hand(rule: str, expected: list[float]) -> None:
    r = sim(RULE.format(rule=rule))
    assert asked(r, "dc->s") == approx(expected)
    assert r.violations() == []


def test_a_safety_term_of_z_standard_deviations() -> None:
    """Site: no stock, use 10 then 20 (a step), target 2, a 2-day moving average, z = 1.
    d0: F 10, sigma 0 -> level 20: order 20. d1: 20 arrives and is used; F 15, sigma
    sqrt((100 + 400) / 2 - 225) = 5 -> level 2 x 15 + 5 x sqrt(2)."""
    r = sim("""\
        days: 2
        nodes:
          dc: {kind: warehouse, region: r, stock: {x: 1000}, target_days: 0}
          s:
            kind: site
            region: r
            demand: {x: [{from: 0, value: 10}, {from: 1, value: 20}]}
            target_days: 2
            forecast: {moving_average: 2}
            replenishment: {safety_z: 1}
        lanes:
          - {from: dc, to: s, lead_time: 1}
        """)
    assert asked(r, "dc->s") == approx([20, 30 + 5 * math.sqrt(2)])


def test_an_exponential_forecast_worked_by_hand() -> None:
    """alpha 0.5; use 10, 30, 10; target 1; the site starts with 10 in stock.
    d0: uses 10 -> 0; F 10; order 10. d1: 10 arrives; uses 10 of 30 (20 lost); F 20; order
    20. d2: 20 arrives, uses 10 -> 10; F 15; order 15 - 10 = 5."""
    r = sim("""\
        days: 3
        nodes:
          dc: {kind: warehouse, region: r, stock: {x: 1000}, target_days: 0}
          s:
            kind: site
            region: r
            stock: {x: 10}
            demand: {x: [{from: 0, value: 10}, {from: 1, value: 30}, {from: 2, value: 10}]}
            target_days: 1
            forecast: {exponential: 0.5}
        lanes:
          - {from: dc, to: s, lead_time: 1}
        """)
    assert asked(r, "dc->s") == approx([10, 20, 5])
    assert site_column(r, "s", "unmet") == approx([0, 20, 0])


# ---- the bullwhip effect (Chen, Drezner, Ryan and Simchi-Levi 2000) ---------------------------

def _chain(demand: list[float], k: float, window: int) -> Scenario:
    """A site ordering up to k x its P-day moving average, daily, from a plant that never runs
    short, owing what it cannot serve (so its position falls by all of its use)."""
    return Scenario.model_validate({
        "format": 1, "name": "bullwhip", "start": "2020-01-01", "days": len(demand),
        "commodities": {"x": {"unit": "u"}}, "regions": {"r": {"country": "US"}},
        "nodes": {
            "plant": {"kind": "plant", "region": "r", "stock": {"x": 1e9},
                      "produce": {"x": {"capacity": 1e6}}},
            "s": {"kind": "site", "region": "r", "stock": {"x": k * 100},
                  "demand": {"x": [{"from": t, "value": float(v)} for t, v in enumerate(demand)]},
                  "target_days": k, "forecast": {"moving_average": window}, "unmet": "backlog"}},
        "lanes": [{"from": "plant", "to": "s", "lead_time": 1}]})


@pytest.mark.parametrize(("k", "window"), [(3, 1), (3, 2), (2, 4), (6, 6)])
def test_order_variance_over_demand_variance_is_chen_et_al_s(k: int, window: int) -> None:
    """For iid demand, Var(orders) / Var(demand) = 1 + 2k/P + 2k^2/P^2 for an order-up-to
    level of k days of a P-day moving average (Chen et al. 2000, their lead time L being the
    days covered, k). 3,600 days of normal demand (mean 100, sd 10): the sample ratio is
    within 6% of the formula (its standard error here is under 2%)."""
    rng = np.random.default_rng(2000 + 10 * k + window)
    u = np.maximum(0.0, rng.normal(100.0, 10.0, 3600))
    r = borderflow.simulate(_chain(list(u), k, window))
    q = np.array(asked(r, "plant->s"))[window:]
    expected = 1 + 2 * k / window + 2 * k ** 2 / window ** 2
    assert q.var() / u[window:].var() == pytest.approx(expected, rel=0.06)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(demand=st.lists(st.floats(10, 200), min_size=8, max_size=30),
       k=st.integers(1, 5), window=st.integers(1, 6))
def test_the_order_equation_holds_while_orders_stay_positive(
        demand: list[float], k: int, window: int) -> None:
    """q_t = u_t + (k/P)(u_t - u_{t-P}) once the window is full, whenever every order so far
    was positive (an order clipped at 0 leaves the position above the level)."""
    r = borderflow.simulate(_chain(demand, k, window))
    q, u = asked(r, "plant->s"), demand
    for t in range(window, len(u)):
        if min(q[:t + 1]) <= 0:
            break
        assert q[t] == pytest.approx(u[t] + k / window * (u[t] - u[t - window]), rel=1e-9, abs=1e-6)


# ---- backlogs, pipeline, make-to-order ----------------------------------------------------------

BACKLOG = """\
days: 5
nodes:
  p: {kind: plant, region: r, produce: {x: {capacity: 5}}, target_days: 0}
  s: {kind: site, region: r, stock: {x: 15}, demand: {x: 10}, target_days: 1, unmet: backlog}
lanes:
  - {from: p, to: s, lead_time: 1}
"""


def test_a_backlog_is_served_first_when_stock_arrives() -> None:
    """p makes 5 a day; s uses 10 a day from 15, owing what it cannot serve.
    d0: s 15 -> 5, owes 0; p ships 5. d1: 5 + 5 = 10 -> 0; owes 0. d2: 5 arrives; 10 due ->
    serves 5, owes 5. d3: 5 arrives; 15 due -> serves the 5 owed first, owes today's 10 (the
    day's unmet). d4: serves 5 of those, owes 15.
    KPIs: demand 50, served 35, unmet (still owed) 15 = backlog. First owed first served,
    units 26-30 (day 2's) were served on day 3 and 31-35 (day 3's) on day 4: 10 unit-days of
    delay over 35 served."""
    r = sim(BACKLOG)
    assert site_column(r, "s", "served") == approx([10, 10, 5, 5, 5])
    assert site_column(r, "s", "backlog") == approx([0, 0, 5, 10, 15])
    assert site_column(r, "s", "unmet") == approx([0, 0, 5, 10, 10])
    k = r.kpis.iloc[0]
    assert (k["demand"], k["served"], k["unmet"], k["backlog"]) == approx((50, 35, 15, 15))
    assert k["stockout_days"] == 3
    assert k["mean_delay_days"] == approx(10 / 35)
    assert r.violations() == []


def test_a_backlog_paid_back_gives_the_mean_delay() -> None:
    """As above but the plant makes 15 a day from day 2: d2 serves 10 of the day's 10... d0-1
    as above; d2: 5 arrives: serves 5, owes 5; p ships 15. d3: 15 arrives: serves 15 (5 owed
    from d2 and today's 10), owes 0. d4: 15 arrives -> serves 10, holds 5.
    Units served late: 5 demanded on day 2, served on day 3: 5 unit-days over 45 served."""
    r = sim(BACKLOG.replace("capacity: 5}", "capacity: [{from: 0, value: 5}, {from: 2, value: 15}]}"))
    assert site_column(r, "s", "served") == approx([10, 10, 5, 15, 10])
    assert site_column(r, "s", "backlog") == approx([0, 0, 5, 0, 0])
    k = r.kpis.iloc[0]
    assert (k["unmet"], k["backlog"]) == approx((0, 0))
    assert k["mean_delay_days"] == approx(5 / 50)


def test_the_optimal_allocator_pays_back_a_backlog_and_costs_it_per_day() -> None:
    """One warehouse with 30, two sites using 10 a day for 3 days, a day away, each 10 in
    stock; a unit owed costs 1 a day at the first (owes), a unit lost 2 at the second.
    30 cannot serve the 40 still needed on days 1-2: the LP ships the second all it needs
    (20: saves 2 a unit) and the first 10; the first owes 10 at the end of day 2: cost 10."""
    r = sim("""\
        days: 3
        nodes:
          w: {kind: warehouse, region: r, stock: {x: 30}, target_days: 0}
          a: {kind: site, region: r, stock: {x: 10}, demand: {x: 10}, unmet: backlog,
              shortage_cost: 1}
          b: {kind: site, region: r, stock: {x: 10}, demand: {x: 10}, shortage_cost: 2}
        lanes:
          - {from: w, to: a, lead_time: 1}
          - {from: w, to: b, lead_time: 1}
        """, allocator="optimal")
    assert site_column(r, "b", "served") == approx([10, 10, 10])
    assert sum(site_column(r, "a", "served")) == approx(20)
    assert site_column(r, "a", "backlog")[-1] == approx(10)
    assert r.costs["shortage"] == approx(10)
    assert r.violations() == []


def test_goods_in_the_pipeline_at_day_0() -> None:
    """A lane with lead 2 and in_transit 4: 4 land on day 0 and 4 on day 1 (shipped on days
    -2 and -1). The site uses 3 a day and orders nothing (target 0)."""
    r = sim("""\
        days: 3
        nodes:
          w: {kind: warehouse, region: r, target_days: 0}
          s: {kind: site, region: r, demand: {x: 3}, target_days: 0}
        lanes:
          - {from: w, to: s, lead_time: 2, in_transit: {x: 4}}
        """)
    s = r.stocks[r.stocks["node"] == "s"].sort_values("day")
    assert list(s["stock"]) == approx([1, 2, 0])
    assert list(s["in_transit"]) == approx([4, 0, 0])
    assert site_column(r, "s", "unmet") == approx([0, 0, 1])
    assert r.violations() == [] and r.balance_error < TOL
    opt = sim("""\
        days: 3
        nodes:
          w: {kind: warehouse, region: r, target_days: 0}
          s: {kind: site, region: r, demand: {x: 3}, target_days: 0}
        lanes:
          - {from: w, to: s, lead_time: 2, in_transit: {x: 4}}
        """, allocator="optimal")
    assert site_column(opt, "s", "served") == approx([3, 3, 2])
    assert opt.violations() == []


def test_a_plant_that_makes_to_order() -> None:
    """p (capacity 100, to order) -> s (target 1, use 10, stock 0), lead 1.
    d0: p was asked nothing: makes 0. s unmet 10, asks 10; p ships 0.
    d1: p makes 10 (asked 10 yesterday, holds 0); s asks 10 - 0 = 10; p ships 10.
    d2: p makes 10 - 0 = 10; s: 10 arrives, used; asks 10; p ships 10. Every day after: 10."""
    r = sim("""\
        days: 4
        nodes:
          p: {kind: plant, region: r, produce: {x: {capacity: 100}}, make: to_order}
          s: {kind: site, region: r, demand: {x: 10}, target_days: 1}
        lanes:
          - {from: p, to: s, lead_time: 1}
        """)
    made = r.production.set_index("day")["produced"].reindex(range(4), fill_value=0.0)
    assert list(made) == approx([0, 10, 10, 10])
    assert site_column(r, "s", "unmet") == approx([10, 10, 0, 0])


# ---- costs --------------------------------------------------------------------------------------

def test_the_textbook_transportation_problem_costs_153_675() -> None:
    """GAMS's TRNSPORT (Dantzig 1963): Seattle (350 cases) and San Diego (600) supply New
    York (325), Chicago (300) and Topeka (275) at $90 a case per thousand miles: the least
    cost is 153.675 (thousand dollars). Cases are stock on day 0, markets use them on day 1."""
    miles = {("seattle", "new-york"): 2.5, ("seattle", "chicago"): 1.7, ("seattle", "topeka"): 1.8,
             ("san-diego", "new-york"): 2.5, ("san-diego", "chicago"): 1.8,
             ("san-diego", "topeka"): 1.4}
    lanes = "\n".join(f"  - {{from: {a}, to: {b}, lead_time: 1, cost_per_unit: {90 * m / 1000}}}"
                      for (a, b), m in miles.items())
    markets = "\n".join(
        f"  {m}: {{kind: site, region: r, demand: {{x: [{{from: 1, value: {q}}}]}}, "
        "shortage_cost: 1000}" for m, q in (("new-york", 325), ("chicago", 300), ("topeka", 275)))
    r = sim(f"""\
days: 2
nodes:
  seattle: {{kind: warehouse, region: r, stock: {{x: 350}}}}
  san-diego: {{kind: warehouse, region: r, stock: {{x: 600}}}}
{markets}
lanes:
{lanes}
""", allocator="optimal")
    assert r.kpis["unmet"].sum() == approx(0)
    assert r.costs["transport"] == pytest.approx(153.675, rel=1e-9)
    assert r.costs == {"shortage": 0.0, "holding": pytest.approx(0), "transport": pytest.approx(153.675),
                       "total": pytest.approx(153.675)}


def test_holding_cost_counts_units_held_a_day() -> None:
    r = sim("""\
        days: 3
        nodes:
          s: {kind: site, region: r, stock: {x: 10}, demand: {x: 2}, holding_cost: 0.5}
        """)
    # end-of-day stock 8, 6, 4: 18 unit-days at 0.5
    assert r.costs["holding"] == approx(9.0)
    assert float(r.kpis["cost"].iloc[0]) == approx(9.0)


def test_capacity_total_is_shared_by_a_lanes_commodities() -> None:
    """One lane carries x and y, 10 a day in all; the site asks 8 of x and 12 of y: pro rata,
    4 and 6."""
    r = borderflow.simulate(loads(HEAD + textwrap.dedent("""\
        commodities: {x: {unit: u}, y: {unit: u}}
        regions: {r: {country: US}}
        days: 1
        nodes:
          w: {kind: warehouse, region: r, stock: {x: 100, y: 100}, target_days: 0}
          s: {kind: site, region: r, demand: {x: 8, y: 12}, target_days: 1}
        lanes:
          - {from: w, to: s, lead_time: 1, capacity_total: 10}
        """)))
    sent = r.flows.set_index("commodity")["quantity"]
    assert (sent["x"], sent["y"]) == approx((4, 6))
    assert set(r.constraints["reason"].dropna()) == {"lane_capacity"}


# ---- how a supplier shares scarce stock ---------------------------------------------------------

SHARING = """\
days: 1
nodes:
  w: {{kind: warehouse, region: r, stock: {{x: 30}}, target_days: 0{allocation}}}
  a: {{kind: site, region: r, demand: {{x: 30}}, target_days: 1}}
  b: {{kind: site, region: r, demand: {{x: 10}}, target_days: 2}}
  c: {{kind: site, region: r, demand: {{x: 10}}, target_days: 1}}
lanes:
  - {{from: w, to: a, lead_time: 1}}
  - {{from: w, to: b, lead_time: 1}}
  - {{from: w, to: c, lead_time: 1}}
"""


def _shared(allocation: str = "") -> dict[str, float]:
    r = sim(SHARING.format(allocation=allocation))
    return {str(k): float(v) for k, v in r.flows.set_index("to")["quantity"].items()}


@pytest.mark.parametrize(("allocation", "expected"), [
    # requests a 30, b 20 (2 days of 10), c 10: 60 asked of 30
    ("", {"a": 15, "b": 10, "c": 5}),  # pro rata to requests
    (", allocation: {rule: priority, order: [c, a]}", {"a": 20, "c": 10}),
    # by fixed shares: a and b 1 each -> 15 and 15 (a's and b's requests cap neither); c the rest
    (", allocation: {rule: shares, shares: {a: 1, b: 1}}", {"a": 15, "b": 15}),
    # by forecast use: a 30, b 10, c 10 -> 18, 6, 6 (b's two days of cover count for nothing)
    (", allocation: {rule: pro_rata_use}", {"a": 18, "b": 6, "c": 6}),
])
def test_each_sharing_rule_worked_by_hand(allocation: str, expected: dict[str, float]) -> None:
    assert _shared(allocation) == approx(expected)


def test_shares_left_by_a_capped_buyer_go_to_the_others() -> None:
    # shares a 1, c 3: c would get 22.5 but asks 10; the 12.5 it leaves go to a (up to its 30)
    got = _shared(", allocation: {rule: shares, shares: {a: 1, c: 3}}")
    assert got == approx({"a": 20, "c": 10})


def test_an_inflated_order_gains_nothing_under_pro_rata_use() -> None:
    fair = _shared(", allocation: {rule: pro_rata_use}")
    greedy = sim(SHARING.format(allocation=", allocation: {rule: pro_rata_use}")
                 .replace("target_days: 2}", "target_days: 20}"))
    got = {str(k): float(v) for k, v in greedy.flows.set_index("to")["quantity"].items()}
    assert got == approx(fair)
    by_request = sim(SHARING.format(allocation="").replace("target_days: 2}", "target_days: 20}"))
    assert by_request.flows.set_index("to")["quantity"]["b"] > 10  # under the default it gains


# ---- rated orders due after the horizon ---------------------------------------------------------

def test_a_rated_order_due_after_the_horizon_paces_toward_its_due_day() -> None:
    """100 due on day 20, lead 1, simulated for 5 days: even, 100 / 20 a day (ship days 0-19);
    the optimal allocator must deliver the 5 days' share, 25."""
    body = """\
        days: 5
        nodes:
          p: {kind: warehouse, region: r, stock: {x: 1000}, target_days: 0}
          f: {kind: warehouse, region: r, target_days: 0}
        lanes:
          - {from: p, to: f, lead_time: 1}
        policies:
          - {id: dpa, type: rated_order, supplier: p, buyer: f, commodity: x, quantity: 100,
             due: 20}
        """
    r = sim(body)
    assert r.flows["quantity"].tolist() == approx([5.0] * 5)
    opt = sim(body, allocator="optimal")
    assert opt.flows["quantity"].sum() == approx(25)
    assert opt.violations() == []


# ---- bad input ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("yaml", "message"), [
    ("replenishment: {rule: base_stock}", "nodes.s.replenishment.level: the base_stock rule needs level"),
    ("replenishment: {rule: s_S, reorder_point: 60, level: 50}",
     "nodes.s.replenishment.level: the level S (50 x) is below the reorder point s (60)"),
    ("replenishment: {rule: base_stock, level: 5, quantity: 3}",
     "nodes.s.replenishment.quantity: the base_stock rule has no quantity"),
    ("replenishment: {rule: base_stock, level: {y: 5}}",
     "nodes.s.replenishment.level.y: unknown commodity 'y'"),
    ("forecast: {moving_avrage: 3}", "nodes.s.forecast"),
    ("make: to_order", "nodes.s.make: only plants have make"),
    ("allocation: {rule: priority, order: [q]}", "nodes.s.allocation.order.0: 'q' is not a buyer of s"),
    ("allocation: {rule: shares}", "nodes.s.allocation.shares: the shares rule needs shares"),
])
def test_bad_inventory_fields_name_file_line_and_field(yaml: str, message: str) -> None:
    text = HEAD + ONE + textwrap.dedent(f"""\
        days: 2
        nodes:
          s: {{kind: site, region: r, demand: {{x: 1}}, {yaml}}}
        """)
    with pytest.raises(ScenarioError) as e:
        loads(text, file="inv.yaml")
    assert any(str(p).startswith("inv.yaml:8: " + message) for p in e.value.problems), \
        [str(p) for p in e.value.problems]


def test_a_stockpile_does_not_order_and_a_warehouse_has_no_backlog() -> None:
    text = HEAD + ONE + textwrap.dedent("""\
        days: 2
        nodes:
          sns: {kind: stockpile, region: r, forecast: {moving_average: 3}}
          w: {kind: warehouse, region: r, unmet: backlog}
          s: {kind: site, region: r, demand: {x: 1}}
        lanes:
          - {from: w, to: s, lead_time: 1, in_transit: {q: 1}}
        """)
    with pytest.raises(ScenarioError) as e:
        loads(text, file="inv.yaml")
    found = [str(p) for p in e.value.problems]
    assert "inv.yaml:8: nodes.sns.forecast: a stockpile does not order (it ships while a release " \
           "lets it)" in found
    assert "inv.yaml:9: nodes.w.unmet: only sites have unmet (this node is a warehouse)" in found
    assert any(p.startswith("inv.yaml:12: lanes.0.in_transit.q: unknown commodity 'q'") for p in found)
