"""Disruptions: a node, lane, border or country out of action (or at part capacity) for a while.

A disruption is not a policy: nobody decides it, and it applies to what it names whatever the
countries' rules. The stress test (`borderflow stress`) disrupts one target at a time; a
scenario may also carry disruptions of its own, switched by variants like policies.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import Field, PositiveInt

from .base import Frozen, Id
from .errors import Path
from .series import Day

if TYPE_CHECKING:
    from .scenario import Scenario

TARGET_KINDS = ("node", "lane", "border", "country")
TargetKind = Literal["node", "lane", "border", "country"]


class Border(Frozen):
    """One direction of a border: goods from one country into another."""

    from_country: str = Field(min_length=1)
    to_country: str = Field(min_length=1)


class Disruption(Frozen):
    """A node, lane, border or country (name exactly one) at part capacity, or out of action,
    from `start` for `days` (or until `end`). Not a policy: it applies whatever the rules."""

    id: Id = Field(description="its name (unique among policies and disruptions)")
    description: str = ""
    node: str | None = Field(None, description="a plant makes capacity x factor; any other "
                             "node ships and receives on its lanes at capacity x factor")
    lane: str | None = Field(None, description='a lane, "from->to": it carries capacity x factor')
    border: Border | None = Field(None, description="every lane from one country into the "
                                  "other carries capacity x factor; at factor 0 commuters "
                                  "cannot cross either")
    country: str | None = Field(None, description="every node of the country, as `node` says")
    start: Day = Field(0, description="first day (or date) of the disruption")
    end: Day | None = Field(None, description="day (or date) it is over, exclusive (or give "
                            "`days`; neither: to the horizon's end)")
    days: PositiveInt | None = Field(None, description="how long it lasts (its time to recover)")
    capacity_factor: Annotated[float, Field(ge=0, le=1)] = Field(
        0.0, description="share of capacity left while it lasts (0: out of action). A lane "
        "without a capacity stays unlimited at any factor above 0")
    enabled: bool = Field(True, description="whether it happens (variants switch it)")

    @property
    def kind(self) -> TargetKind:
        kind: TargetKind
        for kind in ("node", "lane", "border", "country"):
            if getattr(self, kind) is not None:
                return kind
        raise ValueError(f"disruption {self.id} names no target")  # the checks reject it

    @property
    def target(self) -> str:
        """The target as the stress test names it: a node, "a->b", "US>CA", a country."""
        if self.border is not None:
            return f"{self.border.from_country}>{self.border.to_country}"
        return str(getattr(self, self.kind))

    def window(self, s: Scenario) -> tuple[int, int]:
        """Days [first, last) it lasts, clipped to the horizon."""
        first = s.day(self.start)
        last = s.days if self.end is None else s.day(self.end)
        if self.days is not None:
            last = first + self.days
        return max(0, first), min(s.days, max(0, last))

    def nodes(self, s: Scenario) -> list[str]:
        """The nodes it disrupts as nodes (a node, or a country's)."""
        if self.node is not None:
            return [self.node]
        if self.country is not None:
            return [n for n, node in s.nodes.items() if s.regions[node.region].country == self.country]
        return []


def check(s: Scenario) -> list[tuple[Path, str]]:
    """References, dates and ids; ids are shared with the policies (variants name both)."""
    from .policies.base import in_horizon, ref

    found: list[tuple[Path, str]] = []
    seen = {p.id: f"policies.{i}" for i, p in enumerate(s.policies)}
    countries = sorted({r.country for r in s.regions.values()})
    lanes = [lane.id for lane in s.lanes]
    for i, d in enumerate(s.disruptions):
        at: Path = ("disruptions", i)
        named = [k for k in TARGET_KINDS if getattr(d, k) is not None]
        if len(named) != 1:
            found.append((at, "name exactly one of node, lane, border or country"
                          + (f" (got {', '.join(named)})" if named else "")))
        if d.end is not None and d.days is not None:
            found.append(((*at, "days"), "give end or days, not both"))
        if d.id in seen:
            found.append(((*at, "id"), f"duplicate id {d.id!r} (first is {seen[d.id]})"))
        seen.setdefault(d.id, f"disruptions.{i}")
        if d.node is not None:
            found += ref((*at, "node"), "node", d.node, s.nodes)
        if d.lane is not None:
            found += ref((*at, "lane"), "lane", d.lane, lanes)
        if d.country is not None:
            found += ref((*at, "country"), "country", d.country, countries)
        if d.border is not None:
            for key in ("from_country", "to_country"):
                found += ref((*at, "border", key), "country", getattr(d.border, key), countries)
            if d.border.from_country == d.border.to_country:
                found.append(((*at, "border"), "a border lies between two different countries"))
        found += in_horizon(s, (*at, "start"), d.start, early=True)
        if d.end is not None:
            found += in_horizon(s, (*at, "end"), d.end, end=True, early=True)
            if s.day(d.end) <= s.day(d.start):
                found.append(((*at, "end"), "a disruption must end after it starts"))
    return found
