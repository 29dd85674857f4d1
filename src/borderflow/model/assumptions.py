"""The numbers a scenario file marks as assumptions: every number on a line whose comment says
`assumption` (`capacity: 20000   # assumption: a grey-market broker`), for the sensitivity
analysis to perturb. A comment on a line of its own marks nothing: the mark must sit beside
the number it qualifies."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path as FsPath
from typing import Any

from .errors import Path, UsageError
from .paths import PathError, named, path_keys
from .yamlio import Located, read_yaml_file

MARK = "assumption"
# the horizon and the format are not assumptions about the world
FIXED = {("format",), ("days",), ("start",)}


@dataclass(frozen=True)
class Number:
    """One number of a scenario file."""

    path: Path  # keys and list indices into the file's data
    name: str  # as a variant's `set` writes it (`lanes.a->b.capacity`)
    line: int
    value: float
    comment: str  # the comment on its line ("" if none)


def comment_of(line: str) -> str:
    """The comment on a YAML line: the text after the first `#` outside quotes that starts the
    line or follows a space."""
    quote = ""
    for i, ch in enumerate(line):
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
        elif ch == "#" and (i == 0 or line[i - 1] in " \t"):
            return line[i + 1:].strip()
    return ""


def numbers(located: Located, text: str) -> Iterator[Number]:
    """Every number in the file (not true/false), with its line and that line's comment."""
    lines = text.splitlines()

    def walk(node: Any, path: Path) -> Iterator[Number]:
        if isinstance(node, dict):
            for k, v in node.items():
                yield from walk(v, (*path, k))
        elif isinstance(node, list):
            for i, v in enumerate(node):
                yield from walk(v, (*path, i))
        elif isinstance(node, int | float) and not isinstance(node, bool) and path not in FIXED:
            line = located.line(path)
            comment = comment_of(lines[line - 1]) if 0 < line <= len(lines) else ""
            yield Number(path, named(located.data, path), line, node, comment)

    yield from walk(located.data, ())


def marked(file: str | FsPath) -> tuple[Located, list[Number]]:
    """A scenario file's data and the numbers its comments mark as assumptions."""
    path = FsPath(file)
    located = read_yaml_file(path)
    text = path.read_text(encoding="utf-8")
    return located, [n for n in numbers(located, text) if MARK in n.comment.lower()]


def listed(located: Located, text: str, names: list[str]) -> list[Number]:
    """The numbers a user names by dotted path (as a variant's `set` does); bad input names the
    path that is not a number of the file."""
    by_path = {n.path: n for n in numbers(located, text)}
    out, problems = [], []
    for name in names:
        try:
            found = by_path.get(tuple(path_keys(located.data, name)))
        except PathError as e:
            problems.append(f"{name}: {e}")
            continue
        if found is None:
            problems.append(f"{name} is not a number written in the scenario file")
        else:
            out.append(found)
    if problems:
        raise UsageError("--assumptions", "; ".join(problems))
    return out
