"""All errors at once: a scenario's shape errors and its whole-scenario checks (references,
graph, dates, variants) are reported in one pass, each at its own line, the first 50 shown."""

from __future__ import annotations

import os
import subprocess
import sys
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


POLICY = "  - {id: us-ban, type: export_control, commodities: [n95], from_country: US, start: 5}\n"
VARIANT = "  no-ban: {disable: [us-ban]}\n"
DZ = ("  - {id: dpa, type: rated_order, supplier: plant, buyer: depot, commodity: n95, "
      "quantity: 500, due: 20, rating: DZ}\n")

# Nine mistakes: shape errors in two nodes, a lane and a policy; bad references after them (a
# lane and a policy whose positions moved when the bad lane and policy were set aside); a
# variant that breaks a lane. Each is (old, new, the problem's path and message).
NINE = [
    ("media: {capacity: 50}", "media: {capacty: 50}",
     "nodes.mill.produce.media.capacty: unknown key 'capacty' (did you mean 'capacity'?)"),
    ("    kind: warehouse\n", "    kind: warehouse\n    target_days: -3\n",
     "nodes.depot.target_days: must be >= 0, got -3"),
    ("stock: {n95: 5000}", "stock: {n59: 5000}",
     "nodes.reserve.stock.n59: unknown commodity 'n59' (did you mean 'n95'?)"),
    ("    kind: site\n    region: on\n", "    kind: site\n    region: ont\n",
     "nodes.hospital.region: unknown region 'ont' (did you mean 'on'?)"),
    ("lead_time: 2, capacity: 1000", "lead_time: 2 days, capacity: 1000",
     "lanes.1.lead_time: expected a whole number, got '2 days' (write the number without its unit)"),
    ("{from: reserve, to: depot,", "{from: reserv, to: depot,",
     "lanes.3.from: unknown node 'reserv' (did you mean 'reserve'?)"),
    (POLICY, POLICY + DZ,
     "policies.1.rating: unknown rating 'DZ' (the scenario's ratings, highest first: DX, DO)"),
    (DZ, DZ + "  - {id: lift, type: airlift, from: plant, to: toronto, commodity: n95, "
     "units_per_flight: 1000, flights: [3]}\n",
     "policies.2.to: unknown node 'toronto'"),
    (VARIANT, VARIANT + "  narrow: {set: {lanes.depot->hospital.capacity: -5}}\n",
     "variants.narrow.set.lanes.depot->hospital.capacity: must be >= 0, got -5"),
]


def nine() -> tuple[str, list[str]]:
    """The file with the nine mistakes, and the nine problems with their lines."""
    text = BASE
    for old, new, _ in NINE:
        text = edit(text, (old, new))
    lines = [line(text, new.strip().splitlines()[-1][:60]) for _, new, _ in NINE]
    return text, [f"x.yaml:{n}: {what}" for n, (_, _, what) in zip(lines, NINE, strict=True)]


def test_nine_mistakes_are_nine_problems_in_one_pass() -> None:
    """Shape errors, bad references and a bad variant at once, each at its own line: the nodes
    with a shape error are not also 'unknown' to the lanes that name them (mill, depot), and
    the lane and the policy after a set-aside one keep their positions in the file."""
    text, expected = nine()
    assert problems(text) == expected
    assert len(expected) == 9


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


def validate(path: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "BORDERFLOW_DEBUG"}
    src = str(Path(__file__).resolve().parents[1] / "src")
    env["PYTHONPATH"] = os.pathsep.join([src, *filter(None, [env.get("PYTHONPATH")])])
    return subprocess.run([sys.executable, "-m", "borderflow.cli", "validate", path.name],
                          cwd=path.parent, capture_output=True, text=True, timeout=120, env=env)


def test_validate_prints_all_nine_and_exits_2(tmp_path: Path) -> None:
    text, expected = nine()
    (tmp_path / "x.yaml").write_text(text)
    proc = validate(tmp_path / "x.yaml")
    assert proc.returncode == 2
    assert proc.stdout == "" and "Traceback" not in proc.stderr
    assert proc.stderr.splitlines() == expected


def test_validate_shows_the_first_50_and_counts_the_rest(tmp_path: Path) -> None:
    sites = "".join(f"  s{i}: {{kind: site, region: nowhere, demand: {{n95: 1}}}}\n"
                    for i in range(62))
    text = edit(BASE, ("nodes:\n", "nodes:\n" + sites))
    (tmp_path / "x.yaml").write_text(text)
    proc = validate(tmp_path / "x.yaml")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 51
    assert lines[0] == "x.yaml:13: nodes.s0.region: unknown region 'nowhere'"
    assert lines[49] == "x.yaml:62: nodes.s49.region: unknown region 'nowhere'"
    assert lines[50] == "... and 12 more problems"
    with pytest.raises(ScenarioError) as info:
        loads(text, file="x.yaml")
    assert len(info.value.problems) == 62
    assert str(info.value).splitlines() == lines


# --- set aside while they hold a shape error: what names them waits


def test_a_node_with_a_shape_error_is_not_also_unknown_where_it_is_named() -> None:
    """depot is named by three lanes, a rated order, a conservation policy and a variant."""
    text = edit(BASE, ("    kind: warehouse\n", "    kind: depot\n"),
                (POLICY, POLICY + "  - {id: dpa, type: rated_order, supplier: plant, buyer: depot, "
                 "commodity: n95, quantity: 500, due: 20}\n"),
                (VARIANT, VARIANT + "  more: {set: {nodes.depot.stock.n95: 900}}\n"))
    assert problems(text) == [
        f"x.yaml:{line(text, 'kind: depot')}: nodes.depot.kind: expected 'plant', 'warehouse', "
        "'broker', 'stockpile' or 'site', got 'depot'"]


def test_a_lane_with_a_shape_error_leaves_its_ends_unchecked() -> None:
    """Without the mill->plant lane the plant would get no media, and the rated order on it
    would have no lane: both wait until the lane is fixed."""
    text = edit(BASE, ("stock: {n95: 100, media: 10}", "stock: {n95: 100}"),
                ("{from: mill, to: plant, lead_time: 1,", "{from: mill, to: plant, lead_time: 0,"),
                (POLICY, POLICY + "  - {id: dpa, type: rated_order, supplier: mill, buyer: plant, "
                 "commodity: media, quantity: 50, due: 20}\n"))
    assert problems(text) == [f"x.yaml:{line(text, 'lead_time: 0')}: lanes.0.lead_time: "
                              "must be >= 1, got 0"]


def test_a_region_with_a_shape_error_is_not_also_unknown_nor_its_country() -> None:
    text = edit(BASE, ("  on: {country: CA}", "  on: {country: CA, capital: toronto}"),
                (POLICY, POLICY + "  - {id: ca-ban, type: export_control, commodities: [n95], "
                 "from_country: CA, start: 5}\n"))
    assert problems(text) == [f"x.yaml:{line(text, 'capital')}: regions.on.capital: "
                              "unknown key 'capital'"]


def test_a_policy_with_a_shape_error_is_not_also_unknown_to_variants_and_retaliations() -> None:
    text = edit(BASE, (POLICY, POLICY + "  - {id: hit-back, type: retaliation, when: {policy: us-ban}, "
                       "activate: [us-ban]}\n"),
                ("from_country: US, start: 5}", "from_country: US, start: soon}"))
    assert problems(text) == [
        f"x.yaml:{line(text, 'start: soon')}: policies.0.start: expected a whole number or a date "
        "(YYYY-MM-DD), got 'soon'"]


def test_items_after_a_set_aside_one_keep_their_positions_and_lines() -> None:
    """lanes.0 is set aside; the duplicate is lanes.4 of lanes.1, as the file has them."""
    text = edit(BASE, ("{from: mill, to: plant, lead_time: 1,", "{from: mill, to: plant, lead_time: x,"),
                ("  - {from: reserve, to: depot, lead_time: 1, commodities: [n95]}\n",
                 "  - {from: reserve, to: depot, lead_time: 1, commodities: [n95]}\n"
                 "  - {from: plant, to: depot, lead_time: 3, commodities: [n95]}\n"))
    assert problems(text) == [
        f"x.yaml:{line(text, 'lead_time: x')}: lanes.0.lead_time: expected a whole number, got 'x'",
        f"x.yaml:{line(text, 'lead_time: 3')}: lanes.4: duplicate lane plant->depot (first is "
        "lanes.1); list its commodities on one lane"]


def test_paths_by_position_into_a_list_that_lost_items_wait() -> None:
    """`lanes.2` means depot->hospital in the file, but another lane in the list checked: a
    variant or an uncertainty path naming it so is checked once the shape error is fixed."""
    text = edit(BASE, ("{from: mill, to: plant, lead_time: 1,", "{from: mill, to: plant, lead_time: x,"),
                (VARIANT, VARIANT + "  narrow: {set: {lanes.2.capacity: 10}}\n"),
                ("", "uncertainty:\n  lanes.2.capacity: {dist: normal, mean: 10, sd: 1}\n"))
    assert problems(text) == [
        f"x.yaml:{line(text, 'lead_time: x')}: lanes.0.lead_time: expected a whole number, got 'x'"]


def test_a_shape_error_outside_every_entry_is_reported_alone() -> None:
    """With `days` wrong there is no horizon to check dates against: the checks wait."""
    text = edit(BASE, ("days: 30", "days: thirty"),
                ("    kind: site\n    region: on\n", "    kind: site\n    region: ont\n"),
                ("media: {capacity: 50}", "media: {capacty: 50}"))
    assert problems(text) == [
        "x.yaml:5: days: expected a whole number, got 'thirty'",
        f"x.yaml:{line(text, 'capacty')}: nodes.mill.produce.media.capacty: unknown key 'capacty' "
        "(did you mean 'capacity'?)"]


def test_when_every_node_is_set_aside_only_the_shape_errors_are_reported() -> None:
    text = "format: 1\nname: x\nstart: 2020-04-01\ndays: 3\ncommodities: {n95: {unit: mask}}\n" \
        "regions: {us: {country: US}}\nnodes:\n  a: {kind: site}\n" \
        "lanes:\n  - {from: a, to: b, lead_time: 1}\n"
    assert problems(text) == ["x.yaml:8: nodes.a.region: required field is missing"]


# --- variants, checked even when the scenario has problems of its own


def test_a_variant_reports_only_what_it_adds() -> None:
    """The unknown region is the scenario's problem, reported once where it is, not again under
    each variant; the variant's own problem is reported at its `set`."""
    text = edit(BASE, ("    kind: site\n    region: on\n", "    kind: site\n    region: ont\n"),
                (VARIANT, VARIANT + "  late:\n    set:\n      policies.us-ban.start: 40\n"))
    assert problems(text) == [
        f"x.yaml:{line(text, 'region: ont')}: nodes.hospital.region: unknown region 'ont' "
        "(did you mean 'on'?)",
        f"x.yaml:{line(text, 'us-ban.start: 40')}: variants.late.set.policies.us-ban.start: day 40 "
        "is outside the horizon (2020-04-01 to 2020-04-30, days 0-29)"]


# --- rated orders need a lane from the supplier to the buyer, carrying the commodity


def rated_order(supplier: str, buyer: str, commodity: str = "n95") -> str:
    return (f"  - {{id: dpa, type: rated_order, supplier: {supplier}, buyer: {buyer}, "
            f"commodity: {commodity}, quantity: 500, due: 20}}\n")


@pytest.mark.parametrize(("supplier", "buyer", "commodity", "lane"), [
    ("plant", "hospital", "n95", "plant->hospital"),  # hospital's only inbound lane is from depot
    ("reserve", "plant", "n95", "reserve->plant"),  # the plant has no lane from the reserve
    ("mill", "plant", "n95", "mill->plant"),  # the lane exists, but carries only media
])
def test_a_rated_order_without_a_lane_from_its_supplier_is_an_error_at_the_policy(
        supplier: str, buyer: str, commodity: str, lane: str) -> None:
    text = edit(BASE, (POLICY, POLICY + rated_order(supplier, buyer, commodity)))
    assert problems(text) == [f"x.yaml:{line(text, 'id: dpa')}: policies.1: a rated order needs "
                              f"a lane {lane} carrying {commodity}"]


def test_a_rated_order_may_fill_a_stockpile_or_a_plants_input() -> None:
    """Rated orders for a national stockpile, or for the media a mask plant needs, are orders
    like any other: with a lane that carries the commodity they are valid and filled."""
    import borderflow

    text = edit(BASE, ("  - {from: reserve, to: depot,", "  - {from: plant, to: reserve, lead_time: 1, "
                       "commodities: [n95]}\n  - {from: reserve, to: depot,"),
                (POLICY, POLICY + rated_order("plant", "reserve") + rated_order("mill", "plant", "media")
                 .replace("id: dpa", "id: media").replace("quantity: 500", "quantity: 50")))
    orders = borderflow.simulate(loads(text, file="x.yaml")).orders
    assert set(orders["order"]) == {"dpa", "media"}
    assert (orders["shortfall"] == 0).all()
