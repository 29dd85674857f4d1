"""All errors at once: a scenario's shape errors and its whole-scenario checks (references,
graph, dates, variants) are reported in one pass, each at its own line, the first 50 shown."""

from __future__ import annotations

from pathlib import Path

import pytest

from borderflow.model import Problem, ScenarioError, loads
from borderflow.model.errors import MAX_SHOWN

CORPUS = Path(__file__).parent / "malformed"
BASE = (CORPUS / "_valid-base.yaml").read_text()


def edit(text: str, *changes: tuple[str, str]) -> str:
    """`text` with each (old, new) made (`old` must occur exactly once; "" appends `new`)."""
    for old, new in changes:
        if not old:
            text += new
            continue
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    return text


def line(text: str, snippet: str) -> int:
    """The line of `text` holding `snippet` (which must occur once)."""
    found = [n for n, x in enumerate(text.splitlines(), 1) if snippet in x]
    assert len(found) == 1, (snippet, found)
    return found[0]


def problems(text: str) -> list[str]:
    with pytest.raises(ScenarioError) as info:
        loads(text, file="x.yaml", base_dir=CORPUS)
    return [str(p) for p in info.value.problems]


def test_the_message_shows_the_first_problems_and_counts_the_rest() -> None:
    many = [Problem("x.yaml", line, ("nodes", f"n{line}"), "wrong") for line in range(1, 63)]
    e = ScenarioError(list(reversed(many)))
    assert len(e.problems) == 62  # every problem is kept, in line order
    assert [p.line for p in e.problems] == list(range(1, 63))
    lines = str(e).splitlines()
    assert len(lines) == MAX_SHOWN + 1 == 51
    assert lines[0] == "x.yaml:1: nodes.n1: wrong"
    assert lines[49] == "x.yaml:50: nodes.n50: wrong"
    assert lines[-1] == "... and 12 more problems"
    assert ScenarioError(many[:51]).lines()[-1] == "... and 1 more problem"
    assert ScenarioError(many[:50]).lines() == [str(p) for p in many[:50]]


def test_a_problem_found_twice_is_reported_once() -> None:
    p = Problem("x.yaml", 3, ("days",), "must be >= 1, got 0")
    assert ScenarioError([p, p]).problems == (p,)


# --- one mistake, one problem: a check does not also report what follows from an unknown name


def test_a_lane_from_an_unknown_node_is_one_problem_not_also_an_unsupplied_input() -> None:
    text = edit(BASE, ("stock: {n95: 100, media: 10}", "stock: {n95: 100}"),
                ("{from: mill, to: plant,", "{from: mil, to: plant,"))
    assert problems(text) == [
        f"x.yaml:{line(text, 'from: mil,')}: lanes.0.from: unknown node 'mil' (did you mean 'mill'?)"]


def test_an_exemption_on_a_lane_into_an_unknown_region_is_not_also_uncovered() -> None:
    text = edit(BASE, ("    kind: site\n    region: on\n", "    kind: site\n    region: ont\n"),
                ("from_country: US, start: 5}", "from_country: US, start: 5,\n"
                 "      exemptions: [{lanes: [depot->hospital]}]}"))
    assert problems(text) == [
        f"x.yaml:{line(text, 'region: ont')}: nodes.hospital.region: unknown region 'ont' "
        "(did you mean 'on'?)"]
