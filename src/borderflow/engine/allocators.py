"""Allocators behind one small protocol: given a compiled network, produce a Trace.

Each declares what it can do beyond one run of the network as written:

- `batch`: runs B samples at once (`sampled` per-sample values); sweeps send it whole chunks,
  and run any other allocator sample by sample;
- `window`: can solve over a rolling horizon (`windowed(window, commit)` gives that allocator);
- `duals`: its solve reports shadow prices of its constraints (the optimal allocator's horizon
  LP: `optimal.solve(..., duals=True)`, read by `studies.shadowprices`).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import replace
from typing import ClassVar, Protocol

from ..model import UsageError
from .errors import InvariantError
from .invariants import violations
from .network import Network, Sampled
from .records import DayRecord, Trace
from .simulator import Simulator
from .triggers import resolve

CAPABILITIES = ("batch", "window", "duals")


class Allocator(Protocol):
    name: str
    capabilities: ClassVar[frozenset[str]]

    def run(self, net: Network, batch: int = 1, sampled: Sampled | None = None) -> Trace: ...


class Priority:
    """Rule-based: rated orders first, then pro rata to capped requests, day by day."""

    name = "priority"
    capabilities: ClassVar[frozenset[str]] = frozenset({"batch"})

    def run(self, net: Network, batch: int = 1, sampled: Sampled | None = None) -> Trace:
        return Simulator(net, batch, sampled).run()


def one_sample(net: Network, sampled: Sampled | None) -> Network:
    """The network with the values of a batch of one sample put in."""
    if sampled is None:
        return net
    if sampled.disruption is not None and (sampled.disruption >= 0).any():
        raise ValueError("a disruption per sample needs the priority allocator; compile the "
                         "scenario with the disruption enabled instead")
    return replace(
        net,
        demand=net.demand if sampled.demand is None else sampled.demand[0],
        rec_cap=net.rec_cap if sampled.rec_cap is None else sampled.rec_cap[0],
        stock0=net.stock0 if sampled.stock0 is None else sampled.stock0[0],
        arc_cap=net.arc_cap if sampled.arc_cap is None else sampled.arc_cap[0])


class Optimal:
    """One LP over the whole horizon on HiGHS (engine/optimal.py, imported on first use so
    that commands which never optimise do not load the solver)."""

    name = "optimal"
    capabilities: ClassVar[frozenset[str]] = frozenset({"window", "duals"})

    def run(self, net: Network, batch: int = 1, sampled: Sampled | None = None) -> Trace:
        from .optimal import Optimal as Lp

        _single(self, batch)
        return Lp().run(one_sample(net, sampled))

    def windowed(self, window: int, commit: int) -> Rolling:
        return Rolling(window, commit)


class Rolling:
    """The optimal allocator over a rolling horizon (engine/rolling.py): windows of `window`
    days, keeping the first `commit` days of each."""

    name = "rolling"
    capabilities: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, window: int, commit: int) -> None:
        self.window, self.commit = window, commit

    def run(self, net: Network, batch: int = 1, sampled: Sampled | None = None) -> Trace:
        from .rolling import rolling

        _single(self, batch)
        return rolling(one_sample(net, sampled), self.window, self.commit)


def _single(allocator: Allocator, batch: int) -> None:
    if batch != 1:
        raise ValueError(f"the {allocator.name} allocator runs one sample at a time, not {batch}")


ALLOCATORS: dict[str, Allocator] = {"priority": Priority(), "optimal": Optimal()}


def allocator(name: str, rolling: tuple[int, int] | None = None) -> Allocator:
    """The allocator called `name`, over a rolling horizon `(window, commit)` if given."""
    if name not in ALLOCATORS:
        raise UsageError("--allocator", f"unknown allocator {name!r} (available: "
                         f"{', '.join(ALLOCATORS)})")
    chosen = ALLOCATORS[name]
    if rolling is None:
        return chosen
    if "window" not in chosen.capabilities:
        raise UsageError("--window", f"needs --allocator optimal (got {name}): the {name} "
                         "allocator has no rolling horizon")
    return chosen.windowed(*rolling)  # type: ignore[attr-defined, no-any-return]


# Check every run against the invariants (the test suite turns this on; so can a user who
# wants the extra safety, with BORDERFLOW_CHECK=1).
CHECK = os.environ.get("BORDERFLOW_CHECK", "") not in ("", "0")


def run(net: Network, allocator_name: str = "priority", rolling: tuple[int, int] | None = None,
        batch: int = 1, sampled: Sampled | None = None, what: str | None = None) -> Trace:
    """Run an allocator (over a rolling horizon `(window, commit)`: validated by the caller,
    1 <= commit <= window; a window beyond the horizon is the whole horizon); with a batch of
    samples, an allocator without `batch` runs them one by one (traces stacked on the batch
    axis). Checked against the invariants when CHECK is on (`what` names the run if not)."""
    chosen = allocator(allocator_name, rolling)
    if sampled is not None and sampled.policies is not None and \
            "batch" not in chosen.capabilities:
        raise ValueError(f"the {chosen.name} allocator cannot run samples with policies of "
                         "their own")
    if net.policies.shortages and sampled is not None:
        # each sample's shortages fire its retaliations on days of its own
        traces = []
        for b in range(batch):
            one = _pick(sampled, b)
            own = resolve(net, one)
            traces.append(chosen.run(own, 1, one))
            check(own, traces[-1], what or chosen.name, one)
        return Trace.concat(traces)
    if batch == 1 and sampled is None:
        trace = chosen.run(net)
    elif batch == 1 or "batch" in chosen.capabilities:
        trace = chosen.run(net, batch, sampled)
    else:
        trace = Trace.concat([chosen.run(net, 1, _pick(sampled, b)) for b in range(batch)])
    check(net, trace, what or chosen.name, sampled)
    return trace


def streams(net: Network, allocator_name: str) -> bool:
    """Whether `days` gives the run's days one at a time (else the whole trace at once)."""
    return allocator_name == "priority" and not net.policies.shortages and not CHECK


def days(net: Network, allocator_name: str = "priority", batch: int = 1,
         sampled: Sampled | None = None, what: str | None = None) -> Iterator[DayRecord | Trace]:
    """A run's days as they come, for a caller that reduces them (to KPIs) and holds no trace:
    the priority allocator's days one DayRecord at a time (without shortfall reasons: its
    `reason` is None), unless the invariant check (which reads the trace) or retaliations on
    each sample's shortages (`run` runs those one sample at a time) need `run`, whose whole
    Trace then comes at once."""
    if not streams(net, allocator_name):
        yield run(net, allocator_name, batch=batch, sampled=sampled, what=what)
        return
    sim = Simulator(net, batch, sampled, reasons=False)  # what no KPI reads
    while not sim.done:
        yield sim.step()


def _pick(sampled: Sampled | None, b: int) -> Sampled | None:
    return None if sampled is None else sampled.pick(b)


def check(net: Network, trace: Trace, what: str, sampled: Sampled | None = None) -> None:
    """When CHECK is on, raise InvariantError if the run (a batch run with `sampled` values)
    breaks an invariant."""
    if CHECK:
        broken = violations(net, trace, sampled=sampled)
        if broken:
            raise InvariantError(f"{net.name} ({what}): " + "; ".join(broken))
