"""Scenarios from pandas DataFrames (`Scenario.from_frames`; `Scenario.to_frames` is the way
back), for scripts and notebooks: the same tables as a folder of CSV files (docs/tables.md),
one DataFrame each, validated by the same models and checks as a file (a problem names the
table, the row counted from 0 as pandas does, and the field: `nodes:3: nodes.boston.region:
unknown region ...`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .loader import from_located
from .scenario import Scenario, register_from_frames
from .tables import Row, Sheet, from_tables

if TYPE_CHECKING:
    import pandas as pd


def from_frames(scenario: Mapping[str, Any] | pd.DataFrame | None = None,
                **tables: pd.DataFrame | list[Row]) -> Scenario:
    """A scenario from tables: `scenario` its own fields (a mapping, or a field/value frame;
    `format` defaults to 1), each keyword a table (`nodes=`, `lanes=`, `demand=`, ...) as a
    DataFrame or a list of row mappings."""
    sheets: dict[str, Sheet] = {}
    if isinstance(scenario, Mapping):
        fields = [{"field": k, "value": v} for k, v in scenario.items()]
    else:
        fields = [] if scenario is None else _rows(scenario)
    if not any(row.get("field") == "format" for row in fields):
        fields.insert(0, {"field": "format", "value": 1})
    sheets["scenario"] = Sheet("scenario", "scenario", [(i, r) for i, r in enumerate(fields)])
    for name, table in tables.items():
        sheets[name] = Sheet(name, name, [(i, r) for i, r in enumerate(_rows(table))])
    return from_located(from_tables(sheets, "frames"), None)


def _rows(table: Any) -> list[Row]:
    if isinstance(table, Mapping):
        return [dict(table)]
    if isinstance(table, list):
        return [dict(r) for r in table]
    return [dict(r) for r in table.to_dict(orient="records")]


register_from_frames(from_frames)
