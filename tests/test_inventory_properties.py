"""Properties over random scenarios whose nodes take random inventory decisions (forecasts,
rules, backlogs, make-to-order, sharing rules, costs, shared lane capacities, goods in the
pipeline): the invariants hold under both allocators, a batch of identical samples is one
sample, stepping is running."""

from __future__ import annotations

from dataclasses import fields

import numpy as np
from hypothesis import HealthCheck, given, settings

from borderflow.engine import Sampled, Simulator, Trace, compile_network, run, violations
from borderflow.model import Scenario
from strategies import inventory_scenarios

SETTINGS = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@SETTINGS
@given(inventory_scenarios)
def test_the_invariants_hold_with_every_inventory_decision(scenario: Scenario) -> None:
    net = compile_network(scenario)
    trace = Simulator(net).run()
    assert violations(net, trace) == []
    assert trace.backlog.min(initial=0.0) >= 0.0


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(inventory_scenarios)
def test_the_optimal_allocation_keeps_the_invariants_too(scenario: Scenario) -> None:
    net = compile_network(scenario)
    assert violations(net, run(net, "optimal")) == []


def _same(a: Trace, b: Trace) -> None:
    for f in fields(Trace):
        assert np.array_equal(getattr(a, f.name), getattr(b, f.name)), f.name


@SETTINGS
@given(inventory_scenarios)
def test_a_batch_of_identical_samples_is_one_sample(scenario: Scenario) -> None:
    net = compile_network(scenario)
    one = Simulator(net).run()
    three = Simulator(net, 3, Sampled(demand=np.repeat(net.demand[None], 3, axis=0))).run()
    for b in range(3):
        _same(three.sample(b), one)


@SETTINGS
@given(inventory_scenarios)
def test_stepping_is_running(scenario: Scenario) -> None:
    net = compile_network(scenario)
    sim = Simulator(net)
    records = [sim.step() for _ in range(net.days)]
    _same(Trace.stack(records), Simulator(net).run())
