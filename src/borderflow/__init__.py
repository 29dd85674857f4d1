"""borderflow: critical-supply networks under emergency policy.

    >>> import borderflow
    >>> result = borderflow.simulate("n95-2020", variant="history")
    >>> result.kpis  # per region and commodity: demand, served, unmet, stockout days
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._version import __version__ as __version__
from .model import Scenario, ScenarioError, load

if TYPE_CHECKING:
    from .results import Comparison, Result, compare, simulate
    from .store import sweep
    from .studies import attribute, prices, sensitivity, stress

__all__ = ["Comparison", "Result", "Scenario", "ScenarioError", "attribute", "compare", "load",
           "prices", "sensitivity", "simulate", "stress", "sweep"]

_RESULTS = {"Comparison", "Result", "compare", "simulate"}


def __getattr__(name: str) -> Any:
    # The results layer (pandas) loads on first use, so `borderflow validate` starts fast.
    if name in _RESULTS:
        from . import results

        return getattr(results, name)
    if name == "sweep":  # computed by studies/, written as it runs by store/
        from .store import sweep

        return sweep
    if name in ("attribute", "prices", "sensitivity", "stress"):
        from . import studies

        return getattr(studies, name)
    raise AttributeError(f"module 'borderflow' has no attribute {name!r}")
