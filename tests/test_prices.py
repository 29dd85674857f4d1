"""Shadow prices of the horizon LP (`borderflow prices`): hand-computed on tiny networks,
against finite differences (the LP re-solved with the bound moved a little), on a degenerate
optimum where the dual is not unique (the range says on which side the price holds), and as a
property over random scenarios with policies."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from borderflow.engine import compile_network, resolve
from borderflow.engine.optimal import LP, build, solve
from borderflow.model import Scenario, loads
from borderflow.studies.shadowprices import prices
from strategies import scenarios_with_policies

HEAD = """
format: 1
name: tiny
start: 2020-04-01
days: 10
commodities: {n95: {unit: respirator}}
regions:
  us: {country: US}
  ca: {country: CA}
"""

BANNED = HEAD + """
nodes:
  plant: {kind: plant, region: us, produce: {n95: {capacity: 1000}}}
  toronto: {kind: site, region: ca, demand: {n95: 10}}
lanes:
  - {from: plant, to: toronto, lead_time: 1}
policies:
  - {id: ban, type: export_control, commodities: [n95], from_country: US}
"""


def _lp(s: Scenario) -> LP:
    return build(resolve(compile_network(s)), keep_blocked=True)


def _moved(lp: LP, column: int = -1, row: int = -1, by: float = 0.0,
           both_row_bounds: bool = False) -> float:
    """The LP's optimum with a column's upper bound or a row's bound(s) moved by `by`."""
    if column >= 0:
        upper = lp.col_upper.copy()
        upper[column] += by
        lp = replace(lp, col_upper=upper)
    if row >= 0:
        lower, upper = lp.row_lower.copy(), lp.row_upper.copy()
        upper[row] += by
        if both_row_bounds:
            lower[row] += by
        lp = replace(lp, row_lower=lower, row_upper=upper)
    return solve(lp).objective


def _finite_difference(lp: LP, r: Any, delta: float) -> float:
    """Unmet saved per unit of relaxation, by re-solving: a ban's or a lane's bound up, a
    quota's or licence's row bound up, a rated order's quantity down."""
    base = solve(lp).objective
    if r.lp_column >= 0:
        return (base - _moved(lp, column=int(r.lp_column), by=delta)) / delta
    if r.kind == "rated_order":
        return (base - _moved(lp, row=int(r.lp_row), by=-delta, both_row_bounds=True)) / delta
    return (base - _moved(lp, row=int(r.lp_row), by=delta)) / delta


def test_a_banned_lane_day_is_worth_the_demand_it_could_still_reach() -> None:
    """Toronto has no stock and the ban closes its only lane: one unit exempted on day t
    (arriving t + 1) saves one unit of unmet demand, for up to the demand left from day t + 1
    on (90 - 10 t units); a unit leaving on day 9 lands after the horizon and saves nothing."""
    p = prices(loads(BANNED))
    assert p.ranging is True
    bans = p.rows[p.rows["kind"] == "ban"].set_index("day").sort_index()
    assert list(bans.index) == list(range(9))
    assert np.allclose(bans["price"], 1.0, atol=1e-5)  # less the LP's 1e-6 a unit shipped
    assert set(bans["policy"]) == {"ban"} and set(bans["lane"]) == {"plant->toronto"}
    reach = np.array([90 - 10 * t for t in range(9)], dtype=float)
    # HiGHS's ranging is where its basis stays optimal: a lower bound on how far the price
    # holds (every other lane-day is at its bound too, so the basis changes early)
    assert (bans["relax_range"].to_numpy() <= reach + 1e-9).all()
    lp = _lp(loads(BANNED))
    for r in bans.reset_index().itertuples():
        assert _finite_difference(lp, r, 1.0) == pytest.approx(r.price, abs=1e-6)
        assert _finite_difference(lp, r, reach[r.day]) == pytest.approx(r.price, abs=1e-6)
        assert _finite_difference(lp, r, reach[r.day] + 10) < r.price - 0.05  # beyond: less
    week = p.weekly.set_index("week")
    assert week.loc[1, "binding_days"] == 7 and week.loc[2, "binding_days"] == 2
    assert p.policies.iloc[0]["policy"] == "ban"


RATED = HEAD + """
ratings: [DO]
nodes:
  plant: {kind: plant, region: us, produce: {n95: {capacity: 10}}}
  fema: {kind: warehouse, region: us}
  detroit: {kind: site, region: us, demand: {n95: 10}}
lanes:
  - {from: plant, to: detroit, lead_time: 1}
  - {from: plant, to: fema, lead_time: 1}
policies:
  - {id: dpa, type: rated_order, rating: DO, supplier: plant, buyer: fema, commodity: n95,
     quantity: 40, due: 8, schedule: asap}
"""


def test_a_rated_order_costs_the_unrated_what_it_takes() -> None:
    """The plant makes 10 a day, Detroit's demand: the order's 40 units come out of what
    Detroit would have had, so one unit less ordered saves one unit of unmet demand, exactly
    what re-solving finds."""
    s = loads(RATED)
    p = prices(s)
    order = p.rows[p.rows["kind"] == "rated_order"]
    assert len(order) == 1 and order.iloc[0]["policy"] == "dpa"
    assert order.iloc[0]["price"] == pytest.approx(1.0, abs=1e-5)
    lp = _lp(s)
    for r in order.itertuples():
        assert not r.penalised
        assert _finite_difference(lp, r, 1.0) == pytest.approx(r.price, abs=1e-6)


QUOTA = HEAD + """
nodes:
  plant: {kind: plant, region: us, produce: {n95: {capacity: 1000}}}
  toronto: {kind: site, region: ca, demand: {n95: 10}}
lanes:
  - {from: plant, to: toronto, lead_time: 1}
policies:
  - {id: quota, type: export_control, action: quota, quota_per_day: 10, commodities: [n95],
     from_country: US}
"""


def test_a_degenerate_quota_says_on_which_side_its_price_holds() -> None:
    """A daily quota of exactly Toronto's daily demand binds every day, but one more unit
    saves nothing (every later day is served) while one less costs a unit: the dual is not
    unique (anything from 0 to 1). Whatever HiGHS reports, the price must equal the finite
    difference on each side where its range is not 0, and the side where the differences
    disagree must have a range of 0."""
    s = loads(QUOTA)
    lp = _lp(s)
    net = resolve(compile_network(s))
    sol = solve(lp, net, duals=True)
    assert sol.ranging is not None and sol.row_dual is not None
    first = 0  # the quota rows' offset among all rows
    for name, c in lp.constraints.items():
        if name == "quota":
            break
        first += c.size
    quota = lp.constraints["quota"]
    degenerate = 0
    for i in range(quota.size):
        row = first + i
        price = -sol.row_dual[row]
        bound = lp.row_upper[row]
        up = (sol.objective - _moved(lp, row=row, by=0.5)) / 0.5
        down = (_moved(lp, row=row, by=-0.5) - sol.objective) / 0.5
        above = sol.ranging.row_up[row] - bound
        below = bound - sol.ranging.row_down[row]
        if above >= 0.5:
            assert up == pytest.approx(price, abs=1e-6)
        if below >= 0.5:
            assert down == pytest.approx(price, abs=1e-6)
        if not np.isclose(up, down, atol=1e-6):
            degenerate += 1
            assert min(above, below) < 1e-9, (i, price, up, down, above, below)
    assert degenerate >= 5  # days 0-8: one less costs 1, one more saves 0


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios_with_policies())
def test_prices_equal_finite_differences_on_random_scenarios(s: Scenario) -> None:
    """Every reported price (up to 4 a scenario) matches re-solving with the bound relaxed
    within the range it holds over."""
    p = prices(s)
    lp = _lp(s)
    scale = max(1.0, abs(p.objective))
    checked = 0
    for r in p.rows.itertuples():
        if checked == 4:
            break
        if not np.isfinite(r.relax_range) or r.relax_range < 1e-6 or r.penalised:
            continue
        delta = float(min(1.0, r.relax_range / 2))
        fd = _finite_difference(lp, r, delta)
        assert fd == pytest.approx(r.price, rel=1e-5, abs=1e-5 + 1e-9 * scale / delta), r
        checked += 1


def test_prices_json_and_cli(tmp_path: Any) -> None:
    path = tmp_path / "banned.yaml"
    path.write_text(BANNED)
    proc = subprocess.run([sys.executable, "-m", "borderflow.cli", "prices", str(path),
                           "--json"], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["scenario"] == "tiny" and doc["ranging"] is True
    assert {r["kind"] for r in doc["rows"]} == {"ban"}
    assert doc["policies"][0]["policy"] == "ban"
    text = subprocess.run([sys.executable, "-m", "borderflow.cli", "prices", str(path)],
                          capture_output=True, text=True, timeout=300)
    assert text.returncode == 0 and "plant->toronto" in text.stdout
    bad = subprocess.run([sys.executable, "-m", "borderflow.cli", "prices", str(path),
                          "--variant", "nope"], capture_output=True, text=True, timeout=300)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
