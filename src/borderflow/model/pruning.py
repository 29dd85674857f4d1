"""A scenario pydantic rejected, without the entries that hold a shape error, so that the
whole-scenario checks still run on the rest and every problem is reported in one pass.

An entry is one item of a section: a commodity, region, node, epidemic, care site, variant or
uncertainty path under its key, or a lane, workforce group or policy in its list. A shape
error outside any entry (a top-level field, a section that is not a mapping or list, an empty
`nodes`) leaves nothing to prune: then only the shape errors are reported.

Checks that involve an entry with a shape error wait until it is fixed: a problem that names
a pruned entry (an "unknown node 'x'" for the node x pruned, a lane whose end was pruned, a
region's country, a policy's id) is dropped, so nothing is reported that fixing the shape error
would take back; for a pruned lane, what its end nodes receive waits (a plant's input, a rated
order over it). Lanes, workforce groups and policies are named by their position in messages
and paths; `original` and `message` give back the positions they have in the file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from .errors import Path

MAPPINGS = ("commodities", "regions", "nodes", "epidemics", "care", "variants", "uncertainty")
LISTS = ("lanes", "workforce", "policies")

# a name as messages and dotted paths write it: `plant->depot` holds two names, `us-ban` one
_NAME = r"[A-Za-z0-9_]+(?:-(?!>)[A-Za-z0-9_]+)*"
_WORD = re.compile(_NAME)
_LANE = re.compile(rf"{_NAME}->{_NAME}")
_QUOTED = re.compile(r"'([^']*)'")
_POSITION = re.compile(rf"\b({'|'.join(LISTS)})\.(\d+)\b")


@dataclass(frozen=True)
class Pruned:
    data: dict[str, Any]  # the scenario's data without the entries holding a shape error
    kept: dict[str, tuple[int, ...]]  # list section that lost items -> file position of each kept
    names: frozenset[str]  # what the pruned entries are called (node ids, `a->b`, policy ids...)
    ends: frozenset[str]  # the nodes at the ends of pruned lanes: what they receive waits

    def original(self, path: Path) -> Path:
        """A path into the pruned data as a path into the file."""
        if len(path) > 1 and isinstance(path[1], int) and str(path[0]) in self.kept:
            return (path[0], self.kept[str(path[0])][path[1]], *path[2:])
        return path

    def message(self, message: str) -> str:
        """A message naming a list item by position ("first is lanes.1") as the file has it."""
        def position(m: re.Match[str]) -> str:
            kept, i = self.kept.get(m[1]), int(m[2])
            return f"{m[1]}.{kept[i]}" if kept is not None and i < len(kept) else m[0]

        return _POSITION.sub(position, message)

    def by_position(self, dotted: str) -> bool:
        """Whether a dotted path (a variant's `set`, an uncertainty path) names an item of a list
        that lost items by its position (`lanes.3.capacity`): it may now name another."""
        parts = dotted.split(".")
        return len(parts) > 1 and parts[0] in self.kept and parts[1].isdigit()

    def involves(self, path: Path, message: str) -> bool:
        """Whether a problem found in the pruned data involves a pruned entry: its path or its
        message names one, or its path holds a dotted path that may name another item now."""
        words = {*_WORD.findall(message), *_LANE.findall(message), *_QUOTED.findall(message)}
        for part in path:
            if isinstance(part, str):
                if self.by_position(part):
                    return True
                words |= {part, *_WORD.findall(part), *_LANE.findall(part)}
        at_end = len(path) > 1 and path[0] == "nodes" and path[1] in self.ends
        return at_end or not self.names.isdisjoint(words)


def prune(data: dict[str, Any], error: ValidationError) -> Pruned | None:
    """`data` without each entry that holds one of `error`'s errors; None if an error lies
    outside every entry (nothing could be checked without guessing the field's value)."""
    bad: dict[str, set[str | int]] = {}
    for err in error.errors():
        loc = err["loc"]
        if len(loc) < 2 or not _is_entry(data, loc[0], loc[1]):
            return None
        bad.setdefault(str(loc[0]), set()).add(loc[1])
    out = dict(data)
    kept: dict[str, tuple[int, ...]] = {}
    names: set[str] = set()
    ends: set[str] = set()
    for section, keys in bad.items():
        entries = data[section]
        if section in LISTS:
            kept[section] = tuple(i for i in range(len(entries)) if i not in keys)
            out[section] = [entries[i] for i in kept[section]]
        else:
            out[section] = {k: v for k, v in entries.items() if k not in keys}
        for key in keys:
            names |= _names(section, key, entries[key])
            if section == "lanes" and isinstance(entries[key], dict):
                ends |= {e for e in (entries[key].get("from"), entries[key].get("to"))
                         if isinstance(e, str)}
    return Pruned(out, kept, frozenset(names), frozenset(ends))


def _is_entry(data: dict[str, Any], section: str | int, key: str | int) -> bool:
    entries = data.get(section) if isinstance(section, str) else None
    if section in MAPPINGS:
        return isinstance(entries, dict) and key in entries
    if section in LISTS:
        return isinstance(entries, list) and isinstance(key, int) and 0 <= key < len(entries)
    return False


def _names(section: str, key: str | int, raw: Any) -> set[str]:
    """What other entries call a pruned entry by. A key pruned for not being a valid name
    (`Reserve`) is likely to be fixed to the name others already use (`reserve`)."""
    raw = raw if isinstance(raw, dict) else {}
    keys = {str(key), str(key).lower()}
    if section in ("commodities", "nodes", "epidemics", "care"):
        return keys
    if section == "regions":  # policies name countries, and a country may have only this region
        return keys | ({raw["country"]} if isinstance(raw.get("country"), str) else set())
    if section == "lanes":  # its ends are not its names: lanes between other nodes are checked
        ends = [raw.get("from"), raw.get("to")]
        both = all(isinstance(e, str) for e in ends)
        return {f"{ends[0]}->{ends[1]}"} if both else set()
    if section in ("policies", "workforce"):
        return {raw["id"]} if isinstance(raw.get("id"), str) else set()
    return set()  # variants and uncertainty paths: nothing refers to them
