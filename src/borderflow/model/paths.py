"""Dotted paths into a scenario, e.g. `nodes.plant.produce.n95.capacity`, `lanes.a->b.capacity`,
`policies.us-ban.start`. List items are named by their id (lanes by "from->to") or index."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from .messages import did_you_mean


class PathError(Exception):
    def __init__(self, message: str, path: str = "") -> None:
        super().__init__(message)
        self.path = path


def _item(items: list[Any], key: str, where: str) -> int:
    if key.isdigit() and int(key) < len(items):
        return int(key)
    names = [_name(x) for x in items]
    if key in names:
        return names.index(key)
    raise PathError(f"{where} has no item {key!r}{did_you_mean(key, [n for n in names if n])}")


def _name(item: Any) -> str:
    if isinstance(item, dict):
        if "id" in item:
            return str(item["id"])
        if "from" in item and "to" in item:
            return f"{item['from']}->{item['to']}"
    return ""


def _walk(data: Any, parts: list[str]) -> tuple[Any, str | int]:
    """The container holding the last part of the path, and that part's key or index."""
    node = data
    done: list[str] = []
    for i, part in enumerate(parts):
        where = ".".join(done) or "the scenario"
        last = i == len(parts) - 1
        if isinstance(node, dict):
            if part not in node and not last:
                raise PathError(f"{where} has no field {part!r}{did_you_mean(part, list(node))}")
            key: str | int = part
        elif isinstance(node, list):
            key = _item(node, part, where)
        else:
            raise PathError(f"{where} is a single value; it has no field {part!r}")
        if last:
            return node, key
        node = node[key]
        done.append(part)
    raise PathError("empty path")


def get_path(scenario: BaseModel | dict[str, Any], path: str) -> Any:
    data = scenario.model_dump(by_alias=True) if isinstance(scenario, BaseModel) else scenario
    container, key = _walk(data, path.split("."))
    if isinstance(container, dict) and key not in container:
        where = path.rsplit(".", 1)[0] if "." in path else "the scenario"
        raise PathError(f"{where} has no field {key!r}{did_you_mean(str(key), list(container))}")
    return container[key]


def path_keys(data: dict[str, Any], path: str) -> tuple[str | int, ...]:
    """The keys and list indices a dotted path names, e.g. `lanes.a->b.capacity` ->
    ("lanes", 3, "capacity"): where a variant's `set` lands, to match problems to it."""
    out: list[str | int] = []
    node: Any = data
    for part in path.split("."):
        if isinstance(node, list):
            index = _item(node, part, "")
            out.append(index)
            node = node[index]
        else:
            out.append(part)
            node = node.get(part) if isinstance(node, dict) else None
    return tuple(out)


def named(data: Any, path: tuple[str | int, ...]) -> str:
    """A path written as a variant would write it: list items by name (`lanes.a->b.capacity`,
    `policies.us-ban.start`) where they have one, else by index."""
    parts: list[str] = []
    node = data
    for key in path:
        if isinstance(node, list) and isinstance(key, int) and 0 <= key < len(node):
            parts.append(_name(node[key]) or str(key))
            node = node[key]
        else:
            parts.append(str(key))
            node = node.get(key) if isinstance(node, dict) else None
    return ".".join(parts)


def set_path(data: dict[str, Any], path: str, value: Any) -> None:
    """Set a value in a scenario's plain data (as dumped by model_dump(by_alias=True))."""
    try:
        container, key = _walk(data, path.split("."))
    except PathError as e:
        raise PathError(str(e), path) from None
    container[key] = value
