"""`exempt`: which exemptions of a ban would have cut the shortage most."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer
from rich.table import Table

from ..shared import DEFAULT_SCENARIO, ScenarioArg, app, err, out


@app.command("exempt")
def exempt_cmd(
    scenario: ScenarioArg = DEFAULT_SCENARIO,
    policy: Annotated[str, typer.Option(help="The ban (an export control with action: ban) "
                                        "to exempt from.")] = "",
    variant: Annotated[str | None, typer.Option(help="The variant (default: as written).")] = None,
    budget: Annotated[int, typer.Option(help="How many exemptions to choose.")] = 1,
    protect: Annotated[list[str] | None, typer.Option(
        help="REGION:MAX_UNMET_PCT: keep the region's unmet demand (each commodity's) at most "
             "this share of its demand; repeat for more regions.")] = None,
    by: Annotated[str, typer.Option(help="Exempt destination countries (country) or lanes "
                                    "(lane).")] = "country",
    as_json: Annotated[bool, typer.Option("--json", help="Print the choice as JSON.")] = False,
) -> None:
    """The BUDGET exemptions of a ban that cut total unmet demand most while protected regions
    stay within their limits: a mixed-integer program on HiGHS over the optimal allocation,
    then the chosen set run by the priority allocator beside the optimum."""
    from ...model import UsageError
    from ...results.simulation import as_scenario
    from ...studies.exemptions import exempt, parse_protect

    if not policy:
        raise UsageError("--policy", "name the ban to exempt from (e.g. --policy us-export-ban)")
    s = as_scenario(scenario)
    e = exempt(s, policy, variant=variant, budget=budget, protect=parse_protect(protect, s),
               by=by)
    if as_json:
        sys.stdout.write(json.dumps(e.summary()) + "\n")
        return
    doc = e.summary()
    kept = ", ".join(f"{r} to {p:g}%" for r, p in e.protect.items())
    out.print(f"{e.scenario.name}{' / ' + e.variant if e.variant else ''}: exempt "
              f"{', '.join(e.chosen) or 'nothing'} from {e.policy} (budget {e.budget}"
              f"{', protecting ' + kept if kept else ''})", markup=False)
    u = doc["unmet"]
    out.print(f"total unmet: {u['priority_none']:,.0f} as is (priority), "
              f"{u['priority_chosen']:,.0f} with the exemptions (priority), "
              f"{u['optimal_chosen']:,.0f} with them and the best allocation", markup=False)
    names = {rid: r.name or rid for rid, r in e.scenario.regions.items()}
    table = Table(title="unmet demand by region", title_justify="left")
    for col in ("region", "commodity", "demand", "as is", "exempted (priority)",
                "exempted (optimal)"):
        table.add_column(col, justify="left" if col in ("region", "commodity") else "right")
    for r in e.regions.itertuples(index=False):
        table.add_row(names.get(r.region, r.region), r.commodity, f"{r.demand:,.0f}",
                      f"{r.unmet_none:,.0f}", f"{r.unmet_chosen:,.0f}", f"{r.unmet_optimal:,.0f}")
    out.print(table)
    shown = ", ".join(f"{c.candidate} ({c.closed_lane_days} lane-days)"
                      for c in e.candidates.itertuples(index=False))
    err.print(f"candidates: {shown}; solved exactly (MILP on HiGHS, gap {e.gap:.2g}) in "
              f"{e.solve_seconds:.1f} s", markup=False)
