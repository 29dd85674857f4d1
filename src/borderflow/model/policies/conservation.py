"""conservation: crisis-capacity use (extended use, reuse): once a site's days of supply at
normal use falls under a threshold, its demand is multiplied, until its cover recovers."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

import numpy as np
from pydantic import Field, PositiveFloat

from .base import Effects, Found, PolicyBase, Screen, any_of, commodity_list, ref

if TYPE_CHECKING:
    from ..errors import Path
    from ..scenario import Scenario


class Conservation(PolicyBase):
    type: Literal["conservation"]
    sites: list[str] | None = None
    regions: list[str] | None = None
    commodities: list[str] | Literal["*"] = "*"
    below_days_of_supply: PositiveFloat = Field(
        description="conserve once stock covers fewer days than this at normal use")
    multiplier: Annotated[float, Field(gt=0, le=1)]
    lift_above_days_of_supply: PositiveFloat | None = Field(
        None, description="stop conserving once stock covers this many days at normal use "
                          "(default: below_days_of_supply; higher keeps conservation on "
                          "until cover has clearly recovered)")

    @property
    def lift(self) -> float:
        return self.below_days_of_supply if self.lift_above_days_of_supply is None \
            else self.lift_above_days_of_supply

    def check(self, s: Scenario, at: Path) -> Found:
        if (self.sites is None) == (self.regions is None):
            yield at, "conservation names either sites or regions"
        for j, n in enumerate(self.sites or []):
            yield from ref((*at, "sites", j), "node", n, s.nodes)
            if n in s.nodes and s.nodes[n].kind != "site":
                yield (*at, "sites", j), f"{n} is a {s.nodes[n].kind}, not a site"
        for j, r in enumerate(self.regions or []):
            yield from ref((*at, "regions", j), "region", r, s.regions)
        yield from commodity_list(s, (*at, "commodities"), self.commodities)
        if self.lift < self.below_days_of_supply:
            yield (*at, "lift_above_days_of_supply"), \
                f"conservation cannot lift below the threshold that starts it " \
                f"({self.below_days_of_supply:g} days)"

    def compile(self, fx: Effects) -> None:
        sites = np.isin(np.array(fx.nodes, dtype=object), self.sites or []) | \
            np.isin(fx.node_region, self.regions or [])
        fx.conserve(sites & (fx.node_kind == "site"),
                    any_of(np.array(fx.commodities, dtype=object), self.commodities),
                    self.below_days_of_supply, self.multiplier, self.lift)

    def screen(self, q: Screen) -> None:
        return None  # it changes what sites use, not what may be shipped
