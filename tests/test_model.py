"""Loading a scenario, checked in-process: what the YAML reader keeps, how variants and dotted
paths work, and more one-defect messages than the CLI corpus (tests/malformed/) runs, cheaply."""

from __future__ import annotations

from pathlib import Path

import pytest

from borderflow.model import Scenario, ScenarioError, apply_variant, loads
from borderflow.model.paths import get_path, set_path
from borderflow.model.yamlio import read_yaml

CORPUS = Path(__file__).parent / "malformed"
BASE = (CORPUS / "_valid-base.yaml").read_text()


def edit(old: str, new: str, text: str = BASE) -> str:
    """The base scenario with one edit (`old` must occur exactly once; "" appends)."""
    if not old:
        return text + new
    assert text.count(old) == 1, old
    return text.replace(old, new)


def problems(text: str) -> list[str]:
    with pytest.raises(ScenarioError) as info:
        loads(text, file="x.yaml", base_dir=CORPUS)
    return [str(p) for p in info.value.problems]


def test_the_base_loads() -> None:
    s = loads(BASE, file="x.yaml", base_dir=CORPUS)
    assert isinstance(s, Scenario)
    assert s.name == "base" and s.days == 30 and len(s.lanes) == 4


# --- the YAML reader


def test_every_key_and_item_keeps_its_line() -> None:
    located = read_yaml(BASE, "x.yaml")
    lines = BASE.splitlines()
    assert "kind: warehouse" in lines[located.lines[("nodes", "depot", "kind")] - 1]
    assert "{from: depot, to: hospital" in lines[located.lines[("lanes", 2)] - 1]
    # a field that is not in the file points at its nearest ancestor that is
    assert located.line(("lanes", 2, "capacity")) == located.lines[("lanes", 2)]


def test_problems_point_at_the_line_of_the_field() -> None:
    text = edit("    kind: warehouse\n", "    kind: warehouse\n    target_days: -3\n")
    line = text.splitlines().index("    target_days: -3") + 1
    assert problems(text) == [f"x.yaml:{line}: nodes.depot.target_days: must be >= 0, got -3"]


def test_on_is_a_name_not_a_boolean() -> None:
    """YAML 1.2: `on` (Ontario), `no`, `yes` are text, so a region can be called `on`."""
    s = loads(BASE, file="x.yaml")
    assert "on" in s.regions and s.nodes["hospital"].region == "on"
    assert problems(edit("from_country: US, start: 5}", "from_country: US, start: 5, enabled: no}")) \
        == ["x.yaml:44: policies.0.enabled: expected true or false, got 'no'"]


def test_anchors_and_aliases_are_allowed() -> None:
    text = edit("  mi: {country: US}\n", "  mi: &usa {country: US}\n  oh: *usa\n")
    s = loads(text, file="x.yaml")
    assert s.regions["oh"] == s.regions["mi"]


def test_a_key_of_a_tag_not_allowed_is_refused_at_its_line() -> None:
    """`=` resolves to YAML's value tag, which ruamel cannot construct: a key was a crash."""
    text = edit("regions:\n", "regions:\n  =: {country: US}\n")
    line = text.splitlines().index("  =: {country: US}") + 1
    assert problems(text) == [f"x.yaml:{line}: regions: tag !!value is not allowed (only plain "
                              "YAML values: numbers, text, dates, true/false, lists and mappings)"]


def test_a_quoted_date_is_a_date() -> None:
    s = loads(edit("start: 2020-04-01", "start: '2020-04-01'"), file="x.yaml")
    assert s.start.isoformat() == "2020-04-01"


# --- variants and dotted paths


VARIANTS = """\
  narrow:
    set:
      lanes.plant->depot.capacity: 250
  later:
    set:
      policies.us-ban.start: 2020-04-20
"""


def test_variants_apply() -> None:
    s = loads(edit("variants:\n", "variants:\n" + VARIANTS), file="x.yaml", base_dir=CORPUS)
    assert apply_variant(s, None) is s
    assert apply_variant(s, "narrow").lane("plant->depot").capacity == 250
    assert str(apply_variant(s, "later").policies[0].start) == "2020-04-20"
    assert apply_variant(s, "no-ban").policies[0].enabled is False
    assert s.policies[0].enabled is True  # the scenario itself is unchanged
    with pytest.raises(ScenarioError, match="unknown variant 'narow' \\(did you mean 'narrow'\\?\\)"):
        apply_variant(s, "narow")


def test_dotted_paths_name_list_items_by_id() -> None:
    s = loads(BASE, file="x.yaml")
    assert get_path(s, "lanes.plant->depot.capacity") == 1000
    assert get_path(s, "lanes.1.capacity") == 1000
    assert get_path(s, "policies.us-ban.start") == 5
    assert get_path(s, "nodes.plant.produce.n95.inputs.media") == 0.02
    data = s.model_dump(by_alias=True)
    set_path(data, "policies.us-ban.start", 9)
    assert data["policies"][0]["start"] == 9


# --- one defect, one message (the CLI corpus covers more; these are cheaper in-process)

EPIDEMIC = """epidemics:
  flu:
    population: 1000000
    doubling_time: 4
    hospitalized: {rate: 0.025, days: 7}
    icu: {rate: 0.0075, days: 9}
    ventilated: {rate: 0.005, days: 10}
"""
POLICY = "  - {id: us-ban, type: export_control, commodities: [n95], from_country: US, start: 5}\n"
VARIANT = "  no-ban: {disable: [us-ban]}\n"

ONE_DEFECT = [
    # (what is replaced, by what, the message)
    ("lead_time: 2, capacity: 1000,", "lead_time: 2, capacity: 1000, wieght: 2,",
     "40: lanes.1.wieght: unknown key 'wieght' (did you mean 'weight'?)"),
    ("{from: depot, to: hospital, lead_time: 1,", "{from: depot, to: hospital,",
     "41: lanes.2.lead_time: required field is missing"),
    ("  reserve:\n", "  Reserve:\n",
     "28: nodes.Reserve: 'Reserve' is not a valid name: use lowercase letters, digits, '-' and "
     "'_', starting with a letter or digit"),
    ("days: 30", "days: 0", "5: days: must be >= 1, got 0"),
    ("days: 30", "days: 5000", "5: days: must be <= 3660, got 5000"),
    ("stock: {n95: 500}\n    demand", "stock: [500]\n    demand",
     "35: nodes.hospital.stock: expected a mapping, got [500]"),
    ("      n95: 50\n", "      n95: fifty\n",
     "37: nodes.hospital.demand.n95: expected a series: a number, a list of {from, value} steps, "
     "{ramp: ...}, {csv: ..., column: ...}, {per_patient_day: ..., patients: ...} (or a list "
     "of them) or {epidemic: ...}, got 'fifty'"),
    ("      n95: 50\n", "      n95: 50/day\n",
     "37: nodes.hospital.demand.n95: expected a number, got '50/day' (write the number without its unit)"),
    ("      n95: 50\n", "      n95:\n        - {from: 0, value: 50}\n        - {from: 10}\n",
     "39: nodes.hospital.demand.n95.1.value: required field is missing"),
    ("      n95: 50\n", "      n95:\n        - {from: 0, value: 50}\n        - {from: soon, value: 5}\n",
     "39: nodes.hospital.demand.n95.1.from: expected a whole number or a date (YYYY-MM-DD), got 'soon'"),
    ("      n95: 50\n", "      n95: {per_patient_day: 8, patient: 30}\n",
     "37: nodes.hospital.demand.n95.patient: unknown key 'patient' (did you mean 'patients'?)"),
    ("media: {capacity: 50}", "media: {capacity: {ramp: {from: 10, to: 50, strat: 0, end: 5}}}",
     "17: nodes.mill.produce.media.capacity.ramp.strat: unknown key 'strat' (did you mean 'start'?)"),
    ("media: {capacity: 50}", "media: {capacity: {ramp: {from: 10, to: 50, start: 20, end: 5}}}",
     "17: nodes.mill.produce.media.capacity.ramp.end: the ramp ends before it starts"),
    ("      n95: 50\n", "      n95:\n        - {from: 0, value: 50}\n        - {from: 20, value: 8}\n"
     "        - {from: 10, value: 6}\n",
     "40: nodes.hospital.demand.n95.2.from: steps must be in increasing order of day"),
    ("{from: reserve, to: depot,", "{from: depot, to: depot,",
     "42: lanes.3.to: a lane cannot lead from a node to itself"),
    ("inputs: {media: 0.02}", "inputs: {n95: 0.02}",
     "23: nodes.plant.produce.n95.inputs.n95: a commodity cannot be its own input"),
    ("inputs: {media: 0.02}", "inputs: {resin: 0.02}",
     "23: nodes.plant.produce.n95.inputs.resin: unknown commodity 'resin'"),
    ("    region: on\n    stock: {n95: 500}\n  reserve", "    region: on\n    stock: {n95: 500}\n"
     "    demand: {n95: 10}\n  reserve",
     "28: nodes.depot.demand: only sites have demand (this node is a warehouse)"),
    (POLICY, POLICY + "  - {id: gowns, commodities: [n95], from_country: US}\n",
     "45: policies.1.type: required field is missing"),
    ("from_country: US, start: 5}", "from_country: US, start: 5, quota_per_day: 100}",
     "44: policies.0.quota_per_day: a ban has no quota_per_day (use action: quota)"),
    ("from_country: US, start: 5}", "from_country: US, start: 5.5}",
     "44: policies.0.start: expected a whole number or a date (YYYY-MM-DD), got 5.5"),
    ("commodities: [n95], from_country: US", "commodities: [n95, gowns], from_country: US",
     "44: policies.0.commodities.1: unknown commodity 'gowns'"),
    (POLICY, POLICY + "  - {id: dpa, type: rated_order, supplier: plant, buyer: depot, commodity: n95, "
     "quantity: 500, due: 20, rating: DZ}\n",
     "45: policies.1.rating: unknown rating 'DZ' (the scenario's ratings, highest first: DX, DO)"),
    (POLICY, POLICY + "  - {id: dpa, type: rated_order, supplier: plant, buyer: depot, commodity: n95, "
     "quantity: 500, start: 10, due: 4}\n",
     "45: policies.1.due: a rated order must be due after it starts"),
    (POLICY, POLICY + "  - {id: lift, type: airlift, from: plant, to: hospital, commodity: n95, "
     "units_per_flight: 1000, flights: [3, 40]}\n",
     "45: policies.1.flights.1: day 40 is outside the horizon (2020-04-01 to 2020-04-30, days 0-29)"),
    (POLICY, POLICY + "  - {id: reuse, type: conservation, sites: [depot], below_days_of_supply: 3, "
     "multiplier: 0.5}\n",
     "45: policies.1.sites.0: depot is a warehouse, not a site"),
    (POLICY, POLICY + "  - {id: reuse, type: conservation, regions: [ontario], below_days_of_supply: 3, "
     "multiplier: 0}\n",
     "45: policies.1.multiplier: must be > 0, got 0"),
    (POLICY, POLICY + "  - {id: hit-back, type: retaliation, when: {policy: us-ban}, activate: [hit-back]}\n",
     "45: policies.1.activate.0: a retaliation cannot activate itself"),
    (VARIANT, "  no-ban: {disabled: [us-ban]}\n",
     "46: variants.no-ban.disabled: unknown key 'disabled' (did you mean 'disable'?)"),
    (VARIANT, VARIANT + "  media-ban: {enable: [media-ban]}\n",
     "47: variants.media-ban.enable.0: unknown policy 'media-ban'"),
    (VARIANT, VARIANT + "  faster:\n    set:\n      lanes.mill->plant.lead_time: 1\n"
     "      lanes.plant->depot.lead_time: 0\n",
     "50: variants.faster.set.lanes.plant->depot.lead_time: must be >= 1, got 0"),
    (VARIANT, VARIANT + "  half:\n    set:\n      lanes.0: {from: mill, lead_time: 1}\n",
     "49: variants.half.set.lanes.0: makes lanes.0.to invalid: required field is missing"),
    ("", EPIDEMIC.replace("    doubling_time: 4\n", ""),
     "48: epidemics.flu: needs doubling_time or date_first_hospitalized (one of them)"),
    ("", EPIDEMIC.replace("{rate: 0.025, days: 7}", "{rate: 2.5, days: 7}"),
     "51: epidemics.flu.hospitalized.rate: must be <= 1, got 2.5 (a fraction: write 2.5% as 0.025)"),
    ("", EPIDEMIC.replace("population: 1000000", "population: 1e6"),
     "49: epidemics.flu.population: expected a whole number, got 1000000.0"),
    ("", "uncertainty:\n  lanes.plant->depot.lead_time: {dist: uniform, low: 3, high: 1}\n",
     "48: uncertainty.lanes.plant->depot.lead_time.high: high (1) is below low (3)"),
    ("", "uncertainty:\n  nodes.mill.produce.media.capacity: {dist: normal, mean: 50, sdev: 5}\n",
     "48: uncertainty.nodes.mill.produce.media.capacity.sdev: unknown key 'sdev' (did you mean 'sd'?)"),
    ("", "uncertainty:\n  lanes.plant->depot.lead_time: {dist: gaussian, mean: 2, sd: 1}\n",
     "48: uncertainty.lanes.plant->depot.lead_time.dist: unknown dist 'gaussian'; expected one of "
     "'normal', 'lognormal', 'uniform', 'triangular', 'choice'"),
    ("", "uncertainty:\n  lanes.plant->depot: {dist: normal, mean: 2, sd: 1}\n",
     "48: uncertainty.lanes.plant->depot: lanes.plant->depot is not a number in this scenario"),
    ("", "uncertainty:\n  lanes.plant->depot: {dist: normal, mean: 1, sd: 0.1, scale: true}\n",
     "48: uncertainty.lanes.plant->depot: lanes.plant->depot is neither a number nor a series; "
     "`scale: true` multiplies a number or a whole series"),
    ("", "uncertainty:\n  lanes.plant->depot.lead_time: {dist: choice, values: [1, 2], weights: [1]}\n",
     "48: uncertainty.lanes.plant->depot.lead_time.weights: 1 weights for 2 values; give one "
     "weight per value"),
    ("", "uncertainty:\n  lanes.plant->depot.lead_time: {dist: choice, values: []}\n",
     "48: uncertainty.lanes.plant->depot.lead_time.values: must not be empty"),
]


@pytest.mark.parametrize(("old", "new", "expected"), ONE_DEFECT,
                         ids=[e.split(":")[1].strip() for _, _, e in ONE_DEFECT])
def test_one_defect_one_message(old: str, new: str, expected: str) -> None:
    assert problems(edit(old, new)) == [f"x.yaml:{expected}"]


def test_a_plant_may_make_its_own_input() -> None:
    """No stock of media and no lane bringing it, but the plant makes media itself."""
    text = edit("    stock: {n95: 100, media: 10}\n    produce:\n",
                "    stock: {n95: 100}\n    produce:\n      media: {capacity: 20}\n")
    text = edit("  - {from: mill, to: plant, lead_time: 1, commodities: [media]}\n", "", text)
    loads(text, file="x.yaml")


def test_several_problems_are_all_reported_in_line_order() -> None:
    text = edit("stock: {n95: 5000}", "stock: {n95: -5000}")
    text = edit("capacity: 1000, commodities", "capacity: lots, commodities", text)
    assert problems(text) == [
        "x.yaml:31: nodes.reserve.stock.n95: must be >= 0, got -5000",
        "x.yaml:40: lanes.1.capacity: expected a number, got 'lots'",
    ]


GROUPED = """
format: 1
name: grouped
start: 2020-04-01
days: 10
commodities: {n95: {unit: respirator}}
groups: {latam: [AR, BR, CL]}
regions:
  us: {country: US}
  la: {country: latam}
  la2: {country: latam}
nodes:
  plant: {kind: plant, region: us, produce: {n95: {capacity: 100}}}
  brazil: {kind: site, region: la, demand: {n95: 30}}
  chile: {kind: site, region: la2, demand: {n95: 20}}
lanes:
  - {from: plant, to: brazil, lead_time: 1}
  - {from: plant, to: chile, lead_time: 1}
policies:
  - {id: ban, type: export_control, commodities: [n95], from_country: US, to_countries: [latam]}
"""


def test_a_group_of_countries_is_one_country_a_policy_names() -> None:
    import borderflow

    s = loads(GROUPED)
    assert s.groups == {"latam": ["AR", "BR", "CL"]}
    kpis = borderflow.simulate(s).kpis
    assert float(kpis["served"].sum()) == 0  # the ban to latam stops both lanes
    open_ = borderflow.simulate(loads(GROUPED.replace("to_countries: [latam]",
                                                      "to_countries: [latam], enabled: false"))).kpis
    assert float(open_["unmet"].sum()) == 50  # only day 0's, before the first delivery
    with pytest.raises(ScenarioError) as e:
        loads(GROUPED.replace("  us: {country: US}", "  us: {country: US}\n  ar: {country: AR}"))
    assert "groups.latam.0: AR is the country of region ar" in str(e.value)
