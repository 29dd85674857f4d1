"""stockpile_release: a stockpile ships (to requests on its lanes) only while a release is in
force, up to its daily maximum per commodity."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Literal

from pydantic import Field, NonNegativeFloat

from .base import Effects, Found, KeyNumber, PolicyBase, Screen, any_of, commodity_list, ref, row

if TYPE_CHECKING:
    from ..errors import Path
    from ..scenario import Scenario


class StockpileRelease(PolicyBase):
    type: Literal["stockpile_release"]
    stockpile: str
    max_per_day: NonNegativeFloat | None = Field(None, description="per commodity; default no cap")
    commodities: list[str] | Literal["*"] = "*"

    def check(self, s: Scenario, at: Path) -> Found:
        yield from ref((*at, "stockpile"), "node", self.stockpile, s.nodes)
        node = s.nodes.get(self.stockpile)
        if node is not None and node.kind != "stockpile":
            yield (*at, "stockpile"), f"{self.stockpile} is a {node.kind}, not a stockpile"
        yield from commodity_list(s, (*at, "commodities"), self.commodities)

    def compile(self, fx: Effects) -> None:
        a = fx.arcs
        mine = (a.src == self.stockpile) & a.on_lane & any_of(a.commodity, self.commodities)
        fx.release(mine)
        if self.max_per_day is not None:
            fx.quota(mine, self.max_per_day)

    def screen(self, q: Screen) -> None:
        if q.src != self.stockpile or not any_of(row(q.commodity)[0], self.commodities)[0]:
            return
        q.release()
        if self.max_per_day is not None:
            q.limit(self.max_per_day, self.id, f"release {self.id} allows {self.max_per_day:,.0f} a day")

    def explain(self, allowed: float) -> str:
        return f"held to the daily maximum of release {self.id}"

    def key_numbers(self, s: Scenario) -> Iterator[KeyNumber]:
        if self.max_per_day is not None:
            yield KeyNumber("max_per_day", "max per day", "number", self.max_per_day)
