"""Attribution of shortages to policies (Shapley values): the axioms on games given as tables
(efficiency, symmetry, null player, additivity), hand-computed contributions on tiny
networks, exact against sampled within the stated error on a 10-policy case, and the
command's JSON document."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from itertools import permutations
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from borderflow import attribute
from borderflow.model import UsageError, loads
from borderflow.studies.attribution import sampled_shapley, shapley

ROOT = Path(__file__).resolve().parents[1]


def _table_game(values: np.ndarray[Any, Any]):  # type: ignore[no-untyped-def]
    return lambda mask: values[mask]


def _by_orders(values: np.ndarray[Any, Any], k: int) -> np.ndarray[Any, Any]:
    """The Shapley value by its definition: the mean marginal contribution over all k! orders."""
    phi = np.zeros((k, values.shape[1]))
    for order in permutations(range(k)):
        mask = 0
        for i in order:
            phi[i] += values[mask | 1 << i] - values[mask]
            mask |= 1 << i
    return phi / math.factorial(k)


games = st.integers(1, 5).flatmap(lambda k: st.tuples(st.just(k), st.lists(
    st.lists(st.floats(-1e6, 1e6), min_size=2, max_size=2), min_size=1 << k, max_size=1 << k)))


@settings(max_examples=60, deadline=None)
@given(games)
def test_the_exact_values_are_the_definition_and_add_up(game: tuple[int, list[list[float]]]) -> None:
    k, table = game
    v = np.asarray(table)
    phi, _ = shapley(_table_game(v), k)
    np.testing.assert_allclose(phi, _by_orders(v, k), rtol=1e-9, atol=1e-6)
    np.testing.assert_allclose(phi.sum(axis=0), v[-1] - v[0], rtol=1e-9, atol=1e-6)


@settings(max_examples=40, deadline=None)
@given(games, games)
def test_additivity(a: tuple[int, list[list[float]]], b: tuple[int, list[list[float]]]) -> None:
    k = min(a[0], b[0])
    v, w = np.asarray(a[1][:1 << k]), np.asarray(b[1][:1 << k])
    both, _ = shapley(_table_game(v + w), k)
    np.testing.assert_allclose(both, shapley(_table_game(v), k)[0] + shapley(_table_game(w), k)[0],
                               rtol=1e-9, atol=1e-6)


def test_symmetry_and_the_null_player() -> None:
    # players 0 and 1 are interchangeable, player 2 changes nothing: v depends on |S & {0,1}|
    v = np.array([[[0.0, 5.0, 5.0, 12.0][m & 3]] for m in range(8)])
    phi, inter = shapley(_table_game(v), 3)
    assert phi[:, 0].tolist() == pytest.approx([6.0, 6.0, 0.0])
    assert inter[0, 1, 0] == pytest.approx(2.0)  # 12 - 5 - 5 + 0
    assert inter[0, 2, 0] == pytest.approx(0.0)


def test_sampled_orders_are_unbiased_within_their_error() -> None:
    rng = np.random.default_rng(3)
    k = 6
    v = rng.normal(size=(1 << k, 3)) * 100
    exact, _ = shapley(_table_game(v), k)
    mean, err = sampled_shapley(_table_game(v), k, 400, seed=1)
    np.testing.assert_allclose(mean.sum(axis=0), v[-1] - v[0], rtol=1e-9)  # efficiency holds
    z = np.abs(mean - exact) / np.maximum(err, 1e-12)
    assert (z < 4).all(), z.max()
    assert (z < 2).mean() > 0.85


TINY = """
format: 1
name: tiny
start: 2020-04-01
days: 10
commodities: {n95: {unit: respirator}}
regions:
  us: {country: US}
  ca: {country: CA}
nodes:
  plant: {kind: plant, region: us, produce: {n95: {capacity: 1000}}}
  toronto: {kind: site, region: ca, demand: {n95: 10}}
  detroit: {kind: site, region: us, demand: {n95: 10}}
lanes:
  - {from: plant, to: toronto, lead_time: 1}
  - {from: plant, to: detroit, lead_time: 1}
policies:
  - {id: ban, type: export_control, commodities: [n95], from_country: US}
  - {id: ban-again, type: export_control, commodities: [n95], from_country: US}
  - {id: ca-ban, type: export_control, commodities: [n95], from_country: CA}
"""


def _contribution(a: Any, region: str, policy: str) -> float:
    rows = a.rows[(a.rows["region"] == region) & (a.rows["policy"] == policy)]
    return float(rows["contribution"].sum())


def test_hand_computed_contributions_on_a_tiny_network() -> None:
    """Toronto loses day 0 (nothing in stock, a day's lead time) without a ban, all 10 days
    with one: either ban alone makes 90 units unmet, both together too, so each of the two
    identical bans is half of it; Canada's ban stops nothing (no lane leaves Canada)."""
    a = attribute(loads(TINY))
    assert a.method == "exact" and a.runs == 8 and a.policies == ["ban", "ban-again", "ca-ban"]
    assert _contribution(a, "ca", "ban") == pytest.approx(45)
    assert _contribution(a, "ca", "ban-again") == pytest.approx(45)
    assert _contribution(a, "ca", "ca-ban") == 0
    assert all(_contribution(a, "us", p) == 0 for p in a.policies)
    t = a.totals.set_index("region")
    assert t.loc["ca", "unmet_none"] == 10 and t.loc["ca", "unmet_variant"] == 100
    alone = attribute(loads(TINY), policies=["ban"])  # the others stay as the variant has them
    assert _contribution(alone, "ca", "ban") == 0  # ban-again stops Toronto's supply anyway
    pair = a.interactions.iloc[0]
    assert {pair.policy_a, pair.policy_b} == {"ban", "ban-again"}
    assert pair.interaction == pytest.approx(-90)  # together they add nothing to either alone


def test_a_counter_measure_counts_with_the_policy_that_triggers_it() -> None:
    text = TINY.replace("""  - {id: ban-again, type: export_control, commodities: [n95], from_country: US}
  - {id: ca-ban, type: export_control, commodities: [n95], from_country: CA}
""", """  - {id: hit-back, type: retaliation, when: {policy: ban}, activate: [ca-cut]}
  - {id: ca-cut, type: border_closure, from_country: CA, to_country: US, enabled: false}
""")
    a = attribute(loads(text))
    assert a.policies == ["ban"]  # the retaliation and its counter-measure are not players
    b = attribute(loads(text), policies=["ban", "hit-back"])
    assert b.policies == ["ban", "hit-back"]


def test_bad_policy_lists_name_the_flag() -> None:
    s = loads(TINY)
    with pytest.raises(UsageError, match=r"--policies: no policy 'bann' .*did you mean 'ban'"):
        attribute(s, policies=["bann"])
    off = loads(TINY.replace("from_country: CA}", "from_country: CA, enabled: false}"))
    with pytest.raises(UsageError, match="not enabled in this variant"):
        attribute(off, policies=["ca-ban"])
    with pytest.raises(UsageError, match="--samples"):
        attribute(s, samples=0)


TEN = TINY.replace("""  - {id: ban, type: export_control, commodities: [n95], from_country: US}
  - {id: ban-again, type: export_control, commodities: [n95], from_country: US}
  - {id: ca-ban, type: export_control, commodities: [n95], from_country: CA}
""", "".join(f"  - {{id: q{i}, type: export_control, commodities: [n95], from_country: US, "
             f"action: quota, quota_per_day: {2 + i}, start: {i % 4}}}\n" for i in range(10)))


@pytest.mark.slow
def test_sampled_and_exact_agree_within_the_error_on_ten_policies() -> None:
    exact = attribute(loads(TEN))
    assert exact.method == "exact" and exact.runs == 1024
    sampled = attribute(loads(TEN), samples=300, seed=2)
    assert sampled.method == "sampled"
    m = exact.rows.merge(sampled.rows, on=["region", "commodity", "policy"])
    z = (m["contribution_x"] - m["contribution_y"]).abs() / m["stderr_y"].clip(lower=1e-9)
    assert (z < 4).all(), m[z >= 4]
    # both add up to the same change, exactly
    for a in (exact, sampled):
        total = a.rows.groupby("region")["contribution"].sum()
        t = a.totals.set_index("region")
        np.testing.assert_allclose(total, (t["unmet_variant"] - t["unmet_none"])[total.index])


def test_two_workers_give_the_numbers_of_one() -> None:
    one = attribute(loads(TEN), samples=20, seed=5)
    two = attribute(loads(TEN), samples=20, seed=5, workers=2)
    assert one.summary() == two.summary()
    assert one.runs < 1024  # a sampled attribution runs only its orders' coalitions


def test_the_json_document_has_the_contracted_shape() -> None:
    proc = subprocess.run([sys.executable, "-m", "borderflow.cli", "attribute", "n95-2020",
                           "--variant", "history", "--policies",
                           "us-export-ban,dpa-3m,us-anti-diversion", "--json"],
                          capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert {"scenario", "variant", "policies", "method", "rows", "care"} <= set(doc)
    assert doc["method"] == "exact" and doc["policies"] == ["dpa-3m", "us-export-ban",
                                                            "us-anti-diversion"]
    assert set(doc["rows"][0]) >= {"region", "commodity", "policy", "contribution"}
    assert set(doc["care"][0]) >= {"site", "policy", "contribution"}
    bad = subprocess.run([sys.executable, "-m", "borderflow.cli", "attribute", "n95-2020",
                          "--policies", "nope"], capture_output=True, text=True, timeout=300,
                         cwd=ROOT)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr and "--policies" in bad.stderr
