"""Series: a non-negative quantity that may change from day to day.

Forms: a number (constant); a list of steps `{from: DAY, value: V}`; `{ramp: {from, to, start,
end}}` (linear between the two days, flat outside); `{csv: PATH, column: NAME}` (one row per
day); `{per_patient_day: R, patients: SERIES}` (a burn rate times a census); a list of those
(the "burn" form: several care settings, e.g. ICU and ward, summed); `{epidemic: ID, census:
hospitalized, share: S}` (a census from one of the scenario's epidemics).

A list is told apart by its first item: `{per_patient_day, ...}` makes it a burn list, anything
else a list of steps; an item of the other kind is an error at that item.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import (
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    NonNegativeFloat,
    Strict,
    StrictInt,
    Tag,
)
from pydantic_core import PydanticCustomError

from .base import Frozen


def _not_a_number(value: Any) -> Any:
    # Non-strict dates (needed to read a quoted "2020-04-01") would take a number as seconds
    # since 1970 (`start: 0` is 1970-01-01); a date is never written as a number.
    if isinstance(value, int | float):
        raise PydanticCustomError("date_type", "Input should be a valid date")
    return value


# A date written YYYY-MM-DD (YAML reads it as a date; a quoted one is parsed).
Date = Annotated[dt.date, Strict(False), BeforeValidator(_not_a_number)]

# A day is an integer from 0 (day 0 is the scenario's `start`) or an ISO date.
Day = Annotated[StrictInt | Date, Field(union_mode="left_to_right")]


_MIX = "a list series holds either steps {{from, value}} or care settings " \
    "{{per_patient_day, patients}}, not both; this list starts with {first}"


def _no_setting(value: Any) -> Any:
    """An item of a list of steps must not be a care setting."""
    if _is_setting(value):
        raise PydanticCustomError("series_mix", _MIX.format(first="a step"))
    return value


def _no_step(value: Any) -> Any:
    """An item of a burn list must not be a step."""
    if isinstance(value, Step) or (isinstance(value, dict) and not _is_setting(value)
                                   and ("from" in value or "value" in value)):
        raise PydanticCustomError("series_mix", _MIX.format(first="a care setting"))
    return value


def _is_setting(value: Any) -> bool:
    return isinstance(value, PerPatientDay) or (isinstance(value, dict) and "per_patient_day" in value)


class Step(Frozen):
    model_config = ConfigDict(title="Step")
    from_: Day = Field(alias="from", description="first day (or date) of this value")
    value: NonNegativeFloat


class RampSpec(Frozen):
    from_: NonNegativeFloat = Field(alias="from", description="value on and before `start`")
    to: NonNegativeFloat = Field(description="value on and after `end`")
    start: Day
    end: Day


class Ramp(Frozen):
    ramp: RampSpec


class Csv(Frozen):
    csv: str = Field(description="CSV file, relative to the scenario file; one row per day")
    column: str = Field(description="column holding the values")


Census = Literal[
    "hospitalized", "icu", "ventilated",
    "admits_hospitalized", "admits_icu", "admits_ventilated",
]


class EpidemicCensus(Frozen):
    """Patients from one of the scenario's epidemics (CHIME's census, or its admissions)."""

    epidemic: str = Field(description="id of an entry in `epidemics`")
    census: Census = Field("hospitalized", description="patients in hospital, in intensive care "
                           "or on a ventilator that day, or admitted that day (admits_...)")
    share: NonNegativeFloat = Field(1.0, description="share of the epidemic's census at this site")


class PerPatientDay(Frozen):
    """A burn rate times a census; a list of these sums several care settings."""

    per_patient_day: NonNegativeFloat = Field(description="units used per patient-day")
    patients: Series = Field(description="patients each day, e.g. `{epidemic: ID, census: icu}`")


def _series_form(value: Any) -> str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return _tag("constant")
    if isinstance(value, list):
        return _tag("burn" if value and _is_setting(value[0]) else "steps")
    if isinstance(value, dict):
        for key in ("ramp", "csv", "per_patient_day", "epidemic"):
            if key in value:
                return _tag(key)
    if isinstance(value, Ramp | Csv | PerPatientDay | EpidemicCensus):
        return _tag({Ramp: "ramp", Csv: "csv", PerPatientDay: "per_patient_day",
                     EpidemicCensus: "epidemic"}[type(value)])
    return None


def _tag(form: str) -> str:
    # pydantic puts the tag in each error's location; "csv series" cannot be mistaken for the
    # field `csv` of that form when error messages find the field in the YAML.
    return f"{form} series"


Steps = list[Annotated[Step, BeforeValidator(_no_setting)]]
# At least one item: an empty list is a list of steps (0 every day), so the JSON Schema's
# `oneOf` cannot match both forms.
Burn = Annotated[list[Annotated[PerPatientDay, BeforeValidator(_no_step)]], Field(min_length=1)]

Series = Annotated[
    Annotated[NonNegativeFloat, Tag(_tag("constant"))]
    | Annotated[Steps, Tag(_tag("steps"))]
    | Annotated[Ramp, Tag(_tag("ramp"))]
    | Annotated[Csv, Tag(_tag("csv"))]
    | Annotated[PerPatientDay, Tag(_tag("per_patient_day"))]
    | Annotated[Burn, Tag(_tag("burn"))]
    | Annotated[EpidemicCensus, Tag(_tag("epidemic"))],
    Discriminator(
        _series_form,
        custom_error_type="series",
        custom_error_message="expected a series: a number, a list of {from, value} steps, "
        "{ramp: ...}, {csv: ..., column: ...}, {per_patient_day: ..., patients: ...} (or a "
        "list of them) or {epidemic: ...}",
    ),
]

PerPatientDay.model_rebuild()
