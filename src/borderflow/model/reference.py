"""The scenario format reference (Markdown), generated from the models so it cannot drift."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from . import disruptions as D
from . import policies as P
from . import scenario as S
from . import series as SE

SECTIONS: list[tuple[str, list[type[BaseModel]]]] = [
    ("Scenario", [S.Scenario]),
    ("Network", [S.Commodity, S.Region, S.Node, S.Produce, S.Substitute, S.Lane]),
    ("Series forms", [SE.Step, SE.Ramp, SE.RampSpec, SE.Csv, SE.PerPatientDay,
                      SE.EpidemicCensus]),
    ("Policies", [m for cls in P.TYPES for m in (cls, *cls.parts)]),
    ("Disruptions", [D.Disruption, D.Border]),
    ("Epidemics and care", [S.Epidemic, S.Stay, S.Commuters, S.Care]),
    ("Variants and uncertainty", [S.Variant, S.Normal, S.LogNormal, S.Uniform, S.Triangular,
                                  S.Choice]),
]

INTRO = """# Scenario format, version 1

Generated from the model by `borderflow schema --markdown`; do not edit by hand.
A scenario is a YAML file; `borderflow schema` prints the same format as JSON Schema.

- A **day** is an integer from 0 (day 0 is `start`) or an ISO date (`2020-04-03`).
- A **series** is a number (the same every day), a list of steps `{from: DAY, value: V}`
  (0 before the first step), `{ramp: {from, to, start, end}}` (linear between the two
  days), `{csv: FILE, column: NAME}` (one row per day, the path relative to the scenario file),
  `{per_patient_day: R, patients: SERIES}`, a list of those (care settings such as ICU and
  ward, summed) or `{epidemic: ID, census: ..., share: S}` (see docs/epidemics.md).
- Names (ids) use lowercase letters, digits, `-` and `_`. A lane is named `from->to`.
- Variants' `set` and `uncertainty` take dotted paths: `nodes.plant.produce.n95.capacity`,
  `lanes.plant->dc.capacity`, `policies.us-ban.start`, `disruptions.fire.days` (list items
  by id or index).
"""


def _type(schema: dict[str, Any], defs: dict[str, Any]) -> str:
    if "$ref" in schema:
        return f"[{schema['$ref'].split('/')[-1]}](#{schema['$ref'].split('/')[-1].lower()})"
    if "const" in schema:
        return f"`{schema['const']!r}`".replace("'", '"')
    if "enum" in schema:
        return " \\| ".join(f'`"{v}"`' if isinstance(v, str) else f"`{v}`" for v in schema["enum"])
    for key in ("anyOf", "oneOf"):
        if key in schema:
            refs = {s.get("$ref", "").split("/")[-1] for s in schema[key]}
            if {"Ramp", "Csv"} <= refs:
                return "[series](#series-forms)"
            parts = [_type(s, defs) for s in schema[key] if s.get("type") != "null"]
            return " or ".join(dict.fromkeys(parts))
    kind = schema.get("type")
    if kind == "array":
        return f"list of {_type(schema.get('items', {}), defs)}"
    if kind == "object":
        value = schema.get("additionalProperties") or \
            next(iter(schema.get("patternProperties", {}).values()), None)
        return f"map of name to {_type(value, defs)}" if isinstance(value, dict) else "mapping"
    if kind == "string" and schema.get("format") == "date":
        return "date"
    names = {"integer": "integer", "number": "number", "string": "text", "boolean": "true/false"}
    text = names.get(str(kind), str(kind or "any"))
    bounds = [f"{op} {schema[k]}" for k, op in (("minimum", ">="), ("exclusiveMinimum", ">"),
                                                 ("maximum", "<="), ("exclusiveMaximum", "<"))
              if k in schema]
    return text + (f" ({', '.join(bounds)})" if bounds else "")


def _default(value: Any) -> str:
    if value is None:
        return "none"
    if value == "":
        return '`""`'
    return f"`{value}`"


def _model(model: type[BaseModel]) -> str:
    schema = model.model_json_schema(by_alias=True)
    defs = schema.get("$defs", {})
    if "$ref" in schema:  # a recursive model (a series within a series) is one of its $defs
        schema = defs[schema["$ref"].split("/")[-1]]
    required = set(schema.get("required", []))
    rows = [f"## {model.__name__}", ""]
    if model.__doc__ and model.__module__.startswith("borderflow") and \
            not model.__doc__.startswith(("Every scenario object", "A borderflow")):
        rows += [model.__doc__.strip().splitlines()[0], ""]
    rows += ["| field | type | default | meaning |", "|---|---|---|---|"]
    for name, prop in schema.get("properties", {}).items():
        default = "required" if name in required else _default(prop.get("default"))
        kind = _type(prop, defs)
        meaning = prop.get("description", "").replace("|", "\\|")
        rows.append(f"| `{name}` | {kind} | {default} | {meaning} |")
    return "\n".join(rows) + "\n"


def format_reference() -> str:
    parts = [INTRO]
    for title, models in SECTIONS:
        parts.append(f"# {title}\n")
        parts.extend(_model(m) for m in models)
    return "\n".join(parts)
