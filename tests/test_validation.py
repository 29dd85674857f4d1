"""All errors at once: a scenario's shape errors and its whole-scenario checks (references,
graph, dates, variants) are reported in one pass, each at its own line, the first 50 shown."""

from __future__ import annotations

from borderflow.model import Problem, ScenarioError
from borderflow.model.errors import MAX_SHOWN


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
