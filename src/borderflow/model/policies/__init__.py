"""Policy types, one module each: fields, checks, compilation, screen, explain, key numbers
(see `base`). `Policy` is the union the scenario format accepts; every registry comes from it.

A new type is a new module here plus its class in `Policy`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, get_args

from pydantic import Field

from .airlift import Airlift, FlightEvery
from .base import Activation, Effects, ExtraArc, KeyNumber, PolicyBase, Screen
from .border_closure import BorderClosure
from .conservation import Conservation
from .delivery import Arrival, Delivery
from .export_control import Exemption, ExportControl
from .rated_order import RatedOrder
from .retaliation import Retaliation, Trigger
from .stockpile_release import StockpileRelease

Policy = Annotated[
    ExportControl | RatedOrder | Airlift | StockpileRelease | Conservation | BorderClosure
    | Retaliation | Delivery,
    Field(discriminator="type"),
]

TYPES: tuple[type[PolicyBase], ...] = get_args(get_args(Policy)[0])
# type name (as a scenario writes it) -> its class
REGISTRY: dict[str, type[PolicyBase]] = {
    get_args(cls.model_fields["type"].annotation)[0]: cls for cls in TYPES}


def in_order(policies: Sequence[PolicyBase]) -> list[tuple[int, PolicyBase]]:
    """(index in the scenario, policy), type by type in the order of `Policy`, each type's
    policies in file order: the order their effects are compiled and screened in (the first
    block placed on an arc names it; quota groups are numbered in this order). A policy of a
    type not in `Policy` is refused: nothing it would do can be left out in silence."""
    place = {cls: k for k, cls in enumerate(TYPES)}
    for p in policies:
        if type(p) not in place:
            raise TypeError(f"policy {p.id!r} is of a type borderflow does not know "
                            f"({type(p).__name__}); the types are {', '.join(REGISTRY)}")
    return sorted(enumerate(policies), key=lambda ip: (place[type(ip[1])], ip[0]))


__all__ = ["REGISTRY", "TYPES", "Activation", "Airlift", "Arrival", "BorderClosure",
           "Conservation", "Delivery", "Effects", "Exemption", "ExportControl", "ExtraArc",
           "FlightEvery", "KeyNumber", "Policy", "PolicyBase", "RatedOrder", "Retaliation",
           "Screen", "StockpileRelease", "Trigger", "in_order"]
