"""Variants: a named set of changes to a scenario (policies switched off or on, values set)."""

from __future__ import annotations

from typing import Any

from .errors import UsageError
from .messages import did_you_mean
from .paths import set_path
from .scenario import Scenario


def variant_data(scenario: Scenario, name: str) -> dict[str, Any]:
    """The plain data of `scenario` with variant `name` applied (not yet validated)."""
    variant = scenario.variants[name]
    data = scenario.model_dump(by_alias=True, exclude_none=True)
    for item in data["policies"] + data["disruptions"]:
        if item["id"] in variant.disable:
            item["enabled"] = False
        if item["id"] in variant.enable:
            item["enabled"] = True
    for path, value in variant.set.items():
        set_path(data, path, value)
    return data


def apply_variant(scenario: Scenario, name: str | None) -> Scenario:
    """The scenario as variant `name` has it; None gives the scenario as written."""
    if name is None:
        return scenario
    if name not in scenario.variants:
        known = list(scenario.variants)
        listing = ", ".join(known) if known else "none"
        raise UsageError("--variant", f"unknown variant {name!r}{did_you_mean(name, known)}; "
                         f"{scenario.name} has: {listing}")
    return scenario._carry(Scenario.model_validate(variant_data(scenario, name)))
