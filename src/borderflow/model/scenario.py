"""The scenario, format version 1: every field, its type, default and meaning, declared once.

The JSON Schema (`borderflow schema`) and the format reference are generated from these models.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from pathlib import Path as FsPath
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import (
    Field,
    NonNegativeFloat,
    NonNegativeInt,
    PositiveFloat,
    PositiveInt,
    PrivateAttr,
)

from .base import NODE_KINDS, Frozen, Id, NodeKind
from .disruptions import Disruption
from .inventory import Allocation, Forecast, Replenishment
from .policies import Policy
from .series import Date, Day, Series
from .tables import columns, to_tables

if TYPE_CHECKING:
    import pandas as pd

DEFAULT_TARGET_DAYS: dict[NodeKind, float] = {
    "site": 7, "warehouse": 14, "broker": 14, "stockpile": 0, "plant": 7,
}
assert set(DEFAULT_TARGET_DAYS) == set(NODE_KINDS)


class Commodity(Frozen):
    unit: str = Field(min_length=1, description="what one unit is, e.g. respirator")
    description: str = ""


Latitude = Annotated[float, Field(ge=-90, le=90)]
Longitude = Annotated[float, Field(ge=-180, le=180)]


class Region(Frozen):
    country: str = Field(min_length=1, description="an ISO 3166-1 alpha-2 code (US, CA, MX) or "
                         "a group declared in `groups`; a border lies between regions of "
                         "different countries")
    name: str = ""
    lat: Latitude | None = Field(None, description="where the map draws the region's nodes "
                                 "that have no place of their own (degrees north)")
    lon: Longitude | None = Field(None, description="(degrees east; with `lat`)")


class Produce(Frozen):
    capacity: Series = Field(description="units made per day at most")
    inputs: dict[str, PositiveFloat] = Field(
        {}, description="commodity -> units of that input used per unit made")


class Substitute(Frozen):
    """A commodity a site uses in place of another once its own stock of that one runs out."""

    for_: str = Field(alias="for", description="the commodity it stands in for (one the site "
                      "has demand of)")
    use: str = Field(description="the commodity used instead")
    ratio: PositiveFloat = Field(
        1.0, description="units of `use` consumed per unit of `for` demand covered")


class Node(Frozen):
    kind: NodeKind
    region: str
    description: str = ""
    stock: dict[str, NonNegativeFloat] = Field({}, description="commodity -> units on hand on day 0")
    produce: dict[str, Produce] = Field({}, description="plants only: commodity -> production")
    demand: dict[str, Series] = Field({}, description="sites only: commodity -> units used per day")
    target_days: NonNegativeFloat | None = Field(
        None, description="order up to this many days of use (default: site 7, warehouse and "
        "broker 14, stockpile 0, plant 7 of its inputs at full capacity)")
    priority: PositiveFloat = Field(
        1.0, description="sites: weight of a unit of unmet demand here, against other sites, "
        "in the optimal allocator's objective (the priority allocator ignores it)")
    forecast: Forecast | None = Field(
        None, description="how the node forecasts its use for ordering (default: today's use)")
    replenishment: Replenishment | None = Field(
        None, description="the rule it orders by (default: order up to target_days x forecast)")
    unmet: Literal["lost", "backlog"] = Field(
        "lost", description="sites: demand not met is lost, or owed and served first when "
        "stock arrives")
    make: Literal["to_stock", "to_order"] = Field(
        "to_stock", description="plants: make at capacity, or only what its buyers asked for "
        "the day before (requests and rated orders) beyond its stock")
    allocation: Allocation | None = Field(
        None, description="how it shares stock it is short of among its buyers (default: pro "
        "rata to their requests)")
    substitutes: list[Substitute] = Field(
        [], description="sites: commodities used in place of others, tried in this order for "
        "the demand a commodity's own stock leaves unserved, from the stock the substitute's "
        "own demand leaves (KN95 for N95)")
    holding_cost: NonNegativeFloat = Field(0.0, description="cost of a unit held a day "
                                           "(any commodity)")
    shortage_cost: PositiveFloat | None = Field(
        None, description="sites: cost of a unit of demand lost (or a day of a unit owed, with "
        "unmet: backlog); the optimal allocator's weight (default: `priority`)")
    lat: Latitude | None = Field(None, description="where the node is, for the map (degrees "
                                 "north; default: its region's point)")
    lon: Longitude | None = Field(None, description="(degrees east; with `lat`)")

    @property
    def shortage_weight(self) -> float:
        return self.priority if self.shortage_cost is None else self.shortage_cost

    @property
    def target(self) -> float:
        return DEFAULT_TARGET_DAYS[self.kind] if self.target_days is None else self.target_days


class Lane(Frozen):
    from_: str = Field(alias="from")
    to: str
    lead_time: PositiveInt = Field(description="days from shipping to arrival (at least 1)")
    capacity: NonNegativeFloat | None = Field(
        None, description="units per commodity per day (default unlimited)")
    weight: PositiveFloat = Field(
        1.0, description="share of the destination's orders, against its other lanes")
    mode: Literal["truck", "rail", "sea", "air", "pipeline", "courier"] = "truck"
    commodities: list[str] | None = Field(None, description="default: every commodity")
    cost_per_unit: NonNegativeFloat = Field(0.0, description="cost of shipping a unit")
    capacity_total: NonNegativeFloat | None = Field(
        None, description="units per day of every commodity together (default unlimited)")
    yield_: Annotated[float, Field(gt=0, le=1)] = Field(
        1.0, alias="yield", description="share of what is shipped that the destination accepts; "
        "the rest is rejected on arrival and lost (Canada's 8 M rejected masks). What a rated "
        "order's supplier ships counts as delivered")
    in_transit: dict[str, NonNegativeFloat] = Field(
        {}, description="commodity -> units shipped on each of the lead_time days before day "
        "0, so arriving on each of days 0 .. lead_time - 1 (goods in the pipeline at the start)")

    @property
    def id(self) -> str:
        return f"{self.from_}->{self.to}"


class Stay(Frozen):
    """A disposition: the share of infections that need it, and how long a patient stays."""

    rate: Annotated[float, Field(ge=0, le=1)] = Field(
        description="share of infections (a fraction, 0.05 for 5%)")
    days: PositiveInt = Field(description="length of stay in days")


class Epidemic(Frozen):
    """CHIME-compatible SIR parameters (CHIME's own names); CHIME's current date is day 0."""

    population: PositiveInt = Field(description="regional population")
    current_hospitalized: NonNegativeInt = Field(
        0, description="COVID-19 patients in the hospitals on day 0")
    doubling_time: PositiveFloat | None = Field(
        None, description="doubling time in days before distancing (or give date_first_hospitalized)")
    date_first_hospitalized: Date | None = Field(
        None, description="date the first patient was hospitalised, before `start`; the doubling "
        "time is then fitted to current_hospitalized")
    hospitalized: Stay = Field(description="infections hospitalised (rate above 0) and their stay")
    icu: Stay = Field(description="infections in intensive care and their stay")
    ventilated: Stay = Field(description="infections on a ventilator and their stay")
    infectious_days: PositiveFloat = Field(14, description="days a person is infectious")
    market_share: Annotated[float, Field(gt=0, le=1)] = Field(
        1.0, description="share of the region's patients who come to these hospitals")
    relative_contact_rate: Annotated[float, Field(ge=0, le=1)] = Field(
        0.0, description="social distancing: reduction in contacts from mitigation_date")
    mitigation_date: Date | None = Field(
        None, description="date distancing took effect (default: day 0, CHIME's \"today\")")
    recovered: NonNegativeInt = Field(
        0, description="people already recovered (added to the population, as in CHIME)")
    n_days: PositiveInt | None = Field(
        None, description="CHIME's days to project: the search for the day of the first "
        "hospitalisation looks that far (default: the scenario's `days`)")


class Commuters(Frozen):
    id: Id
    home_region: str
    site: str
    staff: NonNegativeFloat


class Care(Frozen):
    patients: Series
    local_staff: NonNegativeFloat
    patients_per_staff: PositiveFloat


class Variant(Frozen):
    description: str = ""
    disable: list[str] = Field([], description="policy or disruption ids to switch off")
    enable: list[str] = Field([], description="policy or disruption ids to switch on")
    set: dict[str, Any] = Field({}, description="dotted.path -> new value")


SCALE_HELP = ("multiply the value at the path (a number or a whole series: demand, capacity ramps) "
              "by the draw instead of replacing it")


class Normal(Frozen):
    dist: Literal["normal"]
    mean: float
    sd: NonNegativeFloat
    scale: bool = Field(False, description=SCALE_HELP)


class LogNormal(Frozen):
    dist: Literal["lognormal"]
    median: PositiveFloat
    sigma: NonNegativeFloat
    scale: bool = Field(False, description=SCALE_HELP)


class Uniform(Frozen):
    dist: Literal["uniform"]
    low: float
    high: float
    scale: bool = Field(False, description=SCALE_HELP)


class Triangular(Frozen):
    dist: Literal["triangular"]
    low: float
    mode: float
    high: float
    scale: bool = Field(False, description=SCALE_HELP)


class Choice(Frozen):
    dist: Literal["choice"]
    values: list[float] = Field(min_length=1, description="the values to pick from")
    weights: list[NonNegativeFloat] | None = Field(
        None, description="relative weight of each value (default: equal)")
    scale: bool = Field(False, description=SCALE_HELP)


Distribution = Annotated[Normal | LogNormal | Uniform | Triangular | Choice,
                         Field(discriminator="dist")]


class Scenario(Frozen):
    """A borderflow scenario (format 1)."""

    format: Literal[1] = Field(description="scenario format version")
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=64)
    description: str = ""
    start: Date = Field(description="date of day 0")
    days: Annotated[int, Field(ge=1, le=3660)] = Field(description="horizon in days")
    commodities: dict[Id, Commodity] = Field(min_length=1)
    regions: dict[Id, Region] = Field(min_length=1)
    groups: dict[Id, list[Annotated[str, Field(min_length=1)]]] = Field(
        {}, description="group -> the ISO codes of its countries: a region whose country is "
        "the group stands for them together, as one country, and policies name it as a "
        "country (the flagship's latam)")
    nodes: dict[Id, Node] = Field(min_length=1)
    lanes: list[Lane] = []
    epidemics: dict[Id, Epidemic] = {}
    workforce: list[Commuters] = Field([], description="commuters who cross a border to a site")
    care: dict[str, Care] = Field({}, description="site -> care capacity")
    policies: list[Policy] = []
    ratings: list[Annotated[str, Field(min_length=1)]] = Field(
        ["DX", "DO"], min_length=1,
        description="priority ratings of rated orders, highest first (default the Defense "
        "Production Act's DX, then DO; another country's scheme may be declared instead)")
    disruptions: list[Disruption] = Field(
        [], description="nodes, lanes, borders or countries out of action for a while")
    variants: dict[Id, Variant] = {}
    uncertainty: dict[str, Distribution] = {}

    _base_dir: FsPath | None = PrivateAttr(None)
    _file: str | None = PrivateAttr(None)

    @property
    def base_dir(self) -> FsPath | None:
        """The folder of the scenario file; CSV series are read relative to it."""
        return self._base_dir

    @property
    def file(self) -> str:
        """Where the scenario was read from (for messages)."""
        return self._file or self.name

    def _carry(self, other: Scenario) -> Scenario:
        """`other`, derived from this scenario, keeps its file and folder."""
        other._base_dir, other._file = self._base_dir, self._file
        return other

    def without_policies(self, ids: set[str] | frozenset[str]) -> Scenario:
        """This scenario with the policies of `ids` disabled (the others as they are)."""
        return self._carry(self.model_copy(update={"policies": [
            p.model_copy(update={"enabled": False}) if p.id in ids else p for p in self.policies]}))

    @property
    def dates(self) -> list[dt.date]:
        return [self.start + dt.timedelta(days=d) for d in range(self.days)]

    def place(self, node: str) -> tuple[float, float] | None:
        """(lat, lon) where the map draws a node: its own, else its region's, else None."""
        n = self.nodes[node]
        if n.lat is not None and n.lon is not None:
            return n.lat, n.lon
        r = self.regions[n.region]
        return (r.lat, r.lon) if r.lat is not None and r.lon is not None else None

    def lane(self, lane_id: str) -> Lane:
        return next(lane for lane in self.lanes if lane.id == lane_id)

    def lane_commodities(self, lane: Lane) -> list[str]:
        return list(self.commodities) if lane.commodities is None else lane.commodities

    def day(self, day: int | dt.date) -> int:
        return day if isinstance(day, int) else (day - self.start).days

    @classmethod
    def from_frames(cls, scenario: Mapping[str, Any] | pd.DataFrame | None = None,
                    **tables: Any) -> Scenario:
        """A scenario from pandas DataFrames, one per table of docs/tables.md (`nodes=`,
        `lanes=`, `stock=`, `demand=`, ...), and its own fields (`scenario={"name": ...,
        "start": ..., "days": ...}`); validated as a file is (ScenarioError otherwise)."""
        return _FROM_FRAMES[0](scenario, **tables)

    def to_frames(self) -> dict[str, pd.DataFrame]:
        """The scenario as DataFrames, one per table with rows; `from_frames` takes them back."""
        import pandas as pd

        data = self.model_dump(by_alias=True, exclude_unset=True, mode="python")
        return {name: pd.DataFrame(rows, columns=columns(rows, name))
                for name, rows in to_tables(data).items()}


# `from_frames` validates as the loader does, and the loader imports this module: frames.py
# (imported with the model package) registers it here.
_FROM_FRAMES: list[Callable[..., Scenario]] = []


def register_from_frames(build: Callable[..., Scenario]) -> None:
    _FROM_FRAMES[:] = [build]


__all__ = ["DEFAULT_TARGET_DAYS", "Day", "Node", "Scenario"]
