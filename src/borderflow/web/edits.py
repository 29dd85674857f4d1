"""The dashboard's edits: switch policies on or off and change key numbers (plant capacities,
export-control dates, quotas, stockpile release rates, rated-order quantities), like CHIME's
sliders. An edit changes the scenario's plain data at a dotted path (as a variant's `set`
does) and the result is validated by the normal model; its problems come back per field."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from ..model import Scenario, ScenarioError, apply_variant
from ..model.errors import Path
from ..model.loader import from_located
from ..model.paths import PathError, path_keys, set_path
from ..model.variants import variant_data
from ..model.yamlio import Located


@dataclass(frozen=True)
class Field:
    path: str  # dotted, as a variant's `set` writes it
    label: str
    kind: Literal["number", "date"]
    value: str  # as the form shows it
    optional: bool = False  # empty means "none" (an end date)
    policy: str | None = None  # shown beside this policy's switch


@dataclass
class Invalid(Exception):
    """The edited scenario is not valid: messages per field path, per policy id, and the rest."""

    fields: dict[str, list[str]] = field(default_factory=dict)
    policies: dict[str, list[str]] = field(default_factory=dict)
    general: list[str] = field(default_factory=list)


def _number(value: Any) -> str:
    v = float(value)
    return str(int(v)) if v.is_integer() else repr(v)


def _date(s: Scenario, day: int | dt.date | None) -> str:
    if day is None:
        return ""
    return (s.start + dt.timedelta(days=day)).isoformat() if isinstance(day, int) else day.isoformat()


def _capacities(s: Scenario) -> Iterator[Field]:
    for nid, node in s.nodes.items():
        for cid, produce in node.produce.items():
            unit = s.commodities[cid].unit
            path = f"nodes.{nid}.produce.{cid}.capacity"
            data = produce.model_dump(by_alias=True)["capacity"]
            if isinstance(data, int | float):
                yield Field(path, f"{nid}: {cid} ({unit}/day)", "number", _number(data))
            elif isinstance(data, dict) and "ramp" in data:
                for end in ("from", "to"):
                    yield Field(f"{path}.ramp.{end}", f"{nid}: {cid} ramp {end} ({unit}/day)",
                                "number", _number(data["ramp"][end]))
            elif isinstance(data, list) and all(isinstance(x, dict) and "value" in x for x in data):
                for i, step in enumerate(data):
                    yield Field(f"{path}.{i}.value", f"{nid}: {cid} from {_date(s, step['from'])} "
                                f"({unit}/day)", "number", _number(step["value"]))


def _policy_fields(s: Scenario) -> Iterator[Field]:
    """Each policy's key numbers, as its type declares them."""
    for p in s.policies:
        for k in p.key_numbers(s):
            shown = _date(s, k.value) if k.kind == "date" else _number(k.value)
            yield Field(f"policies.{p.id}.{k.field}", k.label, k.kind, shown, k.optional, p.id)


def fields(s: Scenario) -> list[Field]:
    """The editable key numbers of a scenario, with their current values."""
    return [*_capacities(s), *_policy_fields(s)]


def _parse(f: Field, text: str) -> Any:
    """The form's text as the value the model expects; text that is not one is passed on
    as it is, for the model to reject with its own message."""
    text = text.strip()
    if text == "" and f.optional:
        return None
    try:
        if f.kind == "date":
            return dt.date.fromisoformat(text)
        number = float(text)
        return int(number) if number.is_integer() and abs(number) < 2**53 else number
    except ValueError:
        return text


def edited(base: Scenario, variant: str | None, enabled: set[str],
           values: Mapping[str, str]) -> Scenario:
    """`base` as `variant` has it, with exactly the policies in `enabled` switched on and the
    key numbers in `values` (path -> text) set; validated like a file. Raises Invalid."""
    start = apply_variant(base, variant)
    data = variant_data(base, variant) if variant else \
        base.model_dump(by_alias=True, exclude_none=True)
    data["variants"] = {}  # this run is one configuration; the others are not checked again
    for p in data["policies"]:
        p["enabled"] = p["id"] in enabled
    known = {f.path: f for f in fields(start)}
    bad = Invalid()
    for path, text in values.items():
        f = known.get(path)
        if f is None:
            bad.general.append(f"{path} is not a field this page can change")
            continue
        try:
            set_path(data, path, _parse(f, text))
        except PathError as e:
            bad.fields.setdefault(path, []).append(str(e))
    if bad.fields or bad.general:
        raise bad
    try:
        return from_located(Located(data, {}, base.file), base_dir=base.base_dir)
    except ScenarioError as e:
        raise _sorted(e, data, list(known)) from None


def _sorted(e: ScenarioError, data: dict[str, Any], paths: list[str]) -> Invalid:
    """Each problem goes to the field whose path is the longest prefix of the problem's path,
    else to the policy it is in, else to the general list."""
    keys: dict[str, Path] = {}
    for p in paths:
        try:
            keys[p] = path_keys(data, p)
        except PathError:
            continue
    bad = Invalid()
    for problem in e.problems:
        where = problem.path
        best = max((p for p, k in keys.items() if where[:len(k)] == k),
                   key=lambda p: len(keys[p]), default=None)
        if best is not None:
            bad.fields.setdefault(best, []).append(problem.message)
        elif len(where) >= 2 and where[0] == "policies" and isinstance(where[1], int):
            pid = str(data["policies"][where[1]]["id"])
            bad.policies.setdefault(pid, []).append(f"{'.'.join(map(str, where[2:])) or pid}: "
                                                    f"{problem.message}")
        else:
            bad.general.append(f"{'.'.join(map(str, where)) or '(top)'}: {problem.message}")
    return bad
