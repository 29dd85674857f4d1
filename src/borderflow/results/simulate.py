"""`simulate`: load -> apply the variant -> compile -> run the allocator -> Result."""

from __future__ import annotations

from pathlib import Path

from ..engine import compile_network, run
from ..model import Problem, Scenario, ScenarioError, apply_variant, load
from .result import Result


def as_scenario(scenario: Scenario | str | Path) -> Scenario:
    return scenario if isinstance(scenario, Scenario) else load(scenario)


def simulate(scenario: Scenario | str | Path, variant: str | None = None,
             allocator: str = "priority", days: int | None = None) -> Result:
    """Run one variant of a scenario (a Scenario, a built-in name or a path).

    `days` shortens the horizon (things scheduled after it simply do not happen).
    """
    base = as_scenario(scenario)
    s = apply_variant(base, variant)
    if days is not None:
        if not 1 <= days <= s.days:
            raise ScenarioError([Problem(base.file, 1, ("days",), f"--days must be between 1 "
                                         f"and the scenario's horizon ({s.days}), got {days}")])
        s = base._carry(s.model_copy(update={"days": days}))
    net = compile_network(s)
    return Result(scenario=s, variant=variant, allocator=allocator, network=net,
                  trace=run(net, allocator))
