"""Read YAML safely into plain Python data plus the line of every field.

We compose the YAML into nodes and build Python values ourselves, so that:
- no tag can construct an object (only the YAML core schema's types are allowed);
- a duplicate key is an error at its own line;
- anchors and aliases work, but their expansion is bounded (no alias bombs);
- every mapping key and sequence item keeps its 1-based line, keyed by its path.

Plain YAML (no anchors, aliases, tags or directives: nearly every scenario) is read faster
from libyaml's events by `yamlfast.py`, giving the same data and lines; everything else, and
every problem, goes through the composed nodes here.
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
from .yamlfast import read_plain

MAX_BYTES = 50 * 1024 * 1024
MAX_VALUES = 2_000_000  # values after expanding aliases, each alias counted every time it is used

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


def _show_tag(tag: str) -> str:
    """A tag as it is written in YAML: `!!python/object`, not `tag:yaml.org,2002:python/object`."""
    return "!!" + tag.removeprefix(_CORE) if tag.startswith(_CORE) else tag


def _refused(tag: str) -> str:
    return f"tag {_show_tag(tag)} is not allowed (only plain YAML values: numbers, text, " \
        "dates, true/false, lists and mappings)"


def _check_expansion(root: Node, file: str) -> None:
    """Refuse a document that expands beyond MAX_VALUES values, before building anything.

    The composer shares one node per anchor, so sizes are computed once per node (memoised
    by identity): an alias bomb (nine levels of ten aliases, 10^9 values) fails in
    microseconds instead of after seconds of building. A node containing itself (`&a [*a]`)
    would expand forever and is refused too.
    """
    sizes: dict[int, int] = {}
    open_: set[int] = set()

    def size(node: Node, path: Path) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in open_:
            raise ScenarioError([Problem(file, node.start_mark.line + 1, path,
                                         "an alias refers to a value that contains it")])
        open_.add(key)
        total = 1
        if isinstance(node, SequenceNode):
            total += sum(size(item, (*path, i)) for i, item in enumerate(node.value))
        elif isinstance(node, MappingNode):
            total += sum(size(k, path) + size(v, (*path, str(k.value))) for k, v in node.value)
        open_.discard(key)
        if total > MAX_VALUES:
            raise ScenarioError([Problem(
                file, node.start_mark.line + 1, path,
                f"this expands to over {MAX_VALUES:,} values (each use of an alias counts its "
                "values again); a scenario never needs that many")])
        sizes[key] = total
        return total

    size(root, ())


class _Builder:
    def __init__(self, yaml: YAML, file: str) -> None:
        self.yaml = yaml
        self.file = file
        self.lines: dict[Path, int] = {}

    def fail(self, node: Node, path: Path, message: str) -> ScenarioError:
        return ScenarioError([Problem(self.file, node.start_mark.line + 1, path, message)])

    def build(self, node: Node, path: Path) -> Any:
        tag = str(node.tag)
        refused = _refused(tag)
        if isinstance(node, MappingNode):
            if tag != f"{_CORE}map":
                raise self.fail(node, path, refused)
            return self.mapping(node, path)
        if isinstance(node, SequenceNode):
            if tag != f"{_CORE}seq":
                raise self.fail(node, path, refused)
            items = []
            for i, item in enumerate(node.value):
                self.lines[(*path, i)] = item.start_mark.line + 1
                items.append(self.build(item, (*path, i)))
            return items
        assert isinstance(node, ScalarNode)
        if tag not in _SCALAR_TAGS:
            raise self.fail(node, path, refused)
        value = self.scalar(node)
        if isinstance(value, dt.datetime):
            raise self.fail(node, path, f"expected a date (YYYY-MM-DD), got a time {node.value!r}")
        return value

    def scalar(self, node: ScalarNode) -> Any:
        try:
            return self.yaml.constructor.construct_object(node, deep=True)
        except ValueError:
            # Looks like a date but is not one (2020-13-01, 2020-02-30): keep the text, so the
            # field's own check says what is wrong and every other problem is still reported.
            return str(node.value)

    def mapping(self, node: MappingNode, path: Path) -> dict[str, Any]:
        out: dict[str, Any] = {}
        seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise self.fail(key_node, path, "merge keys (<<) are not supported; write the fields out")
            if not isinstance(key_node, ScalarNode):
                raise self.fail(key_node, path, "a key must be a plain name")
            if str(key_node.tag) not in _SCALAR_TAGS:  # `=` (YAML's value tag), `!!python/...`
                raise self.fail(key_node, path, _refused(str(key_node.tag)))
            key = self.scalar(key_node)
            if not isinstance(key, str):
                key = key_node.value  # e.g. `2020: ...` or `1: ...` are names here, not numbers
            line = key_node.start_mark.line + 1
            if key in seen:
                first = "earlier on this line" if seen[key] == line else f"first at line {seen[key]}"
                raise self.fail(key_node, (*path, key), f"duplicate key {key!r} ({first})")
            seen[key] = line
            self.lines[(*path, key)] = line
            out[key] = self.build(value_node, (*path, key))
        return out


# What the parser was reading when it failed, in words a planner knows.
_CONTEXTS = {
    "flow mapping": "the {...}", "flow sequence": "the [...]", "quoted scalar": "the quoted text",
    "block mapping": "the mapping", "block collection": "the block", "simple key": "the key",
}


def _syntax_message(e: MarkedYAMLError) -> str:
    reason = (e.problem or e.context or "invalid YAML").strip()
    if "'\\t'" in reason:
        reason += " (indent with spaces, not tabs)"
    elif reason == "mapping values are not allowed here":
        reason += " (check the indentation, or quote a value that contains ': ')"
    context, mark = (e.context or "").strip(), e.context_mark
    if e.problem and context and mark is not None and (e.problem_mark is None
                                                       or mark.line != e.problem_mark.line):
        what = context.removeprefix("while parsing a ").removeprefix("while scanning a ")
        reason += f" (in {_CONTEXTS.get(what, what)} that starts on line {mark.line + 1})"
    return f"YAML syntax error: {reason}"


def _compose(text: str, pure: bool) -> tuple[YAML, list[Any]]:
    yaml = YAML(typ="safe", pure=pure)
    yaml.version = (1, 2)  # YAML 1.2: `on`, `no`, `yes` are strings (Ontario is `on`)
    return yaml, list(yaml.compose_all(text))


def read_yaml(text: str, file: str) -> Located:
    """Parse YAML text into plain data with lines; raise ScenarioError on any problem."""
    if text.strip():
        plain = read_plain(text, MAX_VALUES)
        if plain is not None:  # the common case, from libyaml's events (yamlfast.py)
            return Located(plain[0], plain[1], file)
    return read_yaml_nodes(text, file)


def read_yaml_nodes(text: str, file: str) -> Located:
    """`read_yaml` the careful way, through ruamel's composed nodes: it reads whatever
    `yamlfast` does not (anchors, aliases, tags, directives) and words every problem."""
    if not text.strip():
        raise ScenarioError([Problem(file, 1, (), "the file is empty")])
    try:
        # libyaml's parser (ruamel.yaml.clib) composes about 5x faster than the pure one
        yaml, documents = _compose(text, pure=False)
    except (YAMLError, RecursionError):
        yaml, documents = None, None
    try:
        if documents is None:  # the pure parser's messages are the ones our snapshots know
            yaml, documents = _compose(text, pure=True)
    except MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line = mark.line + 1 if mark is not None else 1
        raise ScenarioError([Problem(file, line, (), _syntax_message(e))]) from None
    except YAMLError as e:
        raise ScenarioError([Problem(file, 1, (), f"YAML syntax error: {e}")]) from None
    except RecursionError:  # the composer recurses once per level of nesting
        raise _too_deep(file) from None
    documents = [d for d in documents if d is not None]
    if not documents:
        raise ScenarioError([Problem(file, 1, (), "the file holds no scenario (only comments "
                                     "or blank lines)")])
    if len(documents) > 1:
        line = documents[1].start_mark.line + 1
        raise ScenarioError([Problem(file, line, (), "one scenario per file (found a second document)")])
    root = documents[0]
    assert yaml is not None
    builder = _Builder(yaml, file)
    builder.lines[()] = root.start_mark.line + 1
    try:
        _check_expansion(root, file)
        data = builder.build(root, ())
    except RecursionError:
        raise _too_deep(file) from None
    return Located(data, builder.lines, file)


def _too_deep(file: str) -> ScenarioError:
    return ScenarioError([Problem(file, 1, (), "the YAML nests lists or mappings too deeply")])


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
