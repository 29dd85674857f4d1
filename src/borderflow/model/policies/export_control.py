"""export_control: a ban or a shared quota (daily, a licence over many days, or both) on what
leaves a country, with exemptions that may have their own dates and quotas."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import numpy as np
from pydantic import Field, NonNegativeFloat

from ..base import Frozen, NodeKind
from ..series import Day
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
    in_horizon,
    lane_ids,
    ref,
    row,
)

if TYPE_CHECKING:
    from ..errors import Path
    from ..scenario import Scenario


SELECTORS = ("lanes", "to_countries", "from_nodes", "to_nodes", "to_kinds")


class Exemption(Frozen):
    """Shipments that match everything the exemption names go free (or under its own quota)."""

    lanes: list[str] | None = Field(None, description='lanes as "from->to"')
    to_countries: list[str] | None = None
    from_nodes: list[str] | None = Field(None, description="shipments leaving these nodes")
    to_nodes: list[str] | None = Field(None, description="shipments to these nodes (a hospital)")
    to_kinds: list[NodeKind] | None = Field(
        None, description="shipments to nodes of these kinds (e.g. [site]: hospitals only)")
    quota_per_day: NonNegativeFloat | None = Field(None, description="own daily quota (default: none)")
    quota_total: NonNegativeFloat | None = Field(
        None, description="own licence: units in all over its days (default: none)")
    start: Day | None = Field(None, description="first day it holds (default: the policy's)")
    end: Day | None = Field(None, description="first day it no longer holds (default: the policy's)")

    def matches(self, lane: np.ndarray[Any, Any], src: np.ndarray[Any, Any],
                dst: np.ndarray[Any, Any], dst_country: np.ndarray[Any, Any],
                dst_kind: np.ndarray[Any, Any]) -> BoolArray:
        """Where a shipment is exempted (arrays of one value per arc or shipment)."""
        out = np.ones(lane.shape, dtype=bool)
        for wanted, values in ((self.lanes, lane), (self.to_countries, dst_country),
                               (self.from_nodes, src), (self.to_nodes, dst),
                               (self.to_kinds, dst_kind)):
            if wanted is not None:
                out &= np.isin(values, wanted)
        return out

    @property
    def limited(self) -> bool:
        return self.quota_per_day is not None or self.quota_total is not None


class ExportControl(PolicyBase):
    type: Literal["export_control"]
    commodities: list[str] | Literal["*"] = Field(min_length=1)
    from_country: str
    to_countries: list[str] | Literal["*"] = "*"
    action: Literal["ban", "quota"] = "ban"
    quota_per_day: NonNegativeFloat | None = None
    quota_total: NonNegativeFloat | None = Field(
        None, description="a licence: units in all over the policy's days, shared by the lanes "
        "it covers (with or beside quota_per_day)")
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
        if self.action == "quota" and self.quota_per_day is None and self.quota_total is None:
            yield (*at, "quota_per_day"), "a quota needs quota_per_day, quota_total or both"
        for field in ("quota_per_day", "quota_total"):
            if self.action == "ban" and getattr(self, field) is not None:
                yield (*at, field), f"a ban has no {field} (use action: quota)"
        lanes = lane_ids(s)
        for j, ex in enumerate(self.exemptions):
            yield from self._check_exemption(s, (*at, "exemptions", j), ex, lanes, known)

    def _check_exemption(self, s: Scenario, ep: Path, ex: Exemption, lanes: set[str],
                         known: set[str]) -> Found:
        if all(getattr(ex, f) is None for f in SELECTORS):
            yield ep, f"an exemption names what it exempts: {', '.join(SELECTORS)} (a " \
                      "shipment must match every one it names)"
        for k, lane_id in enumerate(ex.lanes or []):
            if lane_id not in lanes:
                yield from ref((*ep, "lanes", k), "lane", lane_id, lanes)
            elif self._covers_lane(s, lane_id) is False:
                yield (*ep, "lanes", k), f"lane {lane_id} is not covered by this policy"
        for k, c in enumerate(ex.to_countries or []):
            yield from ref((*ep, "to_countries", k), "country", c, known)
        for field in ("from_nodes", "to_nodes"):
            for k, n in enumerate(getattr(ex, field) or []):
                yield from ref((*ep, field, k), "node", n, s.nodes)
        if ex.start is not None:
            yield from in_horizon(s, (*ep, "start"), ex.start, early=True)
        if ex.end is not None:
            yield from in_horizon(s, (*ep, "end"), ex.end, end=True, early=True)
            first = self.start if ex.start is None else ex.start
            if s.day(ex.end) <= s.day(first):
                yield (*ep, "end"), "an exemption must end after it starts"

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
        match = [ex.matches(a.lane, a.src, a.dst, a.dst_country, a.dst_kind)
                 for ex in self.exemptions]
        held = np.array([fx.when(ex.start, ex.end) for ex in self.exemptions],
                        dtype=bool).reshape(len(self.exemptions), fx.active.size)
        # the days split into runs with the same exemptions in force, each compiled alike
        for pattern in np.unique(held, axis=1).T if held.size else [np.zeros(0, dtype=bool)]:
            days = (held == pattern[:, None]).all(axis=0)
            free = np.zeros(cover.shape, dtype=bool)
            for k, ex in enumerate(self.exemptions):  # an arc goes to the first that matches
                if not pattern[k]:
                    continue
                mine = cover & match[k] & ~free
                if ex.limited:
                    fx.quota(mine, ex.quota_per_day, days=days, total=ex.quota_total,
                             licence=f"exemption {k + 1}")
                free |= mine
            rest = cover & ~free
            if self.action == "ban":
                fx.block(rest, days)
            else:
                fx.quota(rest, self.quota_per_day, days=days, total=self.quota_total)

    def screen(self, q: Screen) -> None:
        if not self.covers(*row(q.src_country, q.dst_country, q.src_kind, q.commodity))[0]:
            return
        found = next((k for k, e in enumerate(self.exemptions)
                      if q.in_force(e.start, e.end)
                      and e.matches(*row(q.lane, q.src, q.dst, q.dst_country, q.dst_kind))[0]),
                     None)
        if found is not None:
            ex, name = self.exemptions[found], f"{self.id} exemption {found + 1}"
            q.exempt(name)
            if not ex.limited:
                q.note(f"{self.id} covers it, but exemption {found + 1} lets it through")
            _limit(q, self.id, name, ex.quota_per_day, ex.quota_total, "the lanes it exempts")
        elif self.action == "ban":
            q.limit(0.0, self.id, f"{self.id} bans {q.commodity} from {q.src_country} to "
                    f"{q.dst_country}")
        else:
            _limit(q, self.id, self.id, self.quota_per_day, self.quota_total,
                   f"the lanes it covers from {q.src_country}")

    def explain(self, allowed: float) -> str:
        return f"blocked by {self.id}" if allowed <= 1e-6 else f"held to a quota by {self.id}"

    def key_numbers(self, s: Scenario) -> Iterator[KeyNumber]:
        yield KeyNumber("start", "start", "date", self.start)
        yield KeyNumber("end", "end (none: open-ended)", "date", self.end, optional=True)
        if self.action == "quota":
            if self.quota_total is None or self.quota_per_day is not None:
                yield KeyNumber("quota_per_day", "quota per day", "number",
                                self.quota_per_day or 0)
            if self.quota_total is not None:
                yield KeyNumber("quota_total", "licence (units in all)", "number",
                                self.quota_total)
        for i, ex in enumerate(self.exemptions):
            for field, label in (("quota_per_day", "quota per day"),
                                 ("quota_total", "licence")):
                if getattr(ex, field) is not None:
                    yield KeyNumber(f"exemptions.{i}.{field}", f"exemption {i + 1} {label}",
                                    "number", getattr(ex, field))


def _limit(q: Screen, by: str, name: str, per_day: float | None, total: float | None,
           shared: str) -> None:
    """A daily quota, a licence or both, as the most one shipment alone could get."""
    if per_day is not None:
        q.limit(per_day, by, f"{name} allows {per_day:,.0f} a day, shared by {shared}")
    if total is not None:
        q.limit(total, by, f"{name} allows {total:,.0f} in all over its days, shared by "
                f"{shared} (what is left of it on the day depends on the run)")
