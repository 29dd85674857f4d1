"""The table of docs/flagship.md: n95-2020's unmet demand by variant under three sets of
inventory decisions. `python scripts/flagship_table.py` prints it; a test checks the doc.

- "today's use": every node orders up to target_days x its use of the day (borderflow's
  default, the worst case of the bullwhip effect), suppliers share pro rata to orders;
- "forecasts": hospitals plan on a 7-day, distributors on a 14-day moving average (the
  flagship as shipped);
- "+ 3M by use": as the flagship, and 3M's two US plants share short stock by the use their
  buyers forecast of them, not by what they order.
"""

from __future__ import annotations

from typing import Any

import borderflow
from borderflow.model import Scenario

COLUMNS = ("today's use", "forecasts (the flagship)", "+ 3M shares by use")


def variants_of(s: Scenario) -> dict[str, Scenario]:
    data = s.model_dump(by_alias=True, exclude_none=True)
    plain: dict[str, Any] = {**data, "nodes": {n: {k: v for k, v in node.items() if k != "forecast"}
                                               for n, node in data["nodes"].items()}}
    by_use: dict[str, Any] = {**data, "nodes": {n: dict(node) for n, node in data["nodes"].items()}}
    for plant in ("3m-aberdeen", "3m-valley"):
        by_use["nodes"][plant]["allocation"] = {"rule": "pro_rata_use"}
    return dict(zip(COLUMNS, (Scenario.model_validate(plain), s, Scenario.model_validate(by_use)),
                    strict=True))


def table() -> str:
    s = borderflow.load("n95-2020")
    names = {rid: r.name or rid for rid, r in s.regions.items()}
    cells: dict[tuple[str, str, str], list[str]] = {}
    for scenario in variants_of(s).values():
        c = borderflow.compare(scenario)
        for r in c.table.itertuples(index=False):
            cells.setdefault((str(r.variant), names[str(r.region)], str(r.commodity)), []).append(
                f"{r.unmet_pct:.1f}% ({r.effect})")
        for r in c.care.itertuples(index=False):
            cells.setdefault((str(r.variant), str(r.site), "unstaffed patient-days"), []).append(
                f"{r.unstaffed_patient_days:,.0f} ({r.effect})")
    lines = ["| variant | region | commodity | " + " | ".join(COLUMNS) + " |",
             "|---|---|---|" + "---|" * len(COLUMNS)]
    for (variant, region, commodity), row in cells.items():
        if all(x.startswith("0.0% (same)") or x.startswith("0 (same)") for x in row) and \
                variant != "history":
            continue  # nothing to see: kept out of the table
        lines.append(f"| {variant} | {region} | {commodity} | " + " | ".join(row) + " |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(table(), end="")
