"""Samples with policies of their own (`engine.with_policies`, the attribution's batch): every
sample of the batch equals its coalition run alone, on random scenarios with policies of every
type and on the flagship, and the invariants are checked per sample against its own policies."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from borderflow.engine import compile_network, resolve, run, violations, with_policies
from borderflow.model import Scenario, apply_variant, builtin_path, load
from borderflow.policy import PolicyArrays, compile_policies
from borderflow.policy.batch import stack
from strategies import scenarios_with_policies

FIELDS = ("stock", "in_transit", "served", "shipped", "demand", "produced", "backlog",
          "unstaffed", "conserving", "reason")


def _policies(s: Scenario, net: Any, off: set[str]) -> PolicyArrays:
    return compile_policies(s.without_policies(off), net.arcs, net.nodes, net.commodities)


def _same_as_alone(s: Scenario, offs: list[set[str]]) -> None:
    net = compile_network(s)
    each = [_policies(s, net, off) for off in offs]
    if any(p.shortages for p in each):
        with pytest.raises(ValueError, match="shortage"):
            stack(each)
        return
    union, sampled = with_policies(net, each)
    batch = run(union, "priority", batch=len(each), sampled=sampled)
    assert violations(union, batch, sampled=sampled) == []
    for b, pol in enumerate(each):
        alone = run(resolve(replace(net, policies=pol)), "priority")
        for name in FIELDS:
            np.testing.assert_allclose(getattr(batch, name)[:, b], getattr(alone, name)[:, 0],
                                       rtol=1e-9, atol=1e-9, err_msg=f"{name}, sample {b}")
        k = sampled.policies.claim_index[b] if sampled.policies else []
        np.testing.assert_allclose(batch.claimed[:, b][:, k], alone.claimed[:, 0], atol=1e-9)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios_with_policies(), st.data())
def test_each_sample_equals_its_coalition_alone(s: Scenario, data: st.DataObject) -> None:
    ids = [p.id for p in s.policies if p.enabled]
    offs = [set(data.draw(st.sets(st.sampled_from(ids)) if ids else st.just(set())))
            for _ in range(data.draw(st.integers(1, 5)))]
    _same_as_alone(s, offs)


def test_the_flagship_coalitions_batched_equal_them_alone() -> None:
    s = apply_variant(load(builtin_path("n95-2020")), "ban-and-retaliation")
    ids = [p.id for p in s.policies if p.enabled]
    rng = np.random.default_rng(1)
    offs = [set(), set(ids)] + [{x for x in ids if rng.random() < 0.5} for _ in range(10)]
    _same_as_alone(s, offs)


def test_a_sample_breaking_its_own_quota_is_caught() -> None:
    """The invariants read each sample's own policies: a quota only sample 1 has holds it,
    not sample 0."""
    s = apply_variant(load(builtin_path("n95-2020")), "ban-and-retaliation")
    net = compile_network(s)
    quotas = [p.id for p in s.policies if p.enabled and p.type == "export_control"]
    each = [_policies(s, net, set(quotas)), _policies(s, net, set())]
    union, sampled = with_policies(net, each)
    good = run(union, "priority", batch=2, sampled=sampled)
    assert violations(union, good, sampled=sampled) == []
    swapped = replace(sampled, policies=replace(sampled.policies, each=each[::-1]))
    assert violations(union, good, sampled=swapped) != []
