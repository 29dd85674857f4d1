"""borderflow: critical-supply networks under emergency policy.

    >>> import borderflow
    >>> result = borderflow.simulate("two-country")
    >>> result.kpis  # per region and commodity: demand, served, unmet, stockout days
"""

from .model import Scenario, ScenarioError, load
from .results import Comparison, Result, compare, simulate

__version__ = "0.1.0"

__all__ = ["Comparison", "Result", "Scenario", "ScenarioError", "compare", "load", "simulate"]
