"""A scenario as tables (a folder of CSV files, the sheets of a workbook, pandas DataFrames),
to plain data and back. The layout is in `docs/tables.md`; `TABLES` lists it.

Each row of a table is one entry (a node, a lane, a policy) or one part of an entry (a node's
stock of one commodity, one step of a demand series, one exemption of a policy), keyed by the
columns that name it. A cell is read as YAML reads a value (`12` a number, `2020-04-01` a
date, `[n95, masks]` a list, `{ramp: {from: 0, to: 50, start: 10, end: 40}}` a mapping), except
in the columns that hold names and text (`TEXT`), which are read as typed. An empty cell is a
field left out. Every value read keeps where it came from (file, row), so the model's own
checks name the table, row and field, as they name a YAML file's line.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from .errors import Path, Problem, ScenarioError
from .messages import did_you_mean
from .yamlio import Located, read_yaml

Row = dict[str, Any]

# table -> (what a row is, the columns that key it); in the order tables are read and written
TABLES: dict[str, tuple[str, tuple[str, ...]]] = {
    "scenario": ("one field of the scenario: format, name, description, start, days, ratings",
                 ("field",)),
    "commodities": ("a commodity", ("id",)),
    "regions": ("a region", ("id",)),
    "groups": ("a country (ISO code) of a group of countries", ("id", "country")),
    "nodes": ("a node (stock, production and demand are tables of their own)", ("id",)),
    "stock": ("a node's units of a commodity on hand on day 0", ("node", "commodity")),
    "production": ("what a plant makes: capacity (a series; rows with a day or date are its "
                   "steps)", ("node", "commodity")),
    "inputs": ("units of an input used per unit a plant makes", ("node", "commodity", "input")),
    "demand": ("a site's use of a commodity: units (a series; rows with a day or date are its "
               "steps)", ("node", "commodity")),
    "lanes": ("a lane", ("from", "to")),
    "epidemics": ("an epidemic (nested fields as dotted columns, e.g. hospitalized.rate)",
                  ("id",)),
    "workforce": ("commuters who cross a border to a site", ("id",)),
    "care": ("a site's care capacity", ("site",)),
    "policies": ("a policy: its type and fields (its lists of entries are tables named "
                 "policy_FIELD, e.g. policy_exemptions)", ("id",)),
    "disruptions": ("a disruption", ("id",)),
    "variants": ("a variant (its `set` is the table variant_set)", ("id",)),
    "variant_set": ("a value a variant sets: its dotted path and the value", ("variant", "path")),
    "uncertainty": ("a number drawn in a sweep: its dotted path and distribution", ("path",)),
}
FIRST_COLUMNS = {"policies": ("type", "enabled", "start", "end"), "nodes": ("kind", "region"),
                 "lanes": ("lead_time", "capacity")}  # written after the key columns
POLICY_PART = "policy_"  # policy_exemptions, policy_responses, ...
SERIES_VALUE = {"demand": "units", "production": "capacity"}
DAY_COLUMNS = ("day", "date")

# Columns that hold names or text: read as typed, never as YAML (an id `2020`, a name `yes`).
# (A column of words only, like `kind` or `mode`, reads the same either way.)
TEXT = frozenset({
    "field", "id", "unit", "description", "name", "country", "region", "node", "commodity",
    "input", "from", "to", "home_region", "site", "policy", "variant", "path",
})
_TEXT_FIELDS = {"name", "description"}  # the scenario table's values that are text

_INT = re.compile(r"[-+]?[0-9]+")
_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-/ ]*")
_COMMENT = re.compile(r"(^|\s)#")  # where YAML starts a comment
_FLAT = re.compile(r"([\[{])([^\[\]{}\"'#&*!|>%@`]*)[\]}]")
_YAML_WORDS = {"true", "false", "null", "~", "True", "False", "TRUE", "FALSE", "Null", "NULL"}
_ABSENT = object()


@dataclass(frozen=True)
class Sheet:
    """One table as read: where it is (for messages) and its rows, each with its line."""

    name: str
    file: str  # "net/nodes.csv", "net.xlsx[nodes]"
    rows: list[tuple[int, Row]]


@dataclass(frozen=True)
class TableLocated(Located):
    """Plain data from tables, with the file (table) and line (row) of every path."""

    files: dict[Path, str] = field(default_factory=dict)

    def problem(self, path: Path, message: str) -> Problem:
        for n in range(len(path), -1, -1):
            line = self.lines.get(tuple(path[:n]))
            if line is not None:
                return Problem(self.files.get(tuple(path[:n]), self.file), line, path, message)
        return Problem(self.file, 1, path, message)


# ---- cells ----------------------------------------------------------------------------------

def parse(text: str, file: str = "<cell>") -> Any:
    """A cell's text as YAML reads it; text YAML cannot read (or reads as a time) stays text."""
    s = text.strip()
    value = _simple(s)
    if value is not _ABSENT:
        return value
    flat = _FLAT.fullmatch(s)
    if flat:  # [a, b] or {k: v, ...} of plain values: most cells that are not a single value
        items = [_simple(x.strip()) for x in flat.group(2).split(",")] if flat.group(2).strip() \
            else []
        if s[0] == "[" and _ABSENT not in items:
            return items
        pairs = [x.split(": ", 1) for x in flat.group(2).split(",")] if s[0] == "{" else []
        if pairs and all(len(p) == 2 for p in pairs):
            keys = [_simple(k.strip()) for k, _ in pairs]
            values = [_simple(v.strip()) for _, v in pairs]
            if all(isinstance(k, str) for k in keys) and _ABSENT not in values \
                    and len(set(keys)) == len(keys):
                return dict(zip(keys, values, strict=True))
    try:
        return read_yaml(s, file).data
    except ScenarioError:
        return text


@lru_cache(maxsize=65536)  # cells repeat (kinds, ids, lead times); every result is immutable
def _simple(s: str) -> Any:
    """A plain number, date or word as YAML reads it, else _ABSENT."""
    if _INT.fullmatch(s):
        return int(s)
    if _FLOAT.fullmatch(s):
        return float(s)
    if _DATE.fullmatch(s):
        try:
            return dt.date.fromisoformat(s)
        except ValueError:
            return s  # 2020-02-30: the field's check says why
    if _WORD.fullmatch(s) and s not in _YAML_WORDS and ": " not in s and " #" not in s:
        return s
    if s in ("true", "false"):
        return s == "true"
    return _ABSENT


def cell_value(column: str, cell: Any, text_fields: bool = False) -> Any:
    """What a cell holds: a value, or _ABSENT for an empty cell. Cells from CSV are text;
    from a workbook or a DataFrame they may be numbers, dates, lists already."""
    if not isinstance(cell, str):
        if cell is None or (isinstance(cell, float) and math.isnan(cell)):
            return _ABSENT
        if hasattr(cell, "item") and not isinstance(cell, list | dict):  # a numpy scalar
            cell = cell.item()
        if isinstance(cell, dt.datetime):
            cell = cell.date() if cell.time() == dt.time() else cell.isoformat()
    if isinstance(cell, str):
        if not cell.strip():
            return _ABSENT
        return cell if column in TEXT or text_fields else parse(cell)
    if column in TEXT and isinstance(cell, int | float) and not isinstance(cell, bool):
        return str(int(cell)) if float(cell).is_integer() else str(cell)
    if isinstance(cell, float) and cell.is_integer() and abs(cell) < 2**53:
        return int(cell)  # Excel and pandas hold 3 as 3.0; an int field is strict
    return cell


def show(value: Any) -> str:
    """A value as a cell's text, read back by `parse` as the same value."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):  # quoted where YAML would read a comment in it
        return value if value and value == value.strip() and not _COMMENT.search(value) \
            and parse(value) == value else json.dumps(value)
    return _flow(value)


def _flow(value: Any) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_flow_text(str(k))}: {_flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_flow(v) for v in value) + "]"
    if isinstance(value, str):
        return _flow_text(value)
    return show(value)


def _flow_text(text: str) -> str:
    # a plain word inside [...] or {...} may not hold , [ ] { } or ': '
    plain = re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.\-]*", text) and text not in _YAML_WORDS
    return text if plain else json.dumps(text)


# ---- tables -> data -------------------------------------------------------------------------

@lru_cache(maxsize=4096)  # bounded: an upload may name any columns
def _parts(column: str) -> tuple[str, ...]:
    """A column's name split at its dots (`hospitalized.rate`), once per name."""
    return tuple(column.split("."))


class _Reader:
    def __init__(self, label: str) -> None:
        self.data: dict[str, Any] = {}
        self.lines: dict[Path, int] = {(): 1}
        self.files: dict[Path, str] = {(): label}
        self.problems: list[Problem] = []

    def at(self, path: Path, file: str, line: int) -> None:
        self.lines.setdefault(path, line)
        self.files.setdefault(path, file)

    def fail(self, file: str, line: int, path: Path, message: str) -> None:
        self.problems.append(Problem(file, line, path, message))

    def fields(self, sheet: Sheet, line: int, row: Row, path: Path, skip: Iterable[str] = (),
               text_fields: bool = False) -> dict[str, Any]:
        """The row's cells as an entry's fields; a dotted column (`hospitalized.rate`) fills
        a nested mapping."""
        out: dict[str, Any] = {}
        self.at(path, sheet.file, line)
        for column, cell in row.items():
            if column in skip:
                continue
            parts = _parts(column)
            value = cell_value(parts[-1], cell, text_fields)
            if value is _ABSENT:
                continue
            if len(parts) == 1:  # most columns: one field, no nesting
                out[column] = value
                self.at((*path, column), sheet.file, line)
                continue
            here: dict[str, Any] = out
            for part in parts[:-1]:
                nested = here.setdefault(part, {})
                if not isinstance(nested, dict):
                    self.fail(sheet.file, line, (*path, part), f"column {column!r} nests in "
                              f"{part!r}, which another column gives as a single value")
                    break
                here = nested
            else:
                here[parts[-1]] = value
            for n in range(1, len(parts) + 1):
                self.at((*path, *parts[:n]), sheet.file, line)
        return out

    def key(self, sheet: Sheet, line: int, row: Row, column: str) -> str | None:
        value = cell_value(column, row.get(column))
        if value is _ABSENT:
            self.fail(sheet.file, line, (column,), f"{sheet.name} needs a {column!r} in every "
                      "row")
            return None
        return str(value)

    def owner(self, sheet: Sheet, line: int, row: Row, column: str, table: str,
              known: dict[str, Any]) -> str | None:
        """The entry of `table` a row belongs to (a node's stock, a variant's value)."""
        name = self.key(sheet, line, row, column)
        if name is not None and name not in known:
            self.fail(sheet.file, line, (column,), f"no {column} {name!r} in the {table} table"
                      f"{did_you_mean(name, list(known))}")
            return None
        return name


def from_tables(sheets: dict[str, Sheet], label: str) -> TableLocated:
    """Plain scenario data from tables, every path located; raises ScenarioError for a
    problem of the tables themselves (a row naming no node, a table missing)."""
    r = _Reader(label)
    if "scenario" not in sheets:
        raise ScenarioError([Problem(label, 1, (), "no scenario table: it holds the scenario's "
                                     "own fields as rows of field,value (format, name, start, "
                                     "days)")])
    for name, sheet in sheets.items():
        if name not in TABLES and not name.startswith(POLICY_PART):
            r.fail(sheet.file, 1, (), f"unknown table {name!r}"
                   f"{did_you_mean(name, list(TABLES))}")
    _scenario(r, sheets["scenario"])
    for name in ("commodities", "regions", "epidemics", "workforce", "care", "nodes"):
        if name in sheets:
            _entries(r, sheets[name], name)
    if "groups" in sheets:
        _groups(r, sheets["groups"])
    nodes = r.data.get("nodes", {})
    if "stock" in sheets:
        _stock(r, sheets["stock"], nodes)
    for name in ("production", "demand"):
        if name in sheets:
            _series_rows(r, sheets[name], nodes)
    if "inputs" in sheets:
        _inputs(r, sheets["inputs"], nodes)
    for name in ("lanes", "policies", "disruptions"):
        if name in sheets:
            _entries(r, sheets[name], name)
    for name in sorted(n for n in sheets if n.startswith(POLICY_PART)):
        _policy_parts(r, sheets[name], name.removeprefix(POLICY_PART))
    for name in ("variants", "uncertainty"):
        if name in sheets:
            _entries(r, sheets[name], name)
    if "variant_set" in sheets:
        _variant_set(r, sheets["variant_set"])
    if r.problems:
        raise ScenarioError(r.problems)
    return TableLocated(r.data, r.lines, label, r.files)


def _scenario(r: _Reader, sheet: Sheet) -> None:
    for line, row in sheet.rows:
        name = r.key(sheet, line, row, "field")
        if name is None:
            continue
        value = cell_value("value", row.get("value"), text_fields=name in _TEXT_FIELDS)
        if name in r.data:
            r.fail(sheet.file, line, (name,), f"field {name!r} given twice")
        elif value is not _ABSENT:
            r.data[name] = value
            r.at((name,), sheet.file, line)


def _entries(r: _Reader, sheet: Sheet, name: str) -> None:
    """A table of entries: a mapping by id (nodes, regions, ...) or a list (lanes, ...)."""
    keyed = name in ("commodities", "regions", "nodes", "epidemics", "care", "variants",
                     "uncertainty")
    key = TABLES[name][1][0]
    for line, row in sheet.rows:
        if keyed:
            ident = r.key(sheet, line, row, key)
            if ident is None:
                continue
            entries = r.data.setdefault(name, {})
            if ident in entries:
                r.fail(sheet.file, line, (name, ident), f"{key} {ident!r} is in the table twice")
                continue
            entries[ident] = r.fields(sheet, line, row, (name, ident), skip=(key,))
        else:
            items = r.data.setdefault(name, [])
            items.append(r.fields(sheet, line, row, (name, len(items))))


def _groups(r: _Reader, sheet: Sheet) -> None:
    groups = r.data.setdefault("groups", {})
    for line, row in sheet.rows:
        gid, country = (r.key(sheet, line, row, c) for c in ("id", "country"))
        if gid is None or country is None:
            continue
        members = groups.setdefault(gid, [])
        r.at(("groups", gid), sheet.file, line)
        r.at(("groups", gid, len(members)), sheet.file, line)
        members.append(country)


def _stock(r: _Reader, sheet: Sheet, nodes: dict[str, Any]) -> None:
    for line, row in sheet.rows:
        node = r.owner(sheet, line, row, "node", "nodes", nodes)
        commodity = r.key(sheet, line, row, "commodity")
        if node is None or commodity is None:
            continue
        units = cell_value("units", row.get("units"))
        path: Path = ("nodes", node, "stock", commodity)
        r.at(path, sheet.file, line)
        nodes[node].setdefault("stock", {})[commodity] = None if units is _ABSENT else units


def _series_rows(r: _Reader, sheet: Sheet, nodes: dict[str, Any]) -> None:
    """demand and production: one row holding a whole series, or rows of steps."""
    column = SERIES_VALUE[sheet.name]
    seen: dict[tuple[str, str], bool] = {}  # (node, commodity) -> given as steps
    for line, row in sheet.rows:
        node = r.owner(sheet, line, row, "node", "nodes", nodes)
        commodity = r.key(sheet, line, row, "commodity")
        if node is None or commodity is None:
            continue
        days = [v for c in DAY_COLUMNS if (v := cell_value(c, row.get(c))) is not _ABSENT]
        value = cell_value(column, row.get(column))
        value = None if value is _ABSENT else value
        if sheet.name == "demand":
            holder, target = nodes[node].setdefault("demand", {}), commodity
            path: Path = ("nodes", node, "demand")
        else:
            holder = nodes[node].setdefault("produce", {}).setdefault(commodity, {})
            target, path = "capacity", ("nodes", node, "produce", commodity)
            r.at(path, sheet.file, line)
        here: Path = (*path, target)
        steps = bool(days)
        if (node, commodity) in seen and not (seen[(node, commodity)] and steps):
            r.fail(sheet.file, line, here, f"{sheet.name} of {commodity} at {node} is given "
                   "again: give one row with the whole series, or one row per step with a "
                   "day or a date")
            continue
        seen[(node, commodity)] = steps
        if len(days) > 1:
            r.fail(sheet.file, line, here, "a step has a day or a date, not both")
            continue
        if steps:
            items = holder.setdefault(target, [])
            if not isinstance(items, list):
                continue
            r.at(here, sheet.file, line)
            r.at((*here, len(items)), sheet.file, line)
            items.append({"from": days[0], "value": value})
        else:
            r.at(here, sheet.file, line)
            holder[target] = value


def _inputs(r: _Reader, sheet: Sheet, nodes: dict[str, Any]) -> None:
    for line, row in sheet.rows:
        node = r.owner(sheet, line, row, "node", "nodes", nodes)
        commodity, used = (r.key(sheet, line, row, c) for c in ("commodity", "input"))
        if node is None or commodity is None or used is None:
            continue
        per_unit = cell_value("per_unit", row.get("per_unit"))
        produce = nodes[node].setdefault("produce", {}).setdefault(commodity, {})
        path: Path = ("nodes", node, "produce", commodity, "inputs", used)
        r.at(path[:-1], sheet.file, line)
        r.at(path, sheet.file, line)
        produce.setdefault("inputs", {})[used] = None if per_unit is _ABSENT else per_unit


def _policy_parts(r: _Reader, sheet: Sheet, part: str) -> None:
    policies = r.data.get("policies", [])
    index = {str(p.get("id")): i for i, p in enumerate(policies)}
    for line, row in sheet.rows:
        pid = r.owner(sheet, line, row, "policy", "policies", index)
        if pid is None:
            continue
        items = policies[index[pid]].setdefault(part, [])
        if not isinstance(items, list):
            r.fail(sheet.file, line, ("policies", index[pid], part), f"{part} of {pid} is "
                   "given in the policies table too")
            continue
        items.append(r.fields(sheet, line, row, ("policies", index[pid], part, len(items)),
                              skip=("policy",)))
        r.at(("policies", index[pid], part), sheet.file, line)


def _variant_set(r: _Reader, sheet: Sheet) -> None:
    variants = r.data.get("variants", {})
    for line, row in sheet.rows:
        name = r.owner(sheet, line, row, "variant", "variants", variants)
        path = r.key(sheet, line, row, "path")
        if name is None or path is None:
            continue
        value = cell_value("value", row.get("value"))
        target = variants[name].setdefault("set", {})
        r.at(("variants", name, "set"), sheet.file, line)
        r.at(("variants", name, "set", path), sheet.file, line)
        target[path] = None if value is _ABSENT else value


# ---- data -> tables -------------------------------------------------------------------------

def to_tables(data: dict[str, Any]) -> dict[str, list[Row]]:
    """Plain scenario data (as `Scenario.model_dump(by_alias=True, exclude_unset=True)` gives
    it) as tables of rows; only tables with rows are returned."""
    out: dict[str, list[Row]] = {name: [] for name in TABLES}
    for key, value in data.items():
        if key not in TABLES:
            out["scenario"].append({"field": key, "value": value})
    for name in ("commodities", "regions", "epidemics", "care", "uncertainty"):
        key = TABLES[name][1][0]
        out[name] = [{key: k, **v} for k, v in data.get(name, {}).items()]
    for name in ("lanes", "workforce", "disruptions"):
        out[name] = [dict(v) for v in data.get(name, [])]
    out["groups"] = [{"id": g, "country": c} for g, members in data.get("groups", {}).items()
                     for c in members]
    for nid, node in data.get("nodes", {}).items():
        out["nodes"].append({"id": nid, **{k: v for k, v in node.items()
                                           if k not in ("stock", "produce", "demand")}})
        for com, units in node.get("stock", {}).items():
            out["stock"].append({"node": nid, "commodity": com, "units": units})
        for com, made in node.get("produce", {}).items():
            rest = {k: v for k, v in made.items() if k not in ("capacity", "inputs")}
            out["production"] += _series_out(nid, com, "capacity", made.get("capacity"), rest)
            for used, per_unit in made.get("inputs", {}).items():
                out["inputs"].append({"node": nid, "commodity": com, "input": used,
                                      "per_unit": per_unit})
        for com, series in node.get("demand", {}).items():
            out["demand"] += _series_out(nid, com, "units", series, {})
    for policy in data.get("policies", []):
        row = {}
        for k, v in policy.items():
            if isinstance(v, list) and v and all(isinstance(x, dict) for x in v):
                out.setdefault(POLICY_PART + k, []).extend(
                    {"policy": policy.get("id"), **x} for x in v)
            else:
                row[k] = v
        out["policies"].append(row)
    for vid, variant in data.get("variants", {}).items():
        out["variants"].append({"id": vid, **{k: v for k, v in variant.items() if k != "set"}})
        out["variant_set"] += [{"variant": vid, "path": p, "value": v}
                               for p, v in variant.get("set", {}).items()]
    return {name: rows for name, rows in out.items() if rows}


def _series_out(node: str, commodity: str, column: str, series: Any,
                rest: dict[str, Any]) -> list[Row]:
    """A series as rows: steps one per row (by day or date), any other form whole."""
    if isinstance(series, list) and series and all(isinstance(s, dict) and "from" in s
                                                   for s in series):
        rows = []
        for s in series:
            day = s["from"]
            rows.append({"node": node, "commodity": commodity,
                         **({"date": day} if isinstance(day, dt.date) else {"day": day}),
                         column: s.get("value"), **rest})
            rest = {}
        return rows
    return [{"node": node, "commodity": commodity, column: series, **rest}]


def columns(rows: list[Row], name: str) -> list[str]:
    """A table's columns: its key columns first, then every other in the order first seen."""
    first = TABLES[name][1] if name in TABLES else ("policy",)
    seen: dict[str, None] = dict.fromkeys((*first, *FIRST_COLUMNS.get(name, ())))
    for row in rows:
        seen.update(dict.fromkeys(row))
    if name in SERIES_VALUE:
        keys = list(seen)
        days = [c for c in DAY_COLUMNS if c in seen]
        rest = [c for c in keys if c not in days]
        return rest[:2] + days + rest[2:]
    return list(seen)


def text_cells(rows: list[Row], name: str) -> Iterator[list[str]]:
    """A table as CSV text cells: the header, then one list per row."""
    cols = columns(rows, name)
    yield cols
    for row in rows:
        text_row = name == "scenario" and row.get("field") in _TEXT_FIELDS
        yield [_cell_text(c, row.get(c), text_row) for c in cols]


def _cell_text(column: str, value: Any, text_row: bool) -> str:
    if isinstance(value, str) and (column in TEXT or (text_row and column == "value")):
        return value
    return show(value)
