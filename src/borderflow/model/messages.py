"""Turn pydantic's errors into one clear line each, located in the YAML file."""

from __future__ import annotations

import difflib
import types
import typing
from typing import Any

from pydantic import BaseModel, ValidationError

from .errors import Path, Problem
from .yamlio import Located


def _present(data: Any, loc: tuple[Any, ...]) -> tuple[Path, Any]:
    """Keep the parts of pydantic's loc that exist in the data; drop union member tags."""
    path: list[str | int] = []
    node = data
    for i, part in enumerate(loc):
        in_list = isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        if (isinstance(node, dict) and part in node) or in_list:
            node = node[part]
        elif i == len(loc) - 1 and isinstance(node, dict) and isinstance(part, str) \
                and not part.startswith(("[", "function-", "literal[")) and "[" not in part:
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
        model = _best_model(candidates, node)
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


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _message(err: Any, root: type[BaseModel], data: Any, path: Path, value: Any) -> str:
    kind = err["type"]
    ctx = err.get("ctx") or {}
    got = f", got {_show(err.get('input'))}"
    if kind == "missing":
        return "required field is missing"
    if kind == "extra_forbidden":
        key = str(path[-1])
        options = allowed_keys(root, data, path[:-1])
        return f"unknown key {key!r}{did_you_mean(key, options)}"
    if kind == "union_tag_invalid":
        tags = ctx.get("expected_tags", "")
        return f"unknown {ctx.get('discriminator', 'type').strip(chr(39))} {ctx.get('tag')!r}; " \
               f"expected one of {tags}{did_you_mean(str(ctx.get('tag')), _tags(tags))}"
    if kind == "union_tag_not_found":
        return f"required field {ctx.get('discriminator', '').strip(chr(39))!r} is missing"
    if kind == "finite_number":
        return f"must be a finite number{got}"
    if kind in ("float_type", "int_type", "float_parsing", "int_parsing", "int_from_float"):
        word = "a whole number" if kind.startswith("int") else "a number"
        return f"expected {word}{got}"
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        op = {"greater_than_equal": ">=", "greater_than": ">", "less_than_equal": "<=",
              "less_than": "<"}[kind]
        bound = next(iter(ctx.values()), "")
        return f"must be {op} {bound}{got}"
    if kind == "string_pattern_mismatch":
        return f"{_show(err.get('input'))} is not a valid name: use lowercase letters, digits, " \
               "'-' and '_', starting with a letter or digit"
    if kind == "literal_error":
        return f"expected {ctx.get('expected')}{got}"
    if kind in ("string_type", "list_type", "dict_type", "bool_type", "date_type", "model_type",
                "model_attributes_type", "date_from_datetime_parsing", "date_parsing"):
        what = {"string_type": "text", "list_type": "a list", "dict_type": "a mapping",
                "bool_type": "true or false", "date_type": "a date (YYYY-MM-DD)",
                "date_parsing": "a date (YYYY-MM-DD)",
                "date_from_datetime_parsing": "a date (YYYY-MM-DD)",
                "model_type": "a mapping", "model_attributes_type": "a mapping"}[kind]
        return f"expected {what}{got}"
    if kind == "too_short":
        return "must not be empty"
    msg: str = err["msg"]
    return msg[0].lower() + msg[1:] + (got if "input" in err else "")


def _tags(text: str) -> list[str]:
    return [t.strip(" '") for t in text.split(",")]


def problems_from(error: ValidationError, located: Located, root: type[BaseModel],
                  prefix: Path = ()) -> list[Problem]:
    """One problem per distinct (path, message); messages for the same path are merged."""
    merged: dict[Path, list[str]] = {}
    for err in error.errors():
        path, value = _present(located.data if not prefix else _sub(located.data, prefix),
                               tuple(err["loc"]))
        message = _message(err, root, _sub(located.data, prefix), path, value)
        full = (*prefix, *path)
        if message not in merged.setdefault(full, []):
            merged[full].append(message)
    out = []
    for path, messages in merged.items():
        if len(messages) > 1:
            # A value no member of a union accepts: say what forms were expected, once.
            messages = [" or ".join(m.split(",")[0] for m in messages) +
                        messages[0][messages[0].find(", got"):] if ", got" in messages[0] else
                        "; ".join(messages)]
        out.append(located.problem(path, messages[0]))
    return out


def _sub(data: Any, prefix: Path) -> Any:
    for part in prefix:
        data = data[part]
    return data
