"""Scenarios as tables: a folder of CSV files, an Excel workbook, pandas DataFrames. Every form
reads back to an equal scenario, the built-ins run identically from each, and bad tables get
errors naming the file (and sheet), row and field."""

from __future__ import annotations

import csv
import datetime as dt
import io
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import borderflow
from borderflow.model import Scenario, ScenarioError, UsageError, builtin_names, load
from borderflow.model.export import export, scenario_data
from borderflow.model.tablefiles import csv_sheet
from borderflow.model.tables import from_tables, parse, show, text_cells, to_tables
from borderflow.model.yamlio import read_yaml
from strategies import scenarios_with_policies

ROOT = Path(__file__).resolve().parents[1]


def _same(a: Scenario, b: Scenario) -> bool:
    """Equal scenarios: every field equal, defaults included (`inputs: {}` written or not)."""
    return a.model_dump() == b.model_dump()


def _kpis(scenario: Scenario | str, variant: str | None = None) -> pd.DataFrame:
    return borderflow.simulate(scenario, variant=variant).kpis


@pytest.fixture(scope="module")
def flagship_forms(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("forms")
    s = load("n95-2020")
    return {form: export(s, out / name) for form, name in
            (("folder", "n95"), ("workbook", "n95.xlsx"), ("yaml", "n95.yaml"))}


@pytest.mark.parametrize("name", builtin_names())
@pytest.mark.parametrize("form", ["n", "n.xlsx", "n.yaml"])
def test_every_builtin_reads_back_equal_from_every_form(name: str, form: str,
                                                        tmp_path: Path) -> None:
    s = load(name)
    back = load(export(s, tmp_path / form))
    assert _same(back, s)
    assert scenario_data(back) == scenario_data(s)  # the very fields written, too
    again = load(export(back, tmp_path / f"again-{form}"))
    assert scenario_data(again) == scenario_data(s)


@pytest.mark.parametrize("form", ["folder", "workbook", "yaml"])
def test_the_flagship_runs_identically_from_every_form(flagship_forms: dict[str, Path],
                                                       form: str) -> None:
    for variant in ("history", "ban-and-retaliation"):
        pd.testing.assert_frame_equal(_kpis(load(flagship_forms[form]), variant),
                                      _kpis("n95-2020", variant), check_exact=True)


def _csv_text(rows: list[list[str]]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    return buf.getvalue()


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios_with_policies())
def test_yaml_to_csv_tables_to_yaml_gives_an_equal_scenario(scenario: Scenario) -> None:
    data = scenario_data(scenario)
    sheets = {name: csv_sheet(_csv_text(list(text_cells(rows, name))), name, f"{name}.csv")
              for name, rows in to_tables(data).items()}
    back = Scenario.model_validate(from_tables(sheets, "t").data)
    assert _same(back, scenario)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios_with_policies())
def test_a_workbook_round_trip_gives_an_equal_scenario(scenario: Scenario) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        assert _same(load(export(scenario, Path(tmp) / "s.xlsx")), scenario)


def test_frames_round_trip_and_build_a_scenario_from_scratch() -> None:
    s = load("n95-2020")
    frames = s.to_frames()
    assert {"nodes", "lanes", "stock", "demand", "policies", "policy_exemptions"} <= set(frames)
    fields = frames.pop("scenario")
    assert _same(Scenario.from_frames(fields, **frames), s)

    built = Scenario.from_frames(
        {"name": "tiny", "start": dt.date(2020, 4, 1), "days": 10},
        commodities=pd.DataFrame({"id": ["n95"], "unit": ["respirator"]}),
        regions=pd.DataFrame({"id": ["on", "mi"], "country": ["CA", "US"]}),
        nodes=pd.DataFrame({"id": ["plant", "hospital"], "kind": ["plant", "site"],
                            "region": ["mi", "on"]}),
        production=pd.DataFrame({"node": ["plant"], "commodity": ["n95"], "capacity": [100]}),
        stock=pd.DataFrame({"node": ["hospital"], "commodity": ["n95"], "units": [50.0]}),
        demand=pd.DataFrame({"node": ["hospital"] * 2, "commodity": ["n95"] * 2,
                             "day": [0, 5], "units": [40, 80]}),
        lanes=pd.DataFrame({"from": ["plant"], "to": ["hospital"], "lead_time": [2],
                            "capacity": [None]}),
    )
    steps = built.nodes["hospital"].demand["n95"]
    assert isinstance(steps, list)
    assert [(step.from_, step.value) for step in steps] == [(0, 40), (5, 80)]
    assert built.lanes[0].capacity is None and built.lanes[0].lead_time == 2
    kpis = _kpis(built)
    assert float(kpis["demand"].sum()) == 40 * 5 + 80 * 5


def test_frames_name_the_table_row_and_field_of_a_problem() -> None:
    frames = load("n95-2020").to_frames()
    fields = frames.pop("scenario")
    nodes = frames["nodes"].copy()
    nodes.loc[3, "region"] = "on "
    with pytest.raises(ScenarioError) as e:
        Scenario.from_frames(fields, **{**frames, "nodes": nodes})
    assert str(e.value.problems[0]) == f"nodes:3: nodes.{nodes.loc[3, 'id']}.region: " \
        "unknown region 'on ' (did you mean 'on'?)"


def _bf(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "borderflow.cli", *args], capture_output=True,
                          text=True, timeout=300, cwd=ROOT)


def _edit(path: Path, line: int, old: str, new: str) -> None:
    lines = path.read_text().splitlines(keepends=True)
    assert old in lines[line - 1], lines[line - 1]
    lines[line - 1] = lines[line - 1].replace(old, new, 1)
    path.write_text("".join(lines))


def test_a_bad_cell_in_a_csv_table_names_file_row_and_field_exit_2(tmp_path: Path) -> None:
    folder = export(load("n95-2020"), tmp_path / "n95")
    nodes = folder / "nodes.csv"
    row = next(i for i, text in enumerate(nodes.read_text().splitlines(), start=1)
               if text.startswith("on-distributor,"))
    _edit(nodes, row, ",on,", ",on ,")
    _edit(folder / "lanes.csv", 2, ",1,", ",one,")
    proc = _bf("validate", str(folder))
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert f"{folder}/lanes.csv:2: lanes.0.lead_time: expected a whole number, got 'one'" in lines[0]
    assert lines[1] == f"{folder}/nodes.csv:{row}: nodes.on-distributor.region: unknown " \
        "region 'on ' (did you mean 'on'?)"


def test_a_row_naming_no_node_or_policy_is_refused_with_a_suggestion(tmp_path: Path) -> None:
    folder = export(load("n95-2020"), tmp_path / "n95")
    (folder / "stock.csv").write_text("node,commodity,units\nfemma,n95,5\n")
    _edit(folder / "policy_exemptions.csv", 2, "us-", "us-x-")
    with pytest.raises(ScenarioError) as e:
        load(folder)
    shown = [str(p) for p in e.value.problems]
    assert f"{folder}/stock.csv:2: node: no node 'femma' in the nodes table (did you mean " \
        "'fema'?)" in shown
    assert any(s.startswith(f"{folder}/policy_exemptions.csv:2: policy: no policy 'us-x-")
               for s in shown), shown


def test_a_workbook_problem_names_the_sheet(tmp_path: Path) -> None:
    import openpyxl

    path = export(load("two-country"), tmp_path / "two.xlsx")
    book = openpyxl.load_workbook(path)
    ws = book["lanes"]
    header = [c.value for c in ws[1]]
    ws.cell(row=3, column=header.index("lead_time") + 1, value=0)
    book.save(path)
    with pytest.raises(ScenarioError) as e:
        load(path)
    assert str(e.value.problems[0]).startswith(f"{path}[lanes]:3: lanes.1.lead_time: ")


def test_table_files_themselves_are_checked(tmp_path: Path) -> None:
    folder = export(load("two-country"), tmp_path / "two")
    (folder / "regions.csv").write_text("id,country,id\nmi,US,x\n")
    (folder / "nodez.csv").write_text("id\n")  # not a table: a series' CSV may sit here too
    with pytest.raises(ScenarioError) as e:
        load(folder)
    assert [str(p) for p in e.value.problems] == [
        f"{folder}/regions.csv:1: (top): column 'id' appears twice in the header"]
    (folder / "regions.csv").write_text("id,country\nmi,US,extra\n")
    with pytest.raises(ScenarioError, match=r"regions.csv:2: \(top\): 3 cells, but the header"):
        load(folder)
    (folder / "regions.csv").write_bytes("id,country\nmi,\xe9\n".encode("latin-1"))
    with pytest.raises(ScenarioError, match="not UTF-8 text"):
        load(folder)
    (folder / "scenario.csv").unlink()
    (folder / "regions.csv").write_text("id,country\nmi,US\non,CA\n")
    with pytest.raises(ScenarioError, match="no scenario table"):
        load(folder)


def test_demand_in_long_form_by_date(tmp_path: Path) -> None:
    folder = export(load("two-country"), tmp_path / "two")
    s = load(folder)
    site = next(n for n, node in s.nodes.items() if node.demand)
    com = next(iter(s.nodes[site].demand))
    with (folder / "demand.csv").open(newline="") as f:
        kept = [[r["node"], r["commodity"], "", r["units"]] for r in csv.DictReader(f)
                if (r["node"], r["commodity"]) != (site, com)]
    rows = [["node", "commodity", "date", "units"], *kept,
            [site, com, s.start.isoformat(), "10"],
            [site, com, (s.start + dt.timedelta(days=3)).isoformat(), "25.5"]]
    (folder / "demand.csv").write_text(_csv_text(rows))
    steps = load(folder).nodes[site].demand[com]
    assert [(x.from_, x.value) for x in steps] == [(s.start, 10), (s.start + dt.timedelta(3), 25.5)]
    rows.append([site, com, "", "7"])
    (folder / "demand.csv").write_text(_csv_text(rows))
    with pytest.raises(ScenarioError, match=rf"demand.csv:{len(rows)}: nodes\..*: demand of "
                       ".* is given again"):
        load(folder)


def test_export_refuses_a_folder_that_holds_files_and_leaves_nothing_half_written(
        tmp_path: Path) -> None:
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "notes.txt").write_text("mine")
    proc = _bf("export", "two-country", "--to", str(tmp_path / "full"))
    assert proc.returncode == 2 and "exists and is not an empty folder" in proc.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["full"]
    proc = _bf("export", "two-country", "--to", str(tmp_path / "two"))
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["full", "two"]  # no temporary left


def test_a_csv_series_is_copied_with_the_tables(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    text = (ROOT / "src/borderflow/scenarios/two-country.yaml").read_text()
    s = load("two-country")
    site = next(n for n, node in s.nodes.items() if node.demand)
    com = next(iter(s.nodes[site].demand))
    (src / "use.csv").write_text("units\n" + "5\n" * s.days)
    path = src / "s.yaml"
    path.write_text(text)
    base = load(path)
    data = scenario_data(base)
    data["nodes"][site]["demand"][com] = {"csv": "use.csv", "column": "units"}
    scenario = Scenario.model_validate(data)
    scenario._base_dir = src
    out = export(scenario, tmp_path / "tables")
    assert (out / "use.csv").read_text() == (src / "use.csv").read_text()
    pd.testing.assert_frame_equal(_kpis(load(out)), _kpis(scenario), check_exact=True)
    # a series file named like a table would be read as that table: refused, nothing written
    (src / "demand.csv").write_text((src / "use.csv").read_text())
    data["nodes"][site]["demand"][com] = {"csv": "demand.csv", "column": "units"}
    clash = Scenario.model_validate(data)
    clash._base_dir = src
    with pytest.raises(UsageError, match=r"reads a series from demand\.csv, the name of a table"):
        export(clash, tmp_path / "clash")
    assert not (tmp_path / "clash").exists()


@pytest.mark.parametrize("value", [0, 3, -2, 1.5, 1e-7, 2.5e12, True, False, "on", "yes", "12",
                                   "2020-04-01", "a, b", "x: y", "", " pad", "[not a list]",
                                   dt.date(2020, 4, 1), [1, "a b", {"k": "v: w"}],
                                   {"ramp": {"from": 0, "to": 5.5, "start": 3, "end": 9}},
                                   {"3m-x": [dt.date(2020, 1, 2)]}])
def test_a_cell_reads_back_as_the_value_it_shows(value: Any) -> None:
    text = show(value)
    assert (parse(text) if text else "") == value


_WORDS = st.sampled_from(["n95", "on", "yes", "null", "a b", "x: y", "3m-plant", "a,b", "[x]",
                          "#", "é", "2020-04-01", "12", "", "true"])
_SCALARS = st.one_of(st.integers(-10**12, 10**12), st.floats(allow_nan=False,
                                                             allow_infinity=False),
                     st.booleans(), st.dates(), _WORDS)
_VALUES = st.recursive(_SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(_WORDS, inner, max_size=4)), max_leaves=12)


@settings(max_examples=400, deadline=None)
@given(_VALUES)
@example("#").via("a cell YAML reads as a comment, found by Hypothesis")
@example("a #b").via("a comment after a value")
def test_any_value_reads_back_from_its_cell_as_yaml_would_read_it(value: Any) -> None:
    text = show(value)
    if text:
        assert parse(text) == value
        assert parse(text) == read_yaml(text, "cell").data  # the fast paths are YAML's reading
