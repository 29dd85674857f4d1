"""delivery: units that arrive at a node from outside the network on given days (a donation,
a purchase from a supplier the scenario does not model), with no node to send them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, ClassVar, Literal

from pydantic import Field, PositiveFloat

from ..base import Frozen
from ..series import Day
from .base import Effects, Found, KeyNumber, Models, PolicyBase, Screen, in_horizon, ref

if TYPE_CHECKING:
    from ..errors import Path
    from ..scenario import Scenario


class Arrival(Frozen):
    day: Day = Field(description="the day (or date) it arrives")
    quantity: PositiveFloat


class Delivery(PolicyBase):
    type: Literal["delivery"]
    to: str
    commodity: str
    arrivals: list[Arrival] = Field(min_length=1, description="what arrives, and when")

    parts: ClassVar[Models] = (Arrival,)

    def check(self, s: Scenario, at: Path) -> Found:
        yield from ref((*at, "to"), "node", self.to, s.nodes)
        yield from ref((*at, "commodity"), "commodity", self.commodity, s.commodities)
        for j, a in enumerate(self.arrivals):
            # one that arrived before day 0 is stock on hand: the node's `stock`
            yield from in_horizon(s, (*at, "arrivals", j, "day"), a.day)

    def compile(self, fx: Effects) -> None:
        for a in self.arrivals:
            fx.deliver(self.to, self.commodity, fx.day(a.day), a.quantity)

    def screen(self, q: Screen) -> None:
        return None  # it uses no lane

    def key_numbers(self, s: Scenario) -> Iterator[KeyNumber]:
        for j, a in enumerate(self.arrivals):
            yield KeyNumber(f"arrivals.{j}.quantity", f"arrival {j + 1} quantity", "number",
                            a.quantity)
