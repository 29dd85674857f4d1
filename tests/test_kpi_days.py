"""KPIs gathered day by day (`results.kpis.BatchKpis`, what a sweep uses instead of holding
the trace) are those of the whole trace, bit for bit, and do not depend on the batch."""

from __future__ import annotations

import pandas as pd
from hypothesis import HealthCheck, given, settings

from borderflow.engine import Simulator, compile_network
from borderflow.model import Scenario
from borderflow.results.kpis import BatchKpis, kpi_batch
from strategies import inventory_scenarios


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(inventory_scenarios)
def test_kpis_of_the_days_as_they_come_are_those_of_the_trace(scenario: Scenario) -> None:
    net = compile_network(scenario)
    one = kpi_batch(net, Simulator(net).run())
    sim, days = Simulator(net, 3), BatchKpis(net, 3)
    while not sim.done:
        days.add(sim.step())
    three = days.table()
    pd.testing.assert_frame_equal(three[three["sample"] == 0].reset_index(drop=True), one,
                                  check_exact=True)
    # a batch of identical samples: each sample's rows are the first's
    for b in (1, 2):
        rows = three[three["sample"] == b].reset_index(drop=True).assign(sample=0)
        pd.testing.assert_frame_equal(rows, one, check_exact=True)
