"""Studies: many runs of a scenario as one batch. Today the Monte Carlo sweep over the
scenario's `uncertainty` (samplers, chunks, executors, statistics over samples), and the
sensitivity of results to every assumption (one-at-a-time, one batch), and the stress test
(one disruption per sample: time to survive, impact, exposure), and the attribution of
shortages to policies (Shapley values over coalitions of policies), and the value of relaxing
each policy's limits (the horizon LP's shadow prices)."""

from .attribution import Attribution, attribute
from .chunk import CHUNK_SIZE, COLUMNS, Chunk, ChunkOut, run_chunk
from .executors import EXECUTORS, Executor, Local, Ray, RayMissing
from .montecarlo import Plan, execute, plan, plan_chunks, sweep
from .perturbation import Sensitivity, sensitivity
from .result import Held, Rows, SweepResult
from .sample import batchable, draw, generators
from .shadowprices import Prices, prices
from .stresstest import StressResult, stress

__all__ = ["CHUNK_SIZE", "COLUMNS", "EXECUTORS", "Attribution", "Chunk", "ChunkOut", "Executor", "Held",
           "Local", "Plan", "Prices", "Ray", "RayMissing", "Rows", "Sensitivity", "StressResult",
           "SweepResult",
           "attribute", "batchable", "draw", "execute", "generators", "plan", "plan_chunks",
           "prices", "run_chunk", "sensitivity", "stress", "sweep"]
