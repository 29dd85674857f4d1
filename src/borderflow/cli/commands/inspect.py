"""`explain` and `screen`: why a lane carried what it did, and what a shipment may carry."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer

from ...model import UsageError, apply_variant, load
from ..shared import DEFAULT_SCENARIO, ScenarioArg, app, out


def parse_day(flag: str, text: str | None) -> int | dt.date | None:
    if text is None:
        return None
    if text.isdigit():
        return int(text)
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise UsageError(flag, f"{text!r} is neither a day number nor a date (YYYY-MM-DD)") \
            from None


@app.command("explain")
def explain_cmd(
    scenario: ScenarioArg = DEFAULT_SCENARIO,
    lane: Annotated[str, typer.Option(help='The lane, as "from->to" (or "airlift:<id>").')] = "",
    variant: Annotated[str | None, typer.Option(help="The variant to run.")] = None,
    day: Annotated[str | None, typer.Option(help="One day (a number or a date); "
                                            "default: every day, runs of days grouped.")] = None,
    commodity: Annotated[str | None, typer.Option(help="Only this commodity.")] = None,
) -> None:
    """Say in plain words what was asked of a lane, what went, and what stopped it."""
    from ...results import simulate
    from ...results.explain import explain

    if not lane:
        raise UsageError("--lane", 'give a lane, e.g. --lane "plant->hospital"')
    when = parse_day("--day", day)
    result = simulate(scenario, variant=variant)
    for line in explain(result, lane, when, commodity):
        out.print(line, markup=False)


@app.command("screen")
def screen_cmd(
    scenario: ScenarioArg = DEFAULT_SCENARIO,
    from_: Annotated[str, typer.Option("--from", help="Shipping node.")] = "",
    to: Annotated[str, typer.Option(help="Receiving node.")] = "",
    commodity: Annotated[str, typer.Option(help="Commodity.")] = "",
    quantity: Annotated[float, typer.Option(help="Units.")] = 0.0,
    date: Annotated[str, typer.Option(help="Day number or date (YYYY-MM-DD).")] = "0",
    variant: Annotated[str | None, typer.Option(help="The variant whose policies apply.")] = None,
) -> None:
    """Would the policies in force let this shipment go? How much, and who decides?"""
    from ...policy import Shipment, screen

    s = apply_variant(load(scenario), variant)
    day = parse_day("--date", date)
    assert day is not None
    result = screen(s, Shipment(from_, to, commodity, quantity, day))
    out.print(str(result), markup=False)
    for note in result.notes:
        out.print(f"  {note}", markup=False)
