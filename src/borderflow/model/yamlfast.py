"""Read plain YAML straight from libyaml's parser events: the same data and lines, faster.

`yamlio.read_yaml` composes the YAML into ruamel's nodes and builds values from them; the
composer, its tag resolution and the builder are pure Python, and make up most of the time
of loading a large scenario. The parser underneath (ruamel.yaml.clib's libyaml) is C, and
its events already carry every line. This module builds the plain data and the line of every
key and item from those events in one loop, resolving plain scalars by ruamel's own YAML 1.2
rules (the table of `VersionedResolver`, the resolver `yamlio` composes with: first character,
then regular expression, as it does) and constructing the rare ones (dates, true/false, null,
ints and floats written with `_`, `0x`, `.inf`) with ruamel's own constructor.

It reads only the plain case: one document, no directive, anchor, alias or explicit tag,
no merge key, duplicate key, time of day or key that is a list or a mapping, within the size
and depth limits. Anything else gives `None`, and the caller reads the text the careful way,
which says what is wrong exactly as before (or reads the document, if it was only unusual).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.events import (
    DocumentEndEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
    StreamStartEvent,
)
from ruamel.yaml.nodes import ScalarNode
from ruamel.yaml.resolver import VersionedResolver
from ruamel.yaml.tag import Tag

from .errors import Path

try:  # libyaml through ruamel.yaml.clib (a dependency on CPython); without it, no fast path
    from ruamel.yaml.cyaml import CParser  # type: ignore[attr-defined]  # the C extension's, untyped
except ImportError:  # pragma: no cover - PyPy
    CParser = None

MAX_DEPTH = 100  # a scenario nests about 8 deep; deeper documents go the careful way

_CORE = "tag:yaml.org,2002:"
_STR, _INT, _FLOAT = f"{_CORE}str", f"{_CORE}int", f"{_CORE}float"
_CONSTRUCTED = {f"{_CORE}{t}" for t in ("bool", "null", "timestamp", "int", "float")}
# YAML 1.2's implicit resolvers by first character: the table ruamel's resolver reads
_RESOLVERS: dict[str | None, list[tuple[str, Any]]] = \
    VersionedResolver(version=(1, 2)).versioned_resolver
_SLOW = object()  # a scalar the fast path does not read: the whole text goes the careful way


class _Unusual(Exception):
    """The text is not plain YAML of the kind this module reads."""


class _Scalars:
    """Plain scalars' values, each text resolved once per document (scenarios repeat words
    and numbers); ruamel's constructor, made on first need, for the rare tags."""

    def __init__(self) -> None:
        self.seen: dict[str, Any] = {}
        self.yaml: YAML | None = None

    def value(self, text: str) -> Any:
        """A plain (unquoted, untagged) scalar's value, _SLOW if this module does not read it."""
        value = self.seen.get(text, _SLOW)
        if value is _SLOW:
            value = self.seen[text] = self._resolve(text)
        return value

    def _resolve(self, text: str) -> Any:
        for tag, regexp in _RESOLVERS.get(text[0] if text else "", ()):
            if regexp.match(text):
                return self._construct(text, tag)
        return text

    def _construct(self, text: str, tag: str) -> Any:
        """A scalar of a tag other than str, as ruamel's safe constructor builds it (with
        `yamlio`'s rule: a date that is not one stays text)."""
        if tag == _INT:
            unsigned = text[1:] if text[0] in "+-" else text
            if unsigned.isdigit():  # the common case; `_`, 0b, 0o, 0x go through ruamel
                return int(text)
        elif tag == _FLOAT and "_" not in text and text[-1] not in "fFnN":  # not .inf / .nan
            return float(text)
        if tag not in _CONSTRUCTED:
            return _SLOW
        if self.yaml is None:
            self.yaml = YAML(typ="safe", pure=True)
            self.yaml.version = (1, 2)
        try:
            value = self.yaml.constructor.construct_object(ScalarNode(Tag(suffix=tag), text),
                                                           deep=True)
        except ValueError:
            return text
        return _SLOW if isinstance(value, dt.datetime) else value


def read_plain(text: str, max_values: int) -> tuple[Any, dict[Path, int]] | None:
    """The data of plain YAML text and the 1-based line of every mapping key and sequence item,
    keyed by path (and of the root, at ()); None when the text is not plain or not valid YAML."""
    if CParser is None:
        return None
    parser = CParser(text)
    try:
        return _read(parser, max_values)
    except Exception:  # any problem at all: the careful reader finds it and says what it is
        return None
    finally:
        parser.dispose()


def _read(parser: Any, max_values: int) -> tuple[Any, dict[Path, int]]:
    get = parser.get_event
    if type(get()) is not StreamStartEvent:
        raise _Unusual
    start = get()
    if type(start) is not DocumentStartEvent or start.version is not None or start.tags:
        raise _Unusual
    lines: dict[Path, int] = {}
    plain = _Scalars().value
    stack: list[tuple[Any, Path, Any]] = []
    container: Any = None  # the open mapping or list, its path, and the key awaiting its value
    path: Path = ()
    key: Any = _SLOW  # _SLOW: none (a mapping awaits a key, or the container is a list)
    root: Any = _SLOW
    count = 0
    while True:
        event = get()
        kind = type(event)
        if kind is ScalarEvent:
            if event.anchor is not None or event.ctag is not None:
                raise _Unusual
            raw = event.value
            if event.implicit[0]:
                value = plain(raw)
                if value is _SLOW:
                    raise _Unusual
            else:
                value = raw
            count += 1
            if key is not _SLOW:  # a mapping's value
                container[key] = value
                key = _SLOW
            elif type(container) is dict:  # a mapping's key
                key = value if type(value) is str else raw  # `2020:` is a name, not a number
                if key in container:
                    raise _Unusual
                lines[(*path, key)] = event.start_mark.line + 1
            elif container is None:
                root = value
                lines[()] = event.start_mark.line + 1
            else:
                lines[(*path, len(container))] = event.start_mark.line + 1
                container.append(value)
        elif kind is MappingStartEvent or kind is SequenceStartEvent:
            if event.anchor is not None or event.ctag is not None or len(stack) >= MAX_DEPTH:
                raise _Unusual
            new: Any = {} if kind is MappingStartEvent else []
            inner: Path
            count += 1
            if container is None:
                root, inner = new, ()
                lines[()] = event.start_mark.line + 1
            elif type(container) is dict:
                if key is _SLOW:  # a list or mapping as a key
                    raise _Unusual
                container[key] = new
                inner = (*path, key)
            else:
                inner = (*path, len(container))
                lines[inner] = event.start_mark.line + 1
                container.append(new)
            stack.append((container, path, key))
            container, path, key = new, inner, _SLOW
        elif kind is MappingEndEvent or kind is SequenceEndEvent:
            if count > max_values:
                raise _Unusual
            container, path, _ = stack.pop()
            key = _SLOW  # the parent's key now has its value
        else:  # an alias, or the document's end
            break
    if kind is not DocumentEndEvent or root is _SLOW or type(get()) is not StreamEndEvent \
            or count > max_values:
        raise _Unusual
    return root, lines
