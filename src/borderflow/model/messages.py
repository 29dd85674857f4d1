"""Turn pydantic's errors into one clear line each, located in the YAML file."""

from __future__ import annotations

import datetime as dt
import difflib
import re
import types
import typing
from typing import Any

from pydantic import BaseModel, ValidationError

from .errors import Path, Problem
from .yamlio import Located


def _present(data: Any, loc: tuple[Any, ...], missing: bool = False) -> tuple[Path, Any]:
    """Keep the parts of pydantic's loc that exist in the data; drop union member tags.

    Only a `missing` error names a last part that is not in the data (the missing field).
    """
    path: list[str | int] = []
    node = data
    for i, part in enumerate(loc):
        in_list = isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        if (isinstance(node, dict) and part in node) or in_list:
            node = node[part]
        elif missing and i == len(loc) - 1 and isinstance(part, str):
            path.append(part)  # a missing field: name it
            return tuple(path), None
        else:
            continue
        path.append(part)
    return tuple(path), node


def _unwrap(tp: Any) -> list[Any]:
    """The concrete types an annotation may stand for."""
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(tp)[0])
    if origin in (typing.Union, types.UnionType):
        return [t for arg in typing.get_args(tp) for t in _unwrap(arg)]
    return [tp]


def _model_fields(cls: type[BaseModel]) -> dict[str, Any]:
    return {(f.alias or name): f.annotation for name, f in cls.model_fields.items()}


def _best_model(candidates: list[Any], data: Any) -> type[BaseModel] | None:
    models = [c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)]
    if not models:
        return None
    keys = set(data) if isinstance(data, dict) else set()
    for m in models:  # a tagged union: the member whose literal tag matches the data
        for name, ann in _model_fields(m).items():
            if typing.get_origin(ann) is typing.Literal and keys and \
                    data.get(name) in typing.get_args(ann):
                return m
    return max(models, key=lambda m: len(keys & set(_model_fields(m))))


def allowed_keys(root: type[BaseModel], data: Any, path: Path) -> list[str]:
    """The field names allowed in the mapping at `path`."""
    candidates: list[Any] = [root]
    node = data
    for part in path:
        # a list (of steps, of care settings) is not one of the models a series may be
        model = None if isinstance(node, list) else _best_model(candidates, node)
        nxt: list[Any] = []
        if model is not None:
            ann = _model_fields(model).get(str(part))
            if ann is not None:
                nxt = _unwrap(ann)
        else:
            for c in candidates:
                origin, args = typing.get_origin(c), typing.get_args(c)
                if origin is dict and isinstance(part, str):
                    nxt += _unwrap(args[1])
                elif origin is list and isinstance(part, int):
                    nxt += _unwrap(args[0])
        if isinstance(node, dict):
            node = node.get(part)
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        else:
            node = None
        candidates = nxt
    model = _best_model(candidates, node)
    return list(_model_fields(model)) if model is not None else []


def did_you_mean(word: str, options: list[str]) -> str:
    close = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _suggestion(root: type[BaseModel], data: Any, path: Path) -> str | None:
    """For an unknown key at `path`, the allowed key it is most likely a typo of."""
    close = difflib.get_close_matches(str(path[-1]), allowed_keys(root, data, path[:-1]),
                                      n=1, cutoff=0.6)
    return close[0] if close else None


def _show(value: Any) -> str:
    """A value as the planner wrote it in YAML (true, not True; nothing for an empty value)."""
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date):
        return value.isoformat()
    text = repr(value)
    if len(text) > 40 and isinstance(value, dict | list):
        return "a mapping" if isinstance(value, dict) else "a list"
    return text if len(text) <= 40 else text[:37] + "..."


_NUMBER = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)"


def _hint(value: Any) -> str:
    """How to write a number the planner wrote with a unit, a % sign or thousands separators."""
    if not isinstance(value, str):
        return ""
    text = value.strip()
    if m := re.fullmatch(rf"({_NUMBER})\s*%", text):
        return f" (write {text} as {float(m[1]) / 100:g})"
    if re.fullmatch(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?", text):
        return f" (write it without commas: {text.replace(',', '')})"
    if re.fullmatch(rf"{_NUMBER}\s*[^\d\s.,%].*", text):
        return " (write the number without its unit)"
    return ""


# Errors that only say "this value has the wrong type": what was expected instead.
_EXPECTED = {
    "float_type": "a number", "float_parsing": "a number",
    "int_type": "a whole number", "int_parsing": "a whole number", "int_from_float": "a whole number",
    "string_type": "text", "list_type": "a list", "dict_type": "a mapping",
    "bool_type": "true or false", "model_type": "a mapping", "model_attributes_type": "a mapping",
    "date_type": "a date (YYYY-MM-DD)", "date_parsing": "a date (YYYY-MM-DD)",
    "date_from_datetime_parsing": "a date (YYYY-MM-DD)",
    "date_from_datetime_inexact": "a date (YYYY-MM-DD)",
}
_NUMERIC = {"float_type", "float_parsing", "int_type", "int_parsing", "series"}
_OPS = {"greater_than_equal": ">=", "greater_than": ">", "less_than_equal": "<=", "less_than": "<"}


def _expected(err: Any) -> str | None:
    """What a wrong-type error expected ("a number", "'ban' or 'quota'"), else None."""
    kind = err["type"]
    if kind.startswith("date") and isinstance(err.get("input"), str) \
            and re.fullmatch(r"\d{4}-\d{1,2}-\d{1,2}", err["input"].strip()):
        return None  # shaped like a date but not a real one: _message says why
    if kind == "literal_error":
        return str((err.get("ctx") or {}).get("expected"))
    return _EXPECTED.get(kind)


def _bound(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _message(err: Any, root: type[BaseModel], data: Any, path: Path) -> str:
    kind = err["type"]
    ctx = err.get("ctx") or {}
    value = err.get("input")
    got = f", got {_show(value)}"
    hint = _hint(value) if kind in _NUMERIC else ""
    if kind == "missing":
        return "required field is missing"
    if kind == "extra_forbidden":
        key = str(path[-1])
        suggestion = _suggestion(root, data, path)
        return f"unknown key {key!r}" + (f" (did you mean {suggestion!r}?)" if suggestion else "")
    if kind == "union_tag_invalid":
        tags = ctx.get("expected_tags", "")
        return f"unknown {ctx.get('discriminator', 'type').strip(chr(39))} {ctx.get('tag')!r}; " \
               f"expected one of {tags}{did_you_mean(str(ctx.get('tag')), _tags(tags))}"
    if kind == "union_tag_not_found":
        return "required field is missing"
    if kind == "series_mix":  # says what the list holds; the item itself is shown by the line
        return str(err["msg"])
    if kind == "series" and hint:
        return f"expected a number{got}{hint}"
    if kind == "finite_number":
        return f"must be a finite number{got}"
    if kind.startswith("date") and _expected(err) is None:
        return f"{_show(value)} is not a real date ({ctx.get('error', 'no such day')})"
    if (what := _expected(err)) is not None:
        return f"expected {what}{got}{hint}"
    if kind in _OPS:
        op, bound = _OPS[kind], next(iter(ctx.values()), "")
        if isinstance(bound, int) and not isinstance(bound, bool) and op in (">", "<"):
            # a whole-number field: "lead_time must be >= 1" reads better than "> 0"
            op, bound = (">=", bound + 1) if op == ">" else ("<=", bound - 1)
        note = ""
        if op in ("<=", "<") and bound == 1 and isinstance(value, int | float) and 1 < value <= 100:
            note = f" (a fraction: write {value:g}% as {value / 100:g})"
        return f"must be {op} {_bound(bound)}{got}{note}"
    if kind == "string_pattern_mismatch":
        allowed = "digits, '-' and '_'" if "_" in str(ctx.get("pattern", "")) else "digits and '-'"
        return f"{_show(value)} is not a valid name: use lowercase letters, {allowed}, " \
               "starting with a letter or digit"
    if kind == "string_too_long":
        return f"must be at most {ctx.get('max_length')} characters long{got}"
    if kind == "too_short":
        return "must not be empty"
    msg: str = err["msg"]
    return msg[0].lower() + msg[1:] + (got if "input" in err else "")


def _tags(text: str) -> list[str]:
    return [t.strip(" '") for t in text.split(",")]


def describe(error: ValidationError, data: Any, root: type[BaseModel]) -> list[tuple[Path, str]]:
    """One (path, message) per field pydantic rejected, worded for a planner.

    pydantic reports a value that no member of a union accepts once per member; we keep what
    helps: a typo'd key says "did you mean" and the field it was meant to be is not also
    reported missing; a mapping that one member accepts is not also "expected a list"; and
    the rest is merged into one "expected A or B, got V".
    """
    found: list[tuple[Path, str | None, str]] = []  # (path, what a wrong type expected, message)
    typos: set[Path] = set()  # fields reported missing that an unknown key was meant to be
    for err in error.errors():
        path, value = _present(data, tuple(err["loc"]), missing=err["type"] == "missing")
        key = str((err.get("ctx") or {}).get("discriminator", "")).strip("'")
        if err["type"] == "union_tag_not_found" or (
                err["type"] == "union_tag_invalid" and isinstance(value, dict) and key in value):
            path = (*path, key)  # point at the `type:` (or `dist:`) field itself
        if err["type"] == "extra_forbidden" and (meant := _suggestion(root, data, path)):
            typos.add((*path[:-1], meant))
        found.append((path, _expected(err), _message(err, root, data, path)))

    kept = [(p, what, m) for p, what, m in found
            if not (m == "required field is missing" and p in typos)
            and not (what is not None and any(len(q) > len(p) and q[:len(p)] == p
                                              for q, _, _ in found))]
    merged: dict[Path, list[tuple[str | None, str]]] = {}
    for path, what, message in kept:
        if (what, message) not in merged.setdefault(path, []):
            merged[path].append((what, message))
    out = []
    for path, entries in merged.items():
        specific = [m for what, m in entries if what is None]
        if specific:
            out.append((path, "; ".join(specific)))
            continue
        whats = list(dict.fromkeys(what for what, _ in entries if what is not None))
        first = entries[0][1]
        rest = first[first.find(", got"):] if ", got" in first else ""
        out.append((path, f"expected {' or '.join(whats)}{rest}"))
    return out


def problems_from(error: ValidationError, located: Located, root: type[BaseModel]) -> list[Problem]:
    return [located.problem(path, message) for path, message in describe(error, located.data, root)]
