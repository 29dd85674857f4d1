"""Avoidable shortage: unmet demand under the priority rules that the optimal allocation (one
LP over the horizon, same physics and policies) would not have left unmet."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd

from .result import Result

AVOIDABLE_COLUMNS = ["region", "commodity", "demand", "unmet_priority", "unmet_optimal",
                     "avoidable", "avoidable_pct"]


def avoidable_table(priority: Result, optimal: Result) -> pd.DataFrame:
    """Per region and commodity: unmet under each allocator and the difference (`avoidable`,
    positive when better allocation would have served more; `avoidable_pct` of demand).

    Both runs serve the same demand (the optimal run fixes conservation to the priority run's
    days), so the difference is allocation alone. The optimum minimises priority-weighted unmet
    demand over all sites, so one region may do worse under it than under the rules.
    """
    keys = ["region", "commodity"]
    a = priority.kpis[[*keys, "demand", "unmet"]].rename(columns={"unmet": "unmet_priority"})
    b = optimal.kpis[[*keys, "unmet"]].rename(columns={"unmet": "unmet_optimal"})
    table = a.merge(b, on=keys, how="left").fillna(0.0)  # both runs serve the same demand
    table["avoidable"] = table["unmet_priority"] - table["unmet_optimal"]
    table["avoidable_pct"] = 100.0 * table["avoidable"] / table["demand"].where(table["demand"] > 0)
    return table[AVOIDABLE_COLUMNS]


def avoidable_records(table: pd.DataFrame) -> list[dict[str, Any]]:
    return json.loads(table.to_json(orient="records"))  # type: ignore[no-any-return]
