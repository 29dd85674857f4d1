"""Monte Carlo sweeps: samplers from the scenario's `uncertainty`, executors, resumable runs."""

import sys
import types
from typing import Any

from .chunk import COLUMNS, Chunk, run_chunk
from .executors import EXECUTORS, Local, Ray, RayMissing
from .result import SweepResult
from .run import sweep
from .sample import batchable, draw, generators

__all__ = ["COLUMNS", "EXECUTORS", "Chunk", "Local", "Ray", "RayMissing", "SweepResult",
           "batchable", "draw", "generators", "run_chunk", "sweep"]


class _CallableModule(types.ModuleType):
    """`borderflow.sweep` names both this package and the public function `sweep`: importing the
    package sets the attribute to the package, so the package is callable and calls `sweep`."""

    def __call__(self, *args: Any, **kwargs: Any) -> SweepResult:
        return sweep(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
