"""Policy types: their fields, declared once. Their effects are compiled in `policy/`."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, NonNegativeFloat, NonNegativeInt, PositiveFloat, PositiveInt

from .base import Frozen
from .series import Day

NodeKind = Literal["plant", "warehouse", "broker", "stockpile", "site"]
NODE_KINDS: tuple[NodeKind, ...] = ("plant", "warehouse", "broker", "stockpile", "site")
Id = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]*$", max_length=64)]


class PolicyBase(Frozen):
    id: Id
    start: Day = Field(0, description="first day the policy is active")
    end: Day | None = Field(None, description="first day it is no longer active (exclusive)")
    enabled: bool = Field(True, description="disabled policies are switched on by variants or retaliation")
    description: str = ""


class Exemption(Frozen):
    lanes: list[str] | None = Field(None, description='lanes as "from->to"')
    to_countries: list[str] | None = None
    quota_per_day: NonNegativeFloat | None = Field(None, description="own daily quota (default: none)")


class ExportControl(PolicyBase):
    type: Literal["export_control"]
    commodities: list[str] | Literal["*"] = Field(min_length=1)
    from_country: str
    to_countries: list[str] | Literal["*"] = "*"
    action: Literal["ban", "quota"] = "ban"
    quota_per_day: NonNegativeFloat | None = None
    from_kinds: list[NodeKind] | None = Field(
        None, description="only lanes leaving nodes of these kinds (anti-diversion)")
    exemptions: list[Exemption] = []


class RatedOrder(PolicyBase):
    type: Literal["rated_order"]
    supplier: str
    buyer: str
    commodity: str
    quantity: PositiveFloat
    rating: Literal["DX", "DO"] = "DO"
    due: Day
    schedule: Literal["even", "asap"] = "even"


class FlightEvery(Frozen):
    every: PositiveInt = Field(description="days between flights, from the policy's start")
    count: PositiveInt


class Airlift(PolicyBase):
    type: Literal["airlift"]
    from_: str = Field(alias="from")
    to: str
    commodity: str
    units_per_flight: PositiveFloat
    flights: list[Day] | FlightEvery
    flight_days: PositiveInt = Field(1, description="days from departure to arrival")


class StockpileRelease(PolicyBase):
    type: Literal["stockpile_release"]
    stockpile: str
    max_per_day: NonNegativeFloat | None = Field(None, description="per commodity; default no cap")
    commodities: list[str] | Literal["*"] = "*"


class Conservation(PolicyBase):
    type: Literal["conservation"]
    sites: list[str] | None = None
    regions: list[str] | None = None
    commodities: list[str] | Literal["*"] = "*"
    below_days_of_supply: PositiveFloat
    multiplier: Annotated[float, Field(gt=0, le=1)]


class BorderClosure(PolicyBase):
    type: Literal["border_closure"]
    from_country: str
    to_country: str


class Trigger(Frozen):
    policy: str
    active_days: NonNegativeInt = 0


class Retaliation(PolicyBase):
    type: Literal["retaliation"]
    when: Trigger
    activate: list[str] = Field(min_length=1)
    after_days: NonNegativeInt = 0


Policy = Annotated[
    ExportControl | RatedOrder | Airlift | StockpileRelease | Conservation | BorderClosure
    | Retaliation,
    Field(discriminator="type"),
]
POLICY_TYPES = ("export_control", "rated_order", "airlift", "stockpile_release",
                "conservation", "border_closure", "retaliation")
