"""`simulate`: load -> apply the variant -> compile -> run the allocator -> Result."""

from __future__ import annotations

from pathlib import Path

from ..engine import compile_network, run
from ..model import Problem, Scenario, ScenarioError, apply_variant, load
from .result import Result


def as_scenario(scenario: Scenario | str | Path) -> Scenario:
    return scenario if isinstance(scenario, Scenario) else load(scenario)


def simulate(scenario: Scenario | str | Path, variant: str | None = None,
             allocator: str = "priority", days: int | None = None, window: int | None = None,
             commit: int | None = None) -> Result:
    """Run one variant of a scenario (a Scenario, a built-in name or a path).

    `days` shortens the horizon (things scheduled after it simply do not happen). `window`
    and `commit` run the optimal allocator over a rolling horizon: solve `window` days, keep
    the first `commit` (default a quarter of the window), roll on (docs/engine.md).
    """
    base = as_scenario(scenario)
    s = apply_variant(base, variant)
    if days is not None:
        if not 1 <= days <= s.days:
            raise ScenarioError([Problem(base.file, 1, ("days",), f"--days must be between 1 "
                                         f"and the scenario's horizon ({s.days}), got {days}")])
        s = base._carry(s.model_copy(update={"days": days}))
    roll = rolling_options(base.file, allocator, window, commit, s.days)
    net = compile_network(s)
    return Result(scenario=s, variant=variant, allocator=allocator, network=net,
                  trace=run(net, allocator, roll), rolling=roll)


def rolling_options(file: str, allocator: str, window: int | None, commit: int | None,
                    days: int) -> tuple[int, int] | None:
    """(window, commit) as run, or None without a window. A window beyond the horizon is
    clamped to it (one window: the full-horizon optimum), and so is the commit."""
    def bad(field: str, message: str) -> ScenarioError:
        return ScenarioError([Problem(file, 1, (field,), message)])

    if window is None:
        if commit is not None:
            raise bad("commit", "--commit needs --window (the rolling horizon's length)")
        return None
    if allocator != "optimal":
        raise bad("window", f"--window needs --allocator optimal (got {allocator})")
    if window < 1:
        raise bad("window", f"--window must be at least 1 day, got {window}")
    commit = max(1, window // 4) if commit is None else commit
    if not 1 <= commit <= window:
        raise bad("commit", f"--commit must be between 1 and --window ({window}), got {commit}")
    return min(window, days), min(commit, days)
