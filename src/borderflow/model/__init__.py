"""The scenario as frozen, validated data."""

from . import frames as frames  # registers Scenario.from_frames
from .errors import Problem, ScenarioError, UsageError
from .loader import builtin_names, builtin_path, load, loads
from .scenario import Scenario
from .variants import apply_variant

__all__ = ["Problem", "Scenario", "ScenarioError", "UsageError", "apply_variant", "builtin_names",
           "builtin_path", "load", "loads"]
