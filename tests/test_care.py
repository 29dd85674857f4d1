"""Care capacity: staff on duty and unstaffed patient-days, every number computed by hand."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import borderflow
from borderflow.model import loads
from borderflow.results import Result

BASE = """
format: 1
name: care
start: 2020-04-01
days: 5
commodities: {n95: {unit: respirator}}
regions:
  mi: {country: US}
  on: {country: CA}
nodes:
  detroit: {kind: site, region: mi, stock: {n95: 100}, demand: {n95: 1}}
  windsor: {kind: site, region: on, stock: {n95: 100}, demand: {n95: 1}}
care:
  detroit:
    patients: [{from: 0, value: 100}, {from: 3, value: 60}]
    local_staff: 20
    patients_per_staff: 4
"""


def run(extra: str, variant: str | None = None) -> Result:
    return borderflow.simulate(loads(BASE + textwrap.dedent(extra)), variant=variant)


def test_commuters_staff_a_site_until_the_border_closes() -> None:
    """Local staff 20 x 4 patients each = 80; with 10 Windsor nurses, 30 x 4 = 120.
    Patients 100 on days 0-2, 60 on days 3-4. The closure (CA -> US) starts on day 2:
    day 0: 120 >= 100: 0 unstaffed; day 1: 0; day 2: 100 - 80 = 20; days 3-4: 60 <= 80: 0.
    So 20 unstaffed patient-days, all on day 2."""
    r = run("""
    workforce: [{id: nurses, home_region: on, site: detroit, staff: 10}]
    policies:
      - {id: closure, type: border_closure, from_country: CA, to_country: US, start: 2}
    """)
    assert r.care["staff"].tolist() == [30.0, 30.0, 20.0, 20.0, 20.0]
    assert r.care["capacity"].tolist() == [120.0, 120.0, 80.0, 80.0, 80.0]
    assert r.care["unstaffed"].tolist() == [0.0, 0.0, 20.0, 0.0, 0.0]
    assert r.summary()["care"] == [{"site": "detroit", "region": "mi",
                                    "unstaffed_patient_days": 20.0}]


def test_partial_staffing_and_a_closure_the_other_way() -> None:
    """3 commuters: 23 x 4 = 92 < 100: 8 unstaffed on days 0-2 (24 in all); 60 after: 0.
    A closure from the US to Canada does not keep Canadian commuters home."""
    r = run("""
    workforce: [{id: nurses, home_region: on, site: detroit, staff: 3}]
    policies:
      - {id: closure, type: border_closure, from_country: US, to_country: CA}
    """)
    assert r.care["unstaffed"].tolist() == [8.0, 8.0, 8.0, 0.0, 0.0]
    assert r.care["unstaffed"].sum() == 24.0


def test_domestic_commuters_are_never_kept_home() -> None:
    """Commuters living in the site's own country cross no border: staff 20 + 10 all along."""
    r = run("""
    workforce: [{id: locals, home_region: mi, site: detroit, staff: 10}]
    policies:
      - {id: closure, type: border_closure, from_country: CA, to_country: US}
    """)
    assert r.care["staff"].tolist() == [30.0] * 5


def test_a_variant_closing_the_border_shows_in_compare() -> None:
    """history: no closure (0); closed: the closure all 5 days: 20 + 20 + 20 on days 0-2
    (100 - 80), 0 after: 60 unstaffed patient-days more than history."""
    s = loads(BASE + textwrap.dedent("""
    workforce: [{id: nurses, home_region: on, site: detroit, staff: 10}]
    policies:
      - {id: closure, type: border_closure, from_country: CA, to_country: US, enabled: false}
    variants:
      history: {}
      closed: {enable: [closure]}
    """))
    c = borderflow.compare(s)
    rows = c.care.set_index("variant")
    assert rows.loc["history", "unstaffed_patient_days"] == 0.0
    assert rows.loc["closed", "unstaffed_patient_days"] == 60.0
    assert rows.loc["closed", "delta_unstaffed_patient_days"] == 60.0
    assert rows.loc["closed", "effect"] == "hurt"


def test_flagship_compare_shows_michigans_cost_in_unstaffed_patient_days() -> None:
    """In n95-2020, Detroit's inpatients are 7,000 non-COVID plus 0.75 x Michigan's CHIME
    census (a burn list at 1 per patient-day: a sum of series). The census peaks at ~3,600 on
    6 April, so patients peak at ~9,700: under the (6,400 + 1,600) x 1.25 = 10,000 places with
    the Windsor nurses (none unstaffed in history) and over the 6,400 x 1.25 = 8,000 without
    them. ban-and-retaliation keeps the nurses home from 13 April (day 19), when CHIME's census
    has already fallen to ~1,975 (8,481 patients), so Detroit has max(0, patients - 8,000)
    unstaffed each day until the census falls under (8,000 - 7,000) / 0.75 = 1,333 in mid-May
    (day 54): 36 days, 8,516 unstaffed patient-days, computed here from the projection."""
    from borderflow.demand.series import epidemic, evaluate

    s = borderflow.load("n95-2020")
    care = s.care["detroit-hospitals"]
    patients = evaluate(care.patients, s)
    census = epidemic(s, "mi").series("hospitalized")[: s.days]
    assert np.allclose(patients, 7000 + 0.75 * census)
    windsor = sum(w.staff for w in s.workforce if w.site == "detroit-hospitals")  # [1,600]
    with_windsor = (care.local_staff + windsor) * care.patients_per_staff
    without = care.local_staff * care.patients_per_staff
    assert without < patients.max() <= with_windsor  # the Windsor nurses are the margin at the peak
    closed = s.day(dt.date(2020, 4, 13))  # the retaliation's measures start (test_flagship.py)
    expected = float(np.maximum(0.0, patients[closed:] - without).sum())
    assert 8000 < expected < 9000
    assert int((patients[closed:] > without).sum()) == 36

    proc = subprocess.run([sys.executable, "-m", "borderflow.cli", "compare", "n95-2020",
                           "--variants", "history,ban-and-retaliation", "--json"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    rows = {r["variant"]: r for r in json.loads(proc.stdout)["care"]}
    assert rows["history"]["unstaffed_patient_days"] == 0.0
    assert rows["ban-and-retaliation"]["unstaffed_patient_days"] == pytest.approx(expected, rel=1e-9)
    assert rows["ban-and-retaliation"]["region"] == "mi"


def test_the_care_chart_plots_patients_against_staff_capacity_in_patients() -> None:
    """One unit on the axis: patients, what the staff can care for (30 x 4 = 120, then 80)
    and the unstaffed; staff counts only in the hover."""
    from borderflow.report.figures import care

    r = run("""
    workforce: [{id: nurses, home_region: on, site: detroit, staff: 10}]
    policies:
      - {id: closure, type: border_closure, from_country: CA, to_country: US, start: 2}
    """)
    fig = care(r.care, dt.date(2020, 4, 1))
    lines = {t.name: list(t.y) for t in fig.data}
    assert lines == {"detroit patients": [100.0, 100.0, 100.0, 60.0, 60.0],
                     "detroit staff capacity": [120.0, 120.0, 80.0, 80.0, 80.0],
                     "detroit unstaffed patients": [0.0, 0.0, 20.0, 0.0, 0.0]}
    assert fig.layout.yaxis.title.text == "patients"
    assert list(fig.data[1].customdata) == [30.0, 30.0, 20.0, 20.0, 20.0]
