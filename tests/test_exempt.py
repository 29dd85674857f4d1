"""`borderflow exempt`: the MILP's choice of exemptions equals the best of every subset within
the budget (each solved as the optimal allocation's LP on its own), on a tiny network worked
by hand and on the flagship; protected regions stay within their limits; bad input exits 2."""

from __future__ import annotations

import json
import subprocess
import sys
from itertools import combinations

import pytest

from borderflow.engine import compile_network, resolve
from borderflow.engine.optimal import build, solve
from borderflow.model import Scenario, UsageError, apply_variant, builtin_path, load, loads
from borderflow.studies.exemptions import _with, exempt, parse_protect

TINY = """
format: 1
name: tiny
start: 2020-04-01
days: 10
commodities: {n95: {unit: respirator}}
regions:
  us: {country: US}
  ca: {country: CA}
  mx: {country: MX}
nodes:
  plant: {kind: plant, region: us, produce: {n95: {capacity: 1000}}}
  detroit: {kind: site, region: us, demand: {n95: 10}}
  toronto: {kind: site, region: ca, demand: {n95: 10}}
  monterrey: {kind: site, region: mx, demand: {n95: 4}}
lanes:
  - {from: plant, to: detroit, lead_time: 1}
  - {from: plant, to: toronto, lead_time: 1}
  - {from: plant, to: monterrey, lead_time: 1}
policies:
  - {id: ban, type: export_control, commodities: [n95], from_country: US}
"""


def _objective(s: Scenario) -> float:
    net = resolve(compile_network(s))
    return solve(build(net)).objective


def _best_subset(s: Scenario, policy: str, by: str, candidates: list[str], budget: int
                 ) -> tuple[float, set[str]]:
    found = []
    for k in range(budget + 1):
        for subset in combinations(candidates, k):
            found.append((_objective(_with(s, policy, by, list(subset))), set(subset)))
    return min(found, key=lambda f: f[0])


def test_the_larger_shortage_is_exempted_first() -> None:
    """Without exemptions Toronto and Monterrey get nothing; exempting Canada saves its 90
    units (days 1-9), Mexico 36: with a budget of one, Canada; of two, both."""
    s = loads(TINY)
    one = exempt(s, "ban", budget=1)
    assert one.chosen == ["CA"]
    assert list(one.candidates["candidate"]) == ["CA", "MX"]
    r = one.regions.set_index("region")
    assert r.loc["ca", "unmet_none"] == 100 and r.loc["ca", "unmet_chosen"] == 10
    assert r.loc["ca", "unmet_optimal"] == pytest.approx(10)
    assert r.loc["mx", "unmet_chosen"] == 40
    assert exempt(s, "ban", budget=2).chosen == ["CA", "MX"]
    assert exempt(s, "ban", budget=0).chosen == []
    assert exempt(s, "ban", budget=1, by="lane").chosen == ["plant->toronto"]


def test_a_protected_region_limits_the_choice() -> None:
    """With the plant making 14 a day, exempting Canada takes from Detroit; keeping Detroit
    at most 10% short forces the choice that leaves it whole, and an impossible limit is a
    clear error."""
    s = loads(TINY.replace("capacity: 1000", "capacity: 14"))
    e = exempt(s, "ban", budget=1, protect={"us": 10.0})
    r = e.regions.set_index("region")
    assert r.loc["us", "unmet_optimal"] <= 0.10 * r.loc["us", "demand"] + 1e-6
    best, _ = _best_subset(s, "ban", "country", ["CA", "MX"], 1)
    assert e.optimal_unmet >= best - 1e-6  # a protection can only cost
    with pytest.raises(UsageError, match="loosen"):
        exempt(s.model_copy(), "ban", budget=1, protect={"us": 0.0, "ca": 0.0, "mx": 0.0})


def test_the_milp_equals_the_best_subset_on_the_flagship() -> None:
    s = apply_variant(load(builtin_path("n95-2020")), "ban-and-retaliation")
    e = exempt(s, "us-export-ban", budget=2)
    candidates = list(e.candidates["candidate"])
    best, subset = _best_subset(s, "us-export-ban", "country", candidates, 2)
    assert set(e.chosen) == subset
    assert e.optimal_unmet == pytest.approx(best, rel=1e-6)


def test_bad_input_names_the_flag() -> None:
    s = loads(TINY)
    with pytest.raises(UsageError, match="--policy"):
        exempt(s, "nope")
    with pytest.raises(UsageError, match="--protect"):
        parse_protect(["us"], s)
    with pytest.raises(UsageError, match="--protect"):
        parse_protect(["mars:10"], s)
    with pytest.raises(UsageError, match="--protect"):
        parse_protect(["us:120"], s)


def test_the_command(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY)
    proc = subprocess.run([sys.executable, "-m", "borderflow.cli", "exempt", str(path),
                           "--policy", "ban", "--budget", "1", "--protect", "us:50", "--json"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["chosen"] == ["CA"] and doc["method"] == "milp" and doc["protect"] == {"us": 50}
    assert doc["unmet"]["priority_chosen"] < doc["unmet"]["priority_none"]
    bad = subprocess.run([sys.executable, "-m", "borderflow.cli", "exempt", str(path),
                          "--policy", "ban", "--protect", "us"], capture_output=True, text=True,
                         timeout=300)
    assert bad.returncode == 2 and "--protect" in bad.stderr and "Traceback" not in bad.stderr
