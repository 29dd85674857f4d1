"""What every policy type has, and the hooks through which the other layers use it.

A policy type is one module of this package: a `PolicyBase` subclass holding its fields (the
scenario format) and overriding the hooks it needs. Each hook but `compile` and `screen` has a
default that does nothing:

- `check(s, at)`: problems only the whole scenario shows (references, dates), as (path, message);
- `arcs(s)`: arcs it adds to the network beside the lanes (an airlift's flights);
- `activation()`: for a policy that switches others on (a retaliation), what it watches;
- `compile(fx)`: its effect on the day-by-day arrays, told to `fx` (`Effects`, which `policy/`
  implements): block arcs, cap them with a shared quota, release a stockpile, claim stock
  before any request, conserve, keep commuters home;
- `screen(q)`: what it does to one proposed shipment, told to `q` (`Screen`, from `policy/`);
- `explain(allowed)`: in words, why a shipment fell short because of it;
- `key_numbers(s)`: the numbers a planner would change (the dashboard's fields).

`compile` and `screen` have no default: a type says what it does, even when it does nothing
to the arrays or to a shipment, so a new type cannot be passed over in silence. The hooks only
describe; the state they describe into belongs to the layer that calls them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Literal, Protocol

import numpy as np
from pydantic import Field

from ..base import Frozen, Id
from ..errors import Path
from ..messages import did_you_mean
from ..series import Day

if TYPE_CHECKING:
    from ..scenario import Scenario

BoolArray = np.ndarray[Any, np.dtype[np.bool_]]
Models = tuple[type[Frozen], ...]  # (inside a policy class `type` is its field)
Found = Iterator[tuple[Path, str]]


@dataclass(frozen=True)
class ExtraArc:
    """An arc a policy adds to the network: no lane, never asked for by requests."""

    src: str
    dst: str
    commodity: str
    lead: int  # days from leaving to arriving
    name: str  # how tables and messages name it


@dataclass(frozen=True)
class Activation:
    """What a policy that switches others on watches: `policy` active for `active_days` days
    in a row (0: its first active day), or a region short for that long, switches `activate`
    on `after_days` later."""

    policy: str
    active_days: int
    activate: tuple[str, ...]
    after_days: int
    # or a shortage: (region, commodity, days of supply below which the region is short)
    shortage: tuple[str, str, float] | None = None


@dataclass(frozen=True)
class KeyNumber:
    """A number a planner would change: its path below the policy, a label, its kind and
    current value; `optional`: empty means none (an open end)."""

    field: str
    label: str
    kind: Literal["number", "date"]
    value: Any
    optional: bool = False


class ArcTable(Protocol):
    """Per arc of the network, as arrays a policy can select from with numpy (read only)."""

    @property
    def src(self) -> np.ndarray[Any, Any]: ...  # node ids
    @property
    def dst(self) -> np.ndarray[Any, Any]: ...
    @property
    def commodity(self) -> np.ndarray[Any, Any]: ...
    @property
    def lane(self) -> np.ndarray[Any, Any]: ...  # "from->to", or the name of an ExtraArc
    @property
    def on_lane(self) -> BoolArray: ...  # False for the arcs policies add
    @property
    def src_country(self) -> np.ndarray[Any, Any]: ...
    @property
    def dst_country(self) -> np.ndarray[Any, Any]: ...
    @property
    def src_kind(self) -> np.ndarray[Any, Any]: ...
    @property
    def dst_kind(self) -> np.ndarray[Any, Any]: ...


class Effects(Protocol):
    """What `compile` may do. Every effect holds on the days the policy is in force."""

    @property
    def active(self) -> BoolArray: ...  # [T] the days it is in force
    @property
    def arcs(self) -> ArcTable: ...
    @property
    def nodes(self) -> tuple[str, ...]: ...
    @property
    def node_region(self) -> np.ndarray[Any, Any]: ...  # region id per node
    @property
    def node_kind(self) -> np.ndarray[Any, Any]: ...
    @property
    def commodities(self) -> tuple[str, ...]: ...
    @property
    def commuter_home(self) -> np.ndarray[Any, Any]: ...  # country each commuter lives in
    @property
    def commuter_work(self) -> np.ndarray[Any, Any]: ...  # country of the site they work at
    @property
    def ratings(self) -> tuple[str, ...]: ...  # the scenario's priority ratings, highest first

    def day(self, day: int | dt.date) -> int:
        """A day or date as a day number."""

    def when(self, start: int | dt.date | None, end: int | dt.date | None) -> BoolArray:
        """[T] the days from `start` (None: always) to `end` (exclusive; None: open)."""

    def block(self, arcs: BoolArray, days: BoolArray | None = None) -> None:
        """Nothing may flow on these arcs (a block already in place keeps its reason); `days`:
        only on these of the policy's days."""

    def quota(self, arcs: BoolArray, per_day: float | None, *, days: BoolArray | None = None,
              total: float | None = None, licence: str = "") -> None:
        """These arcs share `per_day` units a day (one quota per commodity; None: no daily
        cap), on `days` of the policy's days (None: all). With `total`, their flow on those
        days also counts toward a licence of `total` units over the horizon, which the calls
        naming the same `licence` share (they must not count on the same day)."""

    def release(self, arcs: BoolArray) -> None:
        """These arcs leave a stockpile, which may ship on them."""

    def arc(self, src: str, dst: str, commodity: str) -> int:
        """The lane arc carrying `commodity` from `src` to `dst`."""

    def arc_named(self, name: str) -> int:
        """The arc a policy added under `name`."""

    def claim(self, arc: int, order: int, *, quantity: float = 0.0, due: int = 0,
              schedule: str = "flights", flights: np.ndarray[Any, Any] | None = None) -> None:
        """Units drawn from the arc's supplier before any request: `order` ranks claims
        (lower first; then earlier start, then file order); a total `quantity` due by day
        `due` on a schedule (`even`, `asap`), or the units of `flights` on each day."""

    def conserve(self, sites: BoolArray, commodities: BoolArray, below: float,
                 multiplier: float, lift: float) -> None:
        """Once a site's days of supply (at normal use) falls under `below`, its demand is
        multiplied until its days of supply is back at `lift` (>= below) or more."""

    def keep_home(self, commuters: BoolArray) -> None:
        """These commuters cannot reach their site."""

    def deliver(self, node: str, commodity: str, day: int, quantity: float) -> None:
        """`quantity` arrives at `node` from outside the network on `day` (if the policy is in
        force that day)."""


class Screen(Protocol):
    """One proposed shipment on one day, and what the policies in force make of it."""

    @property
    def src(self) -> str: ...
    @property
    def dst(self) -> str: ...
    @property
    def commodity(self) -> str: ...
    @property
    def quantity(self) -> float: ...
    @property
    def lane(self) -> str: ...  # "from->to"
    @property
    def src_kind(self) -> str: ...
    @property
    def dst_kind(self) -> str: ...
    @property
    def day(self) -> int: ...  # the day it would leave

    def in_force(self, start: int | dt.date | None, end: int | dt.date | None) -> bool:
        """Whether its day lies from `start` (None: always) to `end` (exclusive; None: open)."""
    @property
    def src_country(self) -> str: ...
    @property
    def dst_country(self) -> str: ...

    def limit(self, amount: float, by: str, note: str) -> None:
        """At most `amount` may go, because of `by`; `note` says why."""

    def note(self, text: str) -> None:
        """Something worth saying that sets no limit."""

    def exempt(self, label: str) -> None:
        """The exemption that lets it through."""

    def release(self) -> None:
        """A release lets a stockpile ship it."""


class PolicyBase(Frozen):
    id: Id
    start: Day = Field(
        0, description="first day the policy is active (a date before the scenario's `start` "
        "is kept as it was: in force from day 0, and a retaliation watching it counts the days "
        "before)")
    end: Day | None = Field(None, description="first day it is no longer active (exclusive)")
    enabled: bool = Field(True, description="disabled policies are switched on by variants or retaliation")
    description: str = ""

    # how a shortfall it causes is named in tables: "<reason_kind>:<id>"
    reason_kind: ClassVar[str] = "policy"
    # the models its fields use, for the format reference (after the policy's own)
    parts: ClassVar[Models] = ()

    def check(self, s: Scenario, at: Path) -> Found:
        return iter(())

    def arcs(self, s: Scenario) -> Iterator[ExtraArc]:
        return iter(())

    def activation(self) -> Activation | None:
        return None

    def compile(self, fx: Effects) -> None:
        raise NotImplementedError(f"policy type {type(self).__name__} has no compile")

    def screen(self, q: Screen) -> None:
        raise NotImplementedError(f"policy type {type(self).__name__} has no screen")

    def explain(self, allowed: float) -> str:
        return f"limited by {self.id}"

    def key_numbers(self, s: Scenario) -> Iterator[KeyNumber]:
        return iter(())


# ---- helpers for `check` ----------------------------------------------------------------------

def ref(path: Path, kind: str, name: str, known: Collection[str]) -> Found:
    """A reference that must name something known (a dict's keys, a set or a list)."""
    if name not in known:
        yield path, f"unknown {kind} {name!r}{did_you_mean(name, list(known))}"


def in_horizon(s: Scenario, path: Path, day: Any, *, end: bool = False,
               early: bool = False) -> Found:
    """A day (or date) inside the horizon; `end`: an exclusive end, which may be the day after;
    `early`: it may lie before day 0 (a ban already in force keeps its real date)."""
    d = s.day(day)
    last = s.days if end else s.days - 1
    if not (-np.inf if early else 0) <= d <= last:
        shown = day.isoformat() if not isinstance(day, int) else f"day {day}"
        yield path, f"{shown} is outside the horizon ({s.start.isoformat()} to " \
                    f"{s.dates[-1].isoformat()}, days 0-{s.days - 1})"


def commodity_list(s: Scenario, path: Path, value: list[str] | str) -> Found:
    """A list of commodities (or "*")."""
    if isinstance(value, list):
        for j, c in enumerate(value):
            yield from ref((*path, j), "commodity", c, s.commodities)


def countries(s: Scenario) -> set[str]:
    """What a policy may name as a country: the regions' countries (ISO codes and groups)."""
    return {r.country for r in s.regions.values()}


def lane_ids(s: Scenario) -> set[str]:
    return {lane.id for lane in s.lanes}


def row(*values: Any) -> tuple[np.ndarray[Any, Any], ...]:
    """Each value as an array of one, to ask an arc-wise rule about a single shipment."""
    return tuple(np.array([v], dtype=object) for v in values)


def any_of(values: np.ndarray[Any, Any], wanted: list[str] | str) -> BoolArray:
    """Where `values` is one of `wanted`; everywhere for "*"."""
    if wanted == "*":
        return np.ones(values.shape, dtype=bool)
    return np.isin(values, wanted)
