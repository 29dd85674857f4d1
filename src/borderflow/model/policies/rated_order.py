"""rated_order: a priority-rated production order (the Defense Production Act's DX and DO, or
the ratings a scenario declares): a claim on the supplier's stock, filled before any unrated
request, higher ratings first."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, ClassVar, Literal

from pydantic import Field, PositiveFloat

from ..series import Day
from .base import Effects, Found, KeyNumber, PolicyBase, Screen, lane_ids, ref

if TYPE_CHECKING:
    from ..errors import Path
    from ..scenario import Scenario


class RatedOrder(PolicyBase):
    type: Literal["rated_order"]
    supplier: str
    buyer: str
    commodity: str
    quantity: PositiveFloat
    rating: str = Field("DO", description="one of the scenario's `ratings`")
    due: Day
    schedule: Literal["even", "asap"] = "even"

    reason_kind: ClassVar[str] = "rated_order"

    def check(self, s: Scenario, at: Path) -> Found:
        # `due` may lie beyond the horizon: an even schedule paces toward it all the same
        yield from ref((*at, "supplier"), "node", self.supplier, s.nodes)
        yield from ref((*at, "buyer"), "node", self.buyer, s.nodes)
        yield from ref((*at, "commodity"), "commodity", self.commodity, s.commodities)
        if self.rating not in s.ratings:
            yield (*at, "rating"), f"unknown rating {self.rating!r} (the scenario's ratings, " \
                f"highest first: {', '.join(s.ratings)})"
        lane = f"{self.supplier}->{self.buyer}"
        if self.supplier in s.nodes and self.buyer in s.nodes and (
                lane not in lane_ids(s) or self.commodity not in s.lane_commodities(s.lane(lane))):
            yield at, f"a rated order needs a lane {lane} carrying {self.commodity}"
        if s.day(self.due) <= s.day(self.start):
            yield (*at, "due"), "a rated order must be due after it starts"

    def compile(self, fx: Effects) -> None:
        # higher ratings first (DX before DO), then earlier start, then file order
        fx.claim(fx.arc(self.supplier, self.buyer, self.commodity), fx.ratings.index(self.rating),
                 quantity=self.quantity, due=fx.day(self.due), schedule=self.schedule)

    def screen(self, q: Screen) -> None:
        return None  # it goes before other shipments from its supplier; it caps none of them

    def explain(self, allowed: float) -> str:
        return f"rated order {self.id} ({self.rating}) was served first"

    def key_numbers(self, s: Scenario) -> Iterator[KeyNumber]:
        yield KeyNumber("quantity", "quantity", "number", self.quantity)
