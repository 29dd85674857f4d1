"""`prices`: the value of relaxing each policy's limits, from the horizon LP's duals."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer
from rich.table import Table

from ..shared import DEFAULT_SCENARIO, ScenarioArg, app, err, out


@app.command("prices")
def prices_cmd(
    scenario: ScenarioArg = DEFAULT_SCENARIO,
    variant: Annotated[str | None, typer.Option(help="The variant whose limits are priced "
                                                "(default: as written).")] = None,
    top: Annotated[int, typer.Option(help="Weekly rows shown (--json has all).")] = 25,
    as_json: Annotated[bool, typer.Option("--json", help="Print the prices as JSON.")] = False,
) -> None:
    """Shadow prices of the optimal allocation's LP: per ban, quota, licence, lane capacity
    and rated order, the unmet demand one more unit allowed (one less ordered) would save,
    by lane and week, with the range over which each price holds."""
    from ...studies.shadowprices import prices

    p = prices(scenario, variant)
    if as_json:
        sys.stdout.write(json.dumps(p.summary()) + "\n")
        return
    title = f"{p.scenario.name}{' / ' + p.variant if p.variant else ''}: the value of " \
        "relaxing each limit (optimal allocation)"
    by_policy = Table(title=title, title_justify="left")
    for col in ("policy", "kind", "largest price", "binding limit-days", "lanes"):
        by_policy.add_column(col, justify="left" if col in ("policy", "kind") else "right")
    for r in p.policies.itertuples(index=False):
        price = "short: its penalty" if r.largest_price != r.largest_price else \
            f"{r.largest_price:,.3g}"
        by_policy.add_row(r.policy, r.kind, price, f"{r.binding:,}", f"{r.lanes:,}")
    out.print(by_policy)
    weekly = Table(title="by lane and week (the week's dearest day)", title_justify="left")
    for col in ("kind", "policy", "lane", "commodity", "week", "day", "price",
                "holds at least", "binding days"):
        weekly.add_column(col, justify="left" if col in ("kind", "policy", "lane", "commodity")
                          else "right")
    for r in p.weekly.head(top).itertuples(index=False):
        holds = "?" if r.relax_range != r.relax_range else \
            ("0 (degenerate)" if r.relax_range < 1e-9 else f"{r.relax_range:,.0f} units")
        weekly.add_row(r.kind, r.policy, r.lane, r.commodity, str(r.week), str(r.day),
                       f"{r.price:,.3g}", holds, str(r.binding_days))
    out.print(weekly)
    err.print("price: units of unmet demand saved per unit relaxed (priority-weighted); "
              "'holds at least': how far the limit can be relaxed before the optimal basis "
              "changes (HiGHS ranging; 0 where the optimum is degenerate)"
              + ("" if p.ranging else "; HiGHS gave no ranging for this solve"), markup=False)
