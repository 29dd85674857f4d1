"""Screen a proposed shipment against the policies in force on its date."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

from ..model import Scenario, UsageError
from ..model.messages import did_you_mean
from ..model.policies import in_order
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


class _Screen:
    """One shipment as the policies' `screen` hooks see it (model.policies.Screen)."""

    def __init__(self, s: Scenario, shipment: Shipment) -> None:
        src, dst = s.nodes[shipment.from_], s.nodes[shipment.to]
        self.src, self.dst = shipment.from_, shipment.to
        self.commodity, self.quantity = shipment.commodity, shipment.quantity
        self.lane = f"{shipment.from_}->{shipment.to}"
        self.src_kind: str = src.kind
        self.dst_kind: str = dst.kind
        self.day = s.day(shipment.day)
        self._s = s
        self.src_country = s.regions[src.region].country
        self.dst_country = s.regions[dst.region].country
        self.allowed = shipment.quantity
        self.decided_by: str | None = None
        self.exemption: str | None = None
        self.released = False
        self.notes: list[str] = []

    def in_force(self, start: int | dt.date | None, end: int | dt.date | None) -> bool:
        return (start is None or self._s.day(start) <= self.day) and \
            (end is None or self.day < self._s.day(end))

    def limit(self, amount: float, by: str, note: str) -> None:
        self.notes.append(note)
        if amount < self.allowed:  # the first to set the least decides
            self.allowed, self.decided_by = amount, by

    def note(self, text: str) -> None:
        self.notes.append(text)

    def exempt(self, label: str) -> None:
        self.exemption = label

    def release(self) -> None:
        self.released = True


def _check(s: Scenario, shipment: Shipment) -> int:
    for flag, value in (("--from", shipment.from_), ("--to", shipment.to)):
        if value not in s.nodes:
            raise UsageError(flag, f"unknown node {value!r}{did_you_mean(value, list(s.nodes))}")
    if shipment.commodity not in s.commodities:
        hint = did_you_mean(shipment.commodity, list(s.commodities))
        raise UsageError("--commodity", f"unknown commodity {shipment.commodity!r}{hint}")
    t = s.day(shipment.day)
    if not 0 <= t < s.days:
        raise UsageError("--date", f"{shipment.day} is outside the horizon ({s.dates[0]} to "
                         f"{s.dates[-1]})")
    if not math.isfinite(shipment.quantity) or shipment.quantity < 0:
        raise UsageError("--quantity", "must be a finite number >= 0")
    return t


def screen(scenario: Scenario, shipment: Shipment) -> Screening:
    """Apply the policies in force on the day (each type's `screen`), the stockpile rule and
    the lane's capacity.

    Quotas are daily totals shared by every lane they cover: `allowed` is the most this one
    shipment could get if it were the only one that day.
    """
    t = _check(scenario, shipment)
    active, _ = activity(scenario)
    q = _Screen(scenario, shipment)
    for i, p in in_order(scenario.policies):  # a type it does not know is refused
        if active[i, t]:
            p.screen(q)
    if q.src_kind == "stockpile" and not q.released:
        q.limit(0.0, "stockpile_closed", f"stockpile {shipment.from_} is not released that day")
    lane = next((lane for lane in scenario.lanes if lane.id == q.lane), None)
    if lane is None:
        q.note(f"there is no lane {q.lane} (only an airlift could carry it)")
    elif lane.commodities is not None and shipment.commodity not in lane.commodities:
        q.limit(0.0, "lane", f"lane {q.lane} does not carry {shipment.commodity}")
    elif lane.capacity is not None:
        q.limit(lane.capacity, "lane_capacity", f"lane {q.lane} carries {lane.capacity:,.0f} a day")
    return Screening(shipment, max(0.0, q.allowed), q.decided_by, q.exemption, q.notes)
