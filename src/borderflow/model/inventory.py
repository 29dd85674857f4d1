"""Inventory decisions a node may declare: how it forecasts its use, the rule it replenishes
by, and how a supplier shares scarce stock among its buyers. Each is optional; without them a
node orders up to `target_days` x today's use and a supplier shares pro rata to requests.

Textbook names: `base_stock` is a base-stock level S; `s_S` is (s, S) with `reorder_point` s
and `level` S; `r_Q` is (R, Q) with `reorder_point` R and `quantity` Q. Levels are in units of
each commodity (one number for all, or one per commodity); every rule compares them with the
node's inventory position: stock on hand, plus in transit to it, less what it owes (a site's
backlog, a warehouse's requests of the day).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Discriminator, Field, NonNegativeFloat, PositiveFloat, PositiveInt, Tag

from .base import Frozen

PerCommodity = NonNegativeFloat | dict[str, NonNegativeFloat]


class MovingAverage(Frozen):
    moving_average: PositiveInt = Field(
        description="days averaged: the mean use of the last P days, today included (1: today's "
        "use alone, the default)")


class Exponential(Frozen):
    exponential: Annotated[float, Field(gt=0, le=1)] = Field(
        description="smoothing constant alpha: forecast = alpha x today's use + (1 - alpha) x "
        "yesterday's forecast (starting from day 0's use)")


def _forecast_form(value: Any) -> str | None:
    if isinstance(value, dict):
        return "exponential" if "exponential" in value else "moving_average"
    if isinstance(value, Exponential):
        return "exponential"
    return "moving_average" if isinstance(value, MovingAverage) else None


Forecast = Annotated[
    Annotated[MovingAverage, Tag("moving_average")] | Annotated[Exponential, Tag("exponential")],
    Discriminator(_forecast_form, custom_error_type="forecast",
                  custom_error_message="expected {moving_average: P} or {exponential: ALPHA}"),
]

Rule = Literal["order_up_to", "base_stock", "s_S", "r_Q"]
# which fields each rule takes (beyond review_days), and which it needs
RULE_FIELDS: dict[str, tuple[set[str], set[str]]] = {
    "order_up_to": ({"safety_days", "safety_z"}, set()),
    "base_stock": ({"level"}, {"level"}),
    "s_S": ({"reorder_point", "level"}, {"reorder_point", "level"}),
    "r_Q": ({"reorder_point", "quantity"}, {"reorder_point", "quantity"}),
}


class Replenishment(Frozen):
    rule: Rule = Field("order_up_to", description="order_up_to: up to target_days x forecast "
                       "(+ safety); base_stock: up to `level`; s_S: up to `level` once the "
                       "position is at or below `reorder_point`; r_Q: `quantity` once at or below "
                       "`reorder_point`")
    level: PerCommodity | None = Field(None, description="base_stock's S, s_S's S (units)")
    reorder_point: PerCommodity | None = Field(None, description="s_S's s, r_Q's R (units)")
    quantity: PositiveFloat | dict[str, PositiveFloat] | None = Field(
        None, description="r_Q's Q (units per order)")
    review_days: PositiveInt = Field(1, description="order only every this many days "
                                     "(periodic review), from day 0")
    safety_days: NonNegativeFloat = Field(0.0, description="order_up_to: days of forecast use "
                                          "added to the level")
    safety_z: NonNegativeFloat = Field(0.0, description="order_up_to: z x the standard "
                                       "deviation of use over the forecast's window x "
                                       "sqrt(target_days) added to the level")


AllocationRule = Literal["pro_rata_requests", "pro_rata_use", "priority", "shares"]


class Allocation(Frozen):
    rule: AllocationRule = Field("pro_rata_requests", description="how a supplier short of "
                                 "stock shares it: pro rata to the requests it received, pro rata "
                                 "to its buyers' forecast use (an inflated order gains nothing), "
                                 "buyers in `order` first (each in full, in turn), or by fixed "
                                 "`shares`")
    order: list[str] | None = Field(None, description="priority: buyers served first, in this "
                                    "order; the others then share the rest pro rata to requests")
    shares: dict[str, PositiveFloat] | None = Field(
        None, description="shares: buyer -> relative share; buyers not listed share what the "
        "listed ones do not take, pro rata to requests")


__all__ = ["RULE_FIELDS", "Allocation", "Exponential", "Forecast", "MovingAverage", "PerCommodity",
           "Replenishment"]
