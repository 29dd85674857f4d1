"""Read YAML safely into plain Python data plus the line of every field.

We compose the YAML into nodes and build Python values ourselves, so that:
- no tag can construct an object (only the YAML core schema's types are allowed);
- a duplicate key is an error at its own line;
- anchors and aliases work, but their expansion is bounded (no alias bombs);
- every mapping key and sequence item keeps its 1-based line, keyed by its path.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path as FsPath
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from .errors import Path, Problem, ScenarioError

MAX_BYTES = 50 * 1024 * 1024
MAX_VALUES = 2_000_000  # expanded values, aliases counted each time they are used

_CORE = "tag:yaml.org,2002:"
_SCALAR_TAGS = {f"{_CORE}{t}" for t in ("str", "int", "float", "bool", "null", "timestamp")}


@dataclass(frozen=True)
class Located:
    """Plain data from a YAML file and the line of each path within it."""

    data: Any
    lines: dict[Path, int]
    file: str

    def line(self, path: Path) -> int:
        """The line of `path`, or of its nearest ancestor that exists in the file."""
        for n in range(len(path), -1, -1):
            line = self.lines.get(tuple(path[:n]))
            if line is not None:
                return line
        return 1

    def problem(self, path: Path, message: str) -> Problem:
        return Problem(self.file, self.line(path), path, message)


class _Builder:
    def __init__(self, yaml: YAML, file: str) -> None:
        self.yaml = yaml
        self.file = file
        self.lines: dict[Path, int] = {}
        self.count = 0

    def fail(self, node: Node, path: Path, message: str) -> ScenarioError:
        return ScenarioError([Problem(self.file, node.start_mark.line + 1, path, message)])

    def build(self, node: Node, path: Path) -> Any:
        self.count += 1
        if self.count > MAX_VALUES:
            raise self.fail(node, path, f"too many values (over {MAX_VALUES:,}); "
                            "anchors and aliases expand to more than a scenario needs")
        tag = str(node.tag)
        if isinstance(node, MappingNode):
            if tag != f"{_CORE}map":
                raise self.fail(node, path, f"tag {tag!r} is not allowed")
            return self.mapping(node, path)
        if isinstance(node, SequenceNode):
            if tag != f"{_CORE}seq":
                raise self.fail(node, path, f"tag {tag!r} is not allowed")
            items = []
            for i, item in enumerate(node.value):
                self.lines[(*path, i)] = item.start_mark.line + 1
                items.append(self.build(item, (*path, i)))
            return items
        assert isinstance(node, ScalarNode)
        if tag not in _SCALAR_TAGS:
            raise self.fail(node, path, f"tag {tag!r} is not allowed (only plain YAML values)")
        value = self.yaml.constructor.construct_object(node, deep=True)
        if isinstance(value, dt.datetime):
            raise self.fail(node, path, f"expected a date (YYYY-MM-DD), got a time {node.value!r}")
        return value

    def mapping(self, node: MappingNode, path: Path) -> dict[str, Any]:
        out: dict[str, Any] = {}
        seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise self.fail(key_node, path, "merge keys (<<) are not supported; write the fields out")
            if not isinstance(key_node, ScalarNode):
                raise self.fail(key_node, path, "a key must be a plain name")
            key = self.yaml.constructor.construct_object(key_node, deep=True)
            if not isinstance(key, str):
                key = key_node.value  # e.g. `2020: ...` or `1: ...` are names here, not numbers
            line = key_node.start_mark.line + 1
            if key in seen:
                raise self.fail(key_node, (*path, key),
                                f"duplicate key {key!r} (first at line {seen[key]})")
            seen[key] = line
            self.lines[(*path, key)] = line
            out[key] = self.build(value_node, (*path, key))
        return out


def read_yaml(text: str, file: str) -> Located:
    """Parse YAML text into plain data with lines; raise ScenarioError on any problem."""
    if not text.strip():
        raise ScenarioError([Problem(file, 1, (), "the file is empty")])
    yaml = YAML(typ="safe", pure=True)
    yaml.version = (1, 2)  # YAML 1.2: `on`, `no`, `yes` are strings (Ontario is `on`)
    try:
        documents = list(yaml.compose_all(text))
    except MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line = mark.line + 1 if mark is not None else 1
        reason = (e.problem or e.context or "invalid YAML").strip()
        raise ScenarioError([Problem(file, line, (), f"YAML syntax error: {reason}")]) from None
    except YAMLError as e:
        raise ScenarioError([Problem(file, 1, (), f"YAML syntax error: {e}")]) from None
    documents = [d for d in documents if d is not None]
    if not documents:
        raise ScenarioError([Problem(file, 1, (), "the file is empty")])
    if len(documents) > 1:
        line = documents[1].start_mark.line + 1
        raise ScenarioError([Problem(file, line, (), "one scenario per file (found a second document)")])
    root = documents[0]
    builder = _Builder(yaml, file)
    builder.lines[()] = root.start_mark.line + 1
    data = builder.build(root, ())
    return Located(data, builder.lines, file)


def read_yaml_file(path: FsPath) -> Located:
    file = str(path)
    try:
        size = path.stat().st_size
    except OSError as e:
        raise ScenarioError([Problem(file, 1, (), f"cannot read the file: {e.strerror}")]) from None
    if size > MAX_BYTES:
        raise ScenarioError([Problem(file, 1, (), f"the file is {size / 2**20:.0f} MB; "
                                     f"the limit is {MAX_BYTES // 2**20} MB")])
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ScenarioError([Problem(file, 1, (), "the file is not UTF-8 text")]) from None
    except OSError as e:
        raise ScenarioError([Problem(file, 1, (), f"cannot read the file: {e.strerror}")]) from None
    return read_yaml(text, file)
