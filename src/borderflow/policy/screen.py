"""Screen a proposed shipment against the policies in force on its date."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

from ..model import Problem, Scenario, ScenarioError
from ..model import policies as P
from ..model.messages import did_you_mean
from .compile import activity


@dataclass(frozen=True)
class Shipment:
    from_: str
    to: str
    commodity: str
    quantity: float
    day: int | dt.date


@dataclass(frozen=True)
class Screening:
    """Whether policies let a shipment go, how much of it, and which policy decides."""

    shipment: Shipment
    allowed: float  # units that may go that day (at most the quantity)
    decided_by: str | None  # the policy that sets `allowed`, if one does
    exemption: str | None  # the exemption that lets it through, if one does
    notes: list[str] = field(default_factory=list)

    @property
    def blocked(self) -> bool:
        return self.allowed <= 0 < self.shipment.quantity

    def __str__(self) -> str:
        s = self.shipment
        verdict = "blocked" if self.blocked else \
            "allowed in full" if self.allowed >= s.quantity else \
            f"allowed up to {self.allowed:,.0f}"
        by = f" by {self.decided_by}" if self.decided_by else ""
        return f"{s.from_} -> {s.to}, {s.quantity:,.0f} {s.commodity}: {verdict}{by}"


def _check(s: Scenario, shipment: Shipment) -> int:
    problems = []
    for name, value in (("from", shipment.from_), ("to", shipment.to)):
        if value not in s.nodes:
            problems.append(Problem(s.file, 1, (f"--{name}",), f"unknown node {value!r}"
                                    f"{did_you_mean(value, list(s.nodes))}"))
    if shipment.commodity not in s.commodities:
        hint = did_you_mean(shipment.commodity, list(s.commodities))
        problems.append(Problem(s.file, 1, ("--commodity",),
                                f"unknown commodity {shipment.commodity!r}{hint}"))
    t = s.day(shipment.day)
    if not 0 <= t < s.days:
        problems.append(Problem(s.file, 1, ("--date",), f"{shipment.day} is outside the horizon "
                                f"({s.dates[0]} to {s.dates[-1]})"))
    if not math.isfinite(shipment.quantity) or shipment.quantity < 0:
        problems.append(Problem(s.file, 1, ("--quantity",), "must be a finite number >= 0"))
    if problems:
        raise ScenarioError(problems)
    return t


def screen(scenario: Scenario, shipment: Shipment) -> Screening:
    """Apply the export controls, stockpile rules and lane capacity in force on the day.

    Quotas are daily totals shared by every lane they cover: `allowed` is the most this one
    shipment could get if it were the only one that day.
    """
    t = _check(scenario, shipment)
    active, _ = activity(scenario)
    src, dst = scenario.nodes[shipment.from_], scenario.nodes[shipment.to]
    home = scenario.regions[src.region].country
    away = scenario.regions[dst.region].country
    lane_id = f"{shipment.from_}->{shipment.to}"
    allowed, decided_by, exemption = shipment.quantity, None, None
    notes: list[str] = []

    def limit(amount: float, by: str, note: str) -> None:
        nonlocal allowed, decided_by
        notes.append(note)
        if amount < allowed:
            allowed, decided_by = amount, by

    for i, p in enumerate(scenario.policies):
        if not active[i, t] or not isinstance(p, P.ExportControl):
            continue
        if home != p.from_country or away == home or \
                (p.to_countries != "*" and away not in p.to_countries) or \
                (p.commodities != "*" and shipment.commodity not in p.commodities) or \
                (p.from_kinds is not None and src.kind not in p.from_kinds):
            continue
        ex = next((k for k, e in enumerate(p.exemptions)
                   if (e.lanes is not None and lane_id in e.lanes)
                   or (e.to_countries is not None and away in e.to_countries)), None)
        if ex is not None:
            quota = p.exemptions[ex].quota_per_day
            exemption = f"{p.id} exemption {ex + 1}"
            if quota is None:
                notes.append(f"{p.id} covers it, but exemption {ex + 1} lets it through")
            else:
                limit(quota, p.id, f"{p.id} exemption {ex + 1} allows {quota:,.0f} a day, "
                      "shared by the lanes it exempts")
        elif p.action == "ban":
            limit(0.0, p.id, f"{p.id} bans {shipment.commodity} from {home} to {away}")
        else:
            assert p.quota_per_day is not None  # validated
            limit(p.quota_per_day, p.id, f"{p.id} allows {p.quota_per_day:,.0f} a day from "
                  f"{home}, shared by the lanes it covers")
    if src.kind == "stockpile":
        releases = [(i, p) for i, p in enumerate(scenario.policies)
                    if isinstance(p, P.StockpileRelease) and p.stockpile == shipment.from_
                    and active[i, t] and (p.commodities == "*" or shipment.commodity in p.commodities)]
        if not releases:
            limit(0.0, "stockpile_closed", f"stockpile {shipment.from_} is not released that day")
        for _, p in releases:
            if p.max_per_day is not None:
                limit(p.max_per_day, p.id, f"release {p.id} allows {p.max_per_day:,.0f} a day")
    lane = next((lane for lane in scenario.lanes if lane.id == lane_id), None)
    if lane is None:
        notes.append(f"there is no lane {lane_id} (only an airlift could carry it)")
    elif lane.commodities is not None and shipment.commodity not in lane.commodities:
        limit(0.0, "lane", f"lane {lane_id} does not carry {shipment.commodity}")
    elif lane.capacity is not None:
        limit(lane.capacity, "lane_capacity", f"lane {lane_id} carries {lane.capacity:,.0f} a day")
    return Screening(shipment, max(0.0, allowed), decided_by, exemption, notes)
