"""Retaliations triggered by a shortage: their firing day depends on the run itself, so it is
found by running the network, one firing at a time.

A shortage on day t is known at the end of day t, and a retaliation acts from the day after
it fires, so what happens up to its firing day does not depend on whether it fires. Running
the network with none of them fired, the first day one would fire is therefore exact; fixing
that one and running again finds the next; at most one more run than there are such
retaliations. The optimal allocators take the firing days of the priority run (they plan
ahead, so "what happens before it fires" is not theirs to keep).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from ..policy.compile import ShortageRule
from .network import Network, Sampled
from .network import compile_network as build
from .simulator import Simulator


def compile_network(scenario: Any) -> Network:
    """The scenario as arrays, with the firing days of shortage-triggered retaliations found."""
    return resolve(build(scenario))


def resolve(net: Network, sampled: Sampled | None = None) -> Network:
    """`net` with every shortage-triggered retaliation fired on the day the priority run (of
    the one sample in `sampled`, if given) makes it fire."""
    recompile = net.policies.recompile
    if not net.policies.shortages or recompile is None:
        return net
    fired: dict[str, int] = {}
    pol = recompile(fired)
    for _ in range(len(pol.shortages) + 1):
        current = replace(net, policies=pol)
        trace = Simulator(current, 1, sampled).run()
        found = [(day, k, rule.policy) for k, rule in enumerate(pol.shortages)
                 if rule.policy not in fired
                 and (day := first_firing(rule, trace.stock[:, 0, :, rule.commodity],
                                          trace.demand[:, 0, :, rule.commodity])) is not None]
        if not found:
            return current
        day, _, policy = min(found)
        fired[policy] = day
        pol = recompile(fired)
    raise AssertionError("each run fixes one more retaliation")  # pragma: no cover


def first_firing(rule: ShortageRule, stock: np.ndarray[Any, Any],
                 demand: np.ndarray[Any, Any]) -> int | None:
    """The first day the retaliation is in force after its region's sites have ended
    `rule.days` days in a row under `rule.below` days of supply (stock, demand: [T, N])."""
    held = stock[:, rule.sites].sum(axis=1)
    use = demand[:, rule.sites].sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        short = np.where(use > 0, held / use, np.inf) < rule.below
    run = 0
    for t in range(1, short.size):  # once per day of one run, vectorised over nothing else
        run = run + 1 if short[t - 1] else 0
        if run >= rule.days and rule.in_force[t]:
            return t
    return None
