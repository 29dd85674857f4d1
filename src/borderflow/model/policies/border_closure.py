"""border_closure: commuters from one country cannot reach sites in another."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from .base import Effects, Found, PolicyBase, Screen, countries, ref

if TYPE_CHECKING:
    from ..errors import Path
    from ..scenario import Scenario


class BorderClosure(PolicyBase):
    type: Literal["border_closure"]
    from_country: str
    to_country: str

    def check(self, s: Scenario, at: Path) -> Found:
        known = countries(s)
        yield from ref((*at, "from_country"), "country", self.from_country, known)
        yield from ref((*at, "to_country"), "country", self.to_country, known)

    def compile(self, fx: Effects) -> None:
        fx.keep_home((fx.commuter_home == self.from_country) & (fx.commuter_work == self.to_country))

    def screen(self, q: Screen) -> None:
        return None  # it stops commuters, not goods
