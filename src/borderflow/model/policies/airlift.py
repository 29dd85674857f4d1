"""airlift: scheduled charter flights from one node to another, drawn from the origin's stock
right after rated orders; no lane needed, the origin country's export controls apply."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, ClassVar, Literal

import numpy as np
from pydantic import Field, PositiveFloat, PositiveInt

from ..base import Frozen
from ..series import Day
from .base import Effects, ExtraArc, Found, Models, PolicyBase, Screen, in_horizon, ref

if TYPE_CHECKING:
    from ..errors import Path
    from ..scenario import Scenario


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

    parts: ClassVar[Models] = (FlightEvery,)

    @property
    def arc_name(self) -> str:
        return f"airlift:{self.id}"

    def check(self, s: Scenario, at: Path) -> Found:
        yield from ref((*at, "from"), "node", self.from_, s.nodes)
        yield from ref((*at, "to"), "node", self.to, s.nodes)
        yield from ref((*at, "commodity"), "commodity", self.commodity, s.commodities)
        if self.from_ == self.to:
            yield (*at, "to"), "an airlift cannot fly from a node to itself"
        if isinstance(self.flights, list):
            for j, d in enumerate(self.flights):
                yield from in_horizon(s, (*at, "flights", j), d)

    def arcs(self, s: Scenario) -> Iterator[ExtraArc]:
        yield ExtraArc(self.from_, self.to, self.commodity, self.flight_days, self.arc_name)

    def compile(self, fx: Effects) -> None:
        flights = np.zeros(fx.active.size)
        if isinstance(self.flights, FlightEvery):
            days = fx.day(self.start) + self.flights.every * np.arange(self.flights.count)
        else:
            days = np.array([fx.day(d) for d in self.flights], dtype=np.intp)
        # a flight every n days from a start before day 0 has flown some before the horizon
        days = days[(days >= 0) & (days < flights.size)]
        np.add.at(flights, days, self.units_per_flight)
        # after every rated order (ranked by rating, 0 .. len(ratings) - 1)
        fx.claim(fx.arc_named(self.arc_name), len(fx.ratings), flights=flights * fx.active)

    def screen(self, q: Screen) -> None:
        return None  # its flights need no lane; it caps no shipment on one

    def explain(self, allowed: float) -> str:
        return f"airlift {self.id} was served first"
