"""`simulate`: load -> apply the variant -> compile -> run the allocator -> Result."""

from __future__ import annotations

from pathlib import Path

from ..engine import allocator, compile_network, run
from ..model import Scenario, UsageError, apply_variant, load
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
            raise UsageError("--days", f"must be between 1 and the scenario's horizon "
                             f"({s.days}), got {days}")
        s = base._carry(s.model_copy(update={"days": days}))
    roll = rolling_options(allocator, window, commit, s.days)
    net = compile_network(s)
    return Result(scenario=s, variant=variant, allocator=allocator, network=net,
                  trace=run(net, allocator, roll), rolling=roll)


def rolling_options(allocator_name: str, window: int | None, commit: int | None,
                    days: int) -> tuple[int, int] | None:
    """(window, commit) as run, or None without a window. A window beyond the horizon is
    clamped to it (one window: the full-horizon optimum), and so is the commit. The allocator
    must have a rolling window (`allocator` says so)."""
    allocator(allocator_name)  # an unknown one fails first
    if window is None:
        if commit is not None:
            raise UsageError("--commit", "needs --window (the rolling horizon's length)")
        return None
    if window < 1:
        raise UsageError("--window", f"must be at least 1 day, got {window}")
    commit = max(1, window // 4) if commit is None else commit
    if not 1 <= commit <= window:
        raise UsageError("--commit", f"must be between 1 and --window ({window}), got {commit}")
    allocator(allocator_name, (window, commit))  # one without a rolling horizon fails here
    return min(window, days), min(commit, days)
