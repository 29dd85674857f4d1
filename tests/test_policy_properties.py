"""Properties of policy runs over random valid scenarios with random policies.

Every run is also checked against the engine's invariants by the conftest (stock, balance,
limits, rated orders first). Here, in addition: every flow the engine sends is one that
`screen` (a separate code path, reading the scenario rather than the compiled arrays) allows,
and stepping equals running.
"""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings

import borderflow
from borderflow.engine import Simulator, Trace, compile_network
from borderflow.model import Scenario
from borderflow.policy import Shipment, screen
from strategies import scenarios_with_policies

SETTINGS = settings(max_examples=120, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@SETTINGS
@given(scenarios_with_policies())
def test_invariants_hold_with_policies(s: Scenario) -> None:
    result = borderflow.simulate(s)
    assert result.violations() == []


@SETTINGS
@given(scenarios_with_policies())
def test_every_flow_passes_screening(s: Scenario) -> None:
    """No flow on a banned lane beyond its exemption; none above a quota or from a closed
    stockpile: what shipped on a lane on a day is at most what `screen` allows for it."""
    result = borderflow.simulate(s)
    flows = result.flows
    lanes = flows.groupby(["day", "from", "to", "commodity"])["quantity"].sum()
    for (day, src, dst, com), qty in lanes.items():
        verdict = screen(s, Shipment(src, dst, com, float(qty), int(day)))
        assert qty <= verdict.allowed + 1e-6 * max(1.0, qty), (day, src, dst, com, str(verdict))


@SETTINGS
@given(scenarios_with_policies())
def test_step_equals_run_with_policies(s: Scenario) -> None:
    net = compile_network(s)
    sim = Simulator(net)
    records = [sim.step() for _ in range(net.days)]
    stepped = Trace.stack(records)
    ran = Simulator(net).run()
    for name in Trace.__dataclass_fields__:
        assert np.array_equal(getattr(stepped, name), getattr(ran, name)), name
