"""The fast YAML reader (model/yamlfast.py) against the careful one (yamlio.read_yaml_nodes):
wherever the fast one reads a text, it gives the same data, of the same types, and the same
line for every key and item; whatever it declines (anchors, tags, duplicates, syntax errors)
the careful one reads or words exactly as before (tests/malformed/ checks the words)."""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from borderflow.model import ScenarioError, builtin_names, builtin_path, loads
from borderflow.model.export import dump_yaml, scenario_data
from borderflow.model.loader import from_located
from borderflow.model.yamlfast import read_plain
from borderflow.model.yamlio import MAX_VALUES, read_yaml, read_yaml_nodes
from strategies import scenarios

CORPUS = Path(__file__).parent / "malformed"
BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def typed(value: Any) -> Any:
    """`value` with the type of every scalar beside it: 1, 1.0 and True differ."""
    if isinstance(value, dict):
        return {k: typed(v) for k, v in value.items()}
    if isinstance(value, list):
        return [typed(v) for v in value]
    return type(value).__name__, repr(value)  # repr: nan equals nan


def compare(text: str) -> bool:
    """Whether the fast reader reads `text`; where it does, it reads it as the careful one
    does (keys in the same order); where the careful one finds a problem, it declines."""
    fast = read_plain(text, MAX_VALUES)
    try:
        careful = read_yaml_nodes(text, "x.yaml")
    except ScenarioError:
        assert fast is None
        return False
    if fast is not None:
        assert typed(fast[0]) == typed(careful.data)
        assert json.dumps(fast[0], default=repr) == json.dumps(careful.data, default=repr)
        assert fast[1] == careful.lines
    return fast is not None


def assert_same(text: str) -> None:
    """The fast reader reads `text` (else the test would not test it), as the careful one does."""
    assert compare(text), text[:200]


@pytest.mark.parametrize("name", builtin_names())
def test_a_builtin_scenario_reads_and_loads_the_same_both_ways(name: str) -> None:
    path = builtin_path(name)
    text = path.read_text(encoding="utf-8")
    assert_same(text)
    fast = loads(text, file=str(path), base_dir=path.parent)
    careful = from_located(read_yaml_nodes(text, str(path)), base_dir=path.parent)
    assert fast == careful
    assert fast.model_dump() == careful.model_dump()


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(scenarios)
def test_a_random_scenario_written_as_yaml_or_json_loads_the_same_both_ways(s: Any) -> None:
    data = scenario_data(s)
    for text in (dump_yaml(data), json.dumps(data, indent=1, default=str)):
        assert_same(text)
        assert loads(text) == from_located(read_yaml_nodes(text, "<string>"), base_dir=None)


def test_the_benchmarks_synthetic_network_loads_the_same_both_ways(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    synthetic = importlib.import_module("synthetic")
    data = synthetic.scenario_dict(5, 60, 240, 3, 60)
    built = synthetic.validate(data)
    for text in (synthetic.to_yaml(data), dump_yaml(scenario_data(built))):
        assert_same(text)
        fast = loads(text)
        assert fast == from_located(read_yaml_nodes(text, "<string>"), base_dir=None)
        assert fast.model_dump() == built.model_dump()


# Plain scalars whose type YAML 1.2 decides from the text: numbers in every notation, words
# that YAML 1.1 read as booleans (`on` is Ontario), dates real and impossible, empty values.
SCALARS = [
    "0", "-0", "+5", "007", "0755", "0o17", "0b101", "0x1F", "-0x1f", "1_000", "0_10",
    "99999999999999999999", "1.5", "-1.5", "1.", ".5", "-.5", "+.5e+3", "1e5",
    "1E5", "-1.5e-3", "1_0.5", ".inf", "-.inf", "+.Inf", ".nan", ".NaN", "1e", "0x", "-",
    "+", ".", "1.2.3", "12:30", "1:20:30",
    "true", "True", "TRUE", "false", "tRue", "yes", "no", "on", "off", "y", "n", "Y",
    "null", "Null", "NULL", "~", "", "none",
    "2020-04-01", "2020-4-1", "2020-13-01", "2020-02-30", "2020-02-29", "1999-12-31x",
    "'quoted'", '"2020-04-01"', '"5"', "'true'", "plain words", "n95", "us->ca",
]
# Python refuses to make an int of over 4,300 digits: the careful reader keeps the text
DECLINED = {"1" * 4400}


@pytest.mark.parametrize("scalar", SCALARS + sorted(DECLINED))
def test_a_scalar_reads_the_same_as_a_value_and_as_a_key(scalar: str) -> None:
    """Some forms are not YAML (`k: -`), or not to libyaml (`{x: 12:30}`, which the careful
    reader reads with ruamel's pure parser): compare() checks those are declined."""
    texts = [f"k: {scalar}\nlist:\n  - {scalar}\n  - {{x: {scalar}}}\n",
             f"{{k: [{scalar}, {scalar}], j: {scalar}}}\n", f"{scalar}: 1\nother: 2\n"]
    read = [compare(text) for text in texts]
    assert any(read) != (scalar in DECLINED), read


@pytest.mark.parametrize("text", [
    "a: &x 1\nb: *x\n",  # anchors and aliases: the careful reader bounds their expansion
    "a: !!str 5\n",  # an explicit tag
    "a: !custom 5\n",
    "%YAML 1.1\n---\na: on\n",  # a directive (YAML 1.1 would read `on` as true)
    "a: 1\na: 2\n",  # a duplicate key
    "base: {x: 1}\nb:\n  <<: {x: 1}\n",  # a merge key
    "a: 2020-04-01 10:00:00\n",  # a time of day
    "[1, 2]: x\n",  # a list as a key
    "=: x\n",  # a key the careful reader refuses (YAML's value tag)
    "a: 1\n---\nb: 2\n",  # two documents
    "# nothing\n",
    "a: [1, 2\n",  # syntax errors
    "a:\n\t- 1\n",
])
def test_anything_unusual_is_left_to_the_careful_reader(text: str) -> None:
    assert read_plain(text, MAX_VALUES) is None


def test_the_value_limit_counts_as_the_careful_reader_does() -> None:
    text = "a: [" + ", ".join(["1"] * 20) + "]\nb: {c: 1}\n"  # 1 + a, list, 20 + b, map, c, 1
    assert read_plain(text, 27) is not None
    assert read_plain(text, 26) is None


def test_deep_nesting_is_left_to_the_careful_reader() -> None:
    assert read_plain("a: " + "[" * 150 + "]" * 150 + "\n", MAX_VALUES) is None
    assert read_plain("a: " + "[" * 50 + "]" * 50 + "\n", MAX_VALUES) is not None


@pytest.mark.parametrize("case", sorted(p.name for p in CORPUS.glob("*.yaml")))
def test_the_malformed_corpus_is_read_the_same_or_left_to_the_careful_reader(case: str) -> None:
    raw = (CORPUS / case).read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return  # refused before any YAML is read
    if not text.strip():
        return
    fast = read_plain(text, MAX_VALUES)
    try:
        careful = read_yaml_nodes(text, case)
    except ScenarioError:
        assert fast is None  # every YAML-level problem is worded by the careful reader
        return
    if fast is not None:
        assert typed(fast[0]) == typed(careful.data) and fast[1] == careful.lines
    assert typed(read_yaml(text, case).data) == typed(careful.data)
