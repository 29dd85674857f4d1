"""export_control: a ban or a shared daily quota on what leaves a country, with exemptions."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import numpy as np
from pydantic import Field, NonNegativeFloat

from ..base import Frozen, NodeKind
from .base import (
    BoolArray,
    Effects,
    Found,
    KeyNumber,
    Models,
    PolicyBase,
    Screen,
    any_of,
    commodity_list,
    countries,
    lane_ids,
    ref,
    row,
)

if TYPE_CHECKING:
    from ..errors import Path
    from ..scenario import Scenario


class Exemption(Frozen):
    lanes: list[str] | None = Field(None, description='lanes as "from->to"')
    to_countries: list[str] | None = None
    quota_per_day: NonNegativeFloat | None = Field(None, description="own daily quota (default: none)")

    def matches(self, lane: np.ndarray[Any, Any], dst_country: np.ndarray[Any, Any]) -> BoolArray:
        """Where a shipment on `lane` to `dst_country` is exempted (arrays of one per arc)."""
        if self.lanes is not None:
            return np.isin(lane, self.lanes)
        return np.isin(dst_country, self.to_countries or [])


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

    parts: ClassVar[Models] = (Exemption,)

    def covers(self, src_country: np.ndarray[Any, Any], dst_country: np.ndarray[Any, Any],
               src_kind: np.ndarray[Any, Any],
               commodity: np.ndarray[Any, Any] | None = None) -> BoolArray:
        """Where the control applies (before exemptions), one value per shipment or arc:
        leaving `from_country` for a listed country (a domestic shipment never is), from a
        listed kind of node, in a listed commodity (any, when `commodity` is None)."""
        out = (src_country == self.from_country) & (dst_country != src_country)
        out &= any_of(dst_country, self.to_countries)
        if commodity is not None:
            out &= any_of(commodity, self.commodities)
        if self.from_kinds is not None:
            out &= np.isin(src_kind, self.from_kinds)
        return np.asarray(out, dtype=bool)

    def check(self, s: Scenario, at: Path) -> Found:
        known = countries(s)
        yield from commodity_list(s, (*at, "commodities"), self.commodities)
        yield from ref((*at, "from_country"), "country", self.from_country, known)
        if isinstance(self.to_countries, list):
            for j, c in enumerate(self.to_countries):
                yield from ref((*at, "to_countries", j), "country", c, known)
        if self.action == "quota" and self.quota_per_day is None:
            yield (*at, "quota_per_day"), "a quota needs quota_per_day"
        if self.action == "ban" and self.quota_per_day is not None:
            yield (*at, "quota_per_day"), "a ban has no quota_per_day (use action: quota)"
        lanes = lane_ids(s)
        for j, ex in enumerate(self.exemptions):
            ep: Path = (*at, "exemptions", j)
            if (ex.lanes is None) == (ex.to_countries is None):
                yield ep, "an exemption names either lanes or to_countries"
            for k, lane_id in enumerate(ex.lanes or []):
                if lane_id not in lanes:
                    yield from ref((*ep, "lanes", k), "lane", lane_id, lanes)
                elif self._covers_lane(s, lane_id) is False:
                    yield (*ep, "lanes", k), f"lane {lane_id} is not covered by this policy"
            for k, c in enumerate(ex.to_countries or []):
                yield from ref((*ep, "to_countries", k), "country", c, known)

    def _covers_lane(self, s: Scenario, lane_id: str) -> bool | None:
        """Whether the control covers the lane, whatever it carries (ignoring exemptions);
        None when its ends or their regions are unknown (a problem reported where they are)."""
        lane = s.lane(lane_id)
        src, dst = s.nodes.get(lane.from_), s.nodes.get(lane.to)
        if src is None or dst is None or src.region not in s.regions or dst.region not in s.regions:
            return None
        return bool(self.covers(*row(s.regions[src.region].country,
                                     s.regions[dst.region].country, src.kind))[0])

    def compile(self, fx: Effects) -> None:
        a = fx.arcs
        cover = self.covers(a.src_country, a.dst_country, a.src_kind, a.commodity)
        free = np.zeros(cover.shape, dtype=bool)
        for ex in self.exemptions:  # an arc goes to the first exemption that matches it
            mine = cover & ex.matches(a.lane, a.dst_country) & ~free
            if ex.quota_per_day is not None:
                fx.quota(mine, ex.quota_per_day)
            free |= mine
        rest = cover & ~free
        if self.action == "ban":
            fx.block(rest)
        else:
            assert self.quota_per_day is not None  # validated
            fx.quota(rest, self.quota_per_day)

    def screen(self, q: Screen) -> None:
        if not self.covers(*row(q.src_country, q.dst_country, q.src_kind, q.commodity))[0]:
            return
        found = next((k for k, e in enumerate(self.exemptions)
                      if e.matches(*row(q.lane, q.dst_country))[0]), None)
        if found is not None:
            quota = self.exemptions[found].quota_per_day
            q.exempt(f"{self.id} exemption {found + 1}")
            if quota is None:
                q.note(f"{self.id} covers it, but exemption {found + 1} lets it through")
            else:
                q.limit(quota, self.id, f"{self.id} exemption {found + 1} allows {quota:,.0f} a "
                        "day, shared by the lanes it exempts")
        elif self.action == "ban":
            q.limit(0.0, self.id, f"{self.id} bans {q.commodity} from {q.src_country} to "
                    f"{q.dst_country}")
        else:
            assert self.quota_per_day is not None  # validated
            q.limit(self.quota_per_day, self.id, f"{self.id} allows {self.quota_per_day:,.0f} a "
                    f"day from {q.src_country}, shared by the lanes it covers")

    def explain(self, allowed: float) -> str:
        return f"blocked by {self.id}" if allowed <= 1e-6 else f"held to a quota by {self.id}"

    def key_numbers(self, s: Scenario) -> Iterator[KeyNumber]:
        yield KeyNumber("start", "start", "date", self.start)
        yield KeyNumber("end", "end (none: open-ended)", "date", self.end, optional=True)
        if self.action == "quota":
            yield KeyNumber("quota_per_day", "quota per day", "number", self.quota_per_day or 0)
        for i, ex in enumerate(self.exemptions):
            if ex.quota_per_day is not None:
                yield KeyNumber(f"exemptions.{i}.quota_per_day",
                                f"exemption {i + 1} quota per day", "number", ex.quota_per_day)
