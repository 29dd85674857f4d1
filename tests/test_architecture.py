"""The shape the code keeps so a change lands in one place: a policy type per module, one rule
for what may flow, the declared output schema, allocators by capability, one save and one
manifest, usage errors that name the flag, and docs/architecture.md pointing at real files."""

from __future__ import annotations

import dataclasses
import importlib
import json
import pkgutil
import re
import subprocess
import sys
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import pytest

from borderflow import sweep
from borderflow.engine import (
    ALLOCATORS,
    Sampled,
    Simulator,
    allocator,
    compile_network,
    lane_limits,
    run,
)
from borderflow.engine import optimal as lp
from borderflow.engine import rolling as rl
from borderflow.engine.limits import alone
from borderflow.model import UsageError, apply_variant, load, loads
from borderflow.model import policies as P
from borderflow.policy import Shipment, compile_policies, screen
from borderflow.results import compare, simulate
from borderflow.results.kpis import kpi_batch, kpi_table
from borderflow.results.schema import (
    COMPARE,
    COMPARE_CARE,
    DAILY,
    RESULT_TABLES,
    SUMMARY,
    SWEEP_KPIS,
    reference,
)
from borderflow.store import catalogue, manifest, read_sweep, save
from borderflow.store.sweeps import chunk_file

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "tests" / "data" / "policy-demo.yaml"


def bf(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "borderflow.cli", *args], capture_output=True,
                          text=True, timeout=300)


# ---- policy types -------------------------------------------------------------------------------

def test_every_policy_type_module_is_in_the_union_and_the_registry_comes_from_it() -> None:
    found = set()
    for info in pkgutil.iter_modules(P.__path__):
        module = importlib.import_module(f"{P.__name__}.{info.name}")
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, P.PolicyBase) and \
                    value is not P.PolicyBase and value.__module__ == module.__name__:
                found.add(value)
    assert found == set(P.TYPES)
    assert list(P.REGISTRY) == ["export_control", "rated_order", "airlift", "stockpile_release",
                                "conservation", "border_closure", "retaliation", "delivery"]
    for name, cls in P.REGISTRY.items():
        assert cls.model_fields["type"].annotation == Literal[name]  # type: ignore[valid-type]
        # a type says what it does to the arrays and to a shipment, even when it is nothing
        assert cls.compile is not P.PolicyBase.compile, name
        assert cls.screen is not P.PolicyBase.screen, name


class Embargo(P.PolicyBase):
    """A type this build does not know (not in the union)."""

    type: Literal["embargo"] = "embargo"

    def compile(self, fx: Any) -> None:
        return None

    def screen(self, q: Any) -> None:
        return None


def test_a_policy_of_a_type_borderflow_does_not_know_is_refused_loudly() -> None:
    s = load(DEMO)
    odd = s.model_copy(update={"policies": [*s.policies, Embargo(id="odd")]})
    with pytest.raises(TypeError, match="'odd' is of a type borderflow does not know"):
        screen(odd, Shipment("plant", "fema", "n95", 10, 4))
    with pytest.raises(TypeError, match="does not know"):
        compile_network(odd)


def test_a_new_type_without_its_hooks_cannot_pass_in_silence() -> None:
    class Silent(P.PolicyBase):
        type: Literal["silent"] = "silent"

    with pytest.raises(NotImplementedError, match="Silent has no screen"):
        Silent(id="x").screen(None)  # type: ignore[arg-type]
    with pytest.raises(NotImplementedError, match="Silent has no compile"):
        Silent(id="x").compile(None)  # type: ignore[arg-type]


def test_one_coverage_rule_for_checks_compilation_and_screening() -> None:
    """`ExportControl.covers` decides for a lane (checks), for arcs (compile) and for one
    shipment (screen): the blocked arcs of the demo's ban are the shipments screen blocks."""
    s = apply_variant(load(DEMO), None)
    net = compile_network(s)
    ban = next(p for p in s.policies if p.id == "antidiv")
    assert isinstance(ban, P.ExportControl)
    t = 5
    blocked = net.policies.blocker(t, net.arc_src.size)
    for a, name in enumerate(net.arc_names):
        if net.arc_lane[a] < 0:
            continue
        src, dst = net.nodes[net.arc_src[a]], net.nodes[net.arc_dst[a]]
        verdict = screen(s, Shipment(src, dst, net.commodities[net.arc_com[a]], 1.0, t))
        by_ban = net.policies.reasons[blocked[a]] if blocked[a] >= 0 else None
        assert (verdict.decided_by == "antidiv") == (by_ban == "policy:antidiv"), name


# ---- what may flow ------------------------------------------------------------------------------

def test_lane_limits_worked_by_hand_on_the_demo() -> None:
    s = load(DEMO)
    net = compile_network(s)
    lim = lane_limits(net)
    names = list(net.arc_names)
    lift = names.index("airlift:lift")
    # the airlift's arc carries its flights (300 on days 2 and 9), nothing on other days
    assert lim.arc[:, lift].tolist() == [300.0 if t in (2, 9) else 0.0 for t in range(net.days)]
    # the stockpile ships only while released (days 5-11), up to 25 a day (its quota group)
    sns = [a for a, n in enumerate(names) if n.startswith("sns->")]
    assert sns
    for a in sns:
        assert (lim.arc[:, a] > 0).tolist() == [5 <= t < 12 for t in range(net.days)]
    capped = alone(net, lim.arc, lim.quota)
    assert capped[6, sns[0]] == 25.0 and capped[4, sns[0]] == 0.0
    # a lane's capacity holds on every open day
    cap = np.isfinite(net.arc_cap) & (net.arc_lane >= 0)
    assert (lim.arc[:, cap] <= net.arc_cap[cap]).all()


def test_the_priority_step_the_lp_and_the_rolling_horizon_share_the_limits() -> None:
    net = compile_network(apply_variant(load(DEMO), "hit-back"))
    lim = lane_limits(net)
    model = lp.build(net)
    x = model.variables["shipments"]
    upper = np.zeros(lim.arc.shape)
    upper[x.index >= 0] = x.upper
    assert np.array_equal(upper, lim.arc)  # the LP's bounds are the limits, and only they
    demand, _ = lp.lp_demand(net)
    tpl = rl.template(net, demand, 7)
    state = rl.State(net.stock0.reshape(-1).astype(float), np.zeros((net.days + net.max_lead + 1,
                                                                       net.stock0.size)),
                     np.zeros(len(tpl.orders)), np.zeros(net.stock0.size))
    for t0 in (0, 4, net.days - 3):
        _, col_upper, _, _ = rl.window_bounds(net, tpl, demand, state, t0)
        v = tpl.lp.variables["shipments"]
        days = min(7, net.days - t0)
        grid = np.zeros((7, net.arc_src.size))
        grid[v.index >= 0] = col_upper[v.index[v.index >= 0]]
        assert np.array_equal(grid[:days], lim.arc[t0:t0 + days]), t0
        assert not grid[days:].any()  # nothing may flow beyond the horizon
    trace = Simulator(net).run()
    assert (trace.shipped[:, 0] <= lim.arc + 1e-9).all()


# ---- output schema and KPIs ---------------------------------------------------------------------

DTYPES = {"int": ("int64", "Int64"), "float": ("float64",), "bool": ("bool",),
          "category": ("category",), "str": ("object", "str", "string"), "date": ("object",)}


def _matches(frame: pd.DataFrame, table: Any) -> None:
    assert list(frame.columns) == table.names, table.name
    for c in table.columns:
        assert str(frame[c.name].dtype) in DTYPES[c.dtype], (table.name, c.name, frame[c.name].dtype)


def test_every_output_table_has_the_declared_columns_and_types(tmp_path: Path) -> None:
    result = simulate("n95-2020", variant="ban-and-retaliation")
    for name, table in RESULT_TABLES.items():
        _matches(getattr(result, name), table)
    c = compare("two-country")
    _matches(c.table, COMPARE)
    _matches(c.care, COMPARE_CARE)
    s = sweep("n95-2020", samples=3, chunk_size=2, daily=["on"])
    _matches(s.kpis, SWEEP_KPIS)
    assert s.daily is not None
    _matches(s.daily, DAILY)
    _matches(s.summary(), SUMMARY)


def test_the_outputs_reference_in_docs_is_up_to_date() -> None:
    assert (ROOT / "docs" / "outputs.md").read_text() == reference(), \
        "regenerate it: borderflow schema --outputs > docs/outputs.md"
    assert bf("schema", "--outputs").stdout == reference()


def test_a_single_run_kpi_table_is_its_sample_of_the_batch_table() -> None:
    s = load("two-country")
    net = compile_network(s)
    demand = np.repeat(net.demand[None], 3, axis=0) * np.array([0.5, 1.0, 1.7])[:, None, None, None]
    trace = Simulator(net, 3, Sampled(demand=demand)).run()
    batch = kpi_batch(net, trace)
    for b in range(3):
        one = batch[batch["sample"] == b].drop(columns="sample").reset_index(drop=True)
        pd.testing.assert_frame_equal(kpi_table(net, trace, b), one, check_exact=True)


def test_a_sweep_begun_before_a_kpi_was_added_resumes_and_reads(tmp_path: Path) -> None:
    """Such a folder's manifest and chunks lack the new column: it resumes without it, its
    summary and report read, and the catalogue shows it beside a newer sweep."""
    old = tmp_path / "old"
    sweep("n95-2020", samples=6, chunk_size=2, out=old)
    newest = "min_days_of_supply"  # as if this were the KPI added since
    m = json.loads((old / manifest.FILE).read_text())
    m["columns"] = [c for c in m["columns"] if c != newest]
    (old / manifest.FILE).write_text(json.dumps(m))
    files = sorted(old.glob("chunk-*.parquet"))
    for f in files[:2]:
        pd.read_parquet(f).drop(columns=newest).to_parquet(f, index=False)
    files[2].unlink()  # the chunk the sweep was killed before writing

    resumed = sweep("n95-2020", samples=6, chunk_size=2, out=old, resume=True)
    assert all(newest not in pd.read_parquet(f).columns for f in files)
    fresh = sweep("n95-2020", samples=6, chunk_size=2)
    pd.testing.assert_frame_equal(resumed.summary(), fresh.summary(), check_exact=False,
                                  rtol=1e-12)
    result, _ = read_sweep(old)
    assert len(result.kpis) == len(fresh.kpis) and newest not in result.kpis.columns
    assert bf("report", str(old)).returncode == 0
    new = tmp_path / "new"
    sweep("n95-2020", samples=2, chunk_size=2, out=new)
    for folder in (old, new):
        catalogue.register(folder)
    rows = catalogue.query(f"select entry, count({newest}) as n, count(*) as rows from sweep_kpis "
                           "group by entry order by entry")
    assert rows["n"].tolist() == [0, rows["rows"].iloc[1]]


# ---- allocators ---------------------------------------------------------------------------------

def test_allocators_declare_capabilities_and_rolling_is_its_own() -> None:
    assert ALLOCATORS["priority"].capabilities == {"batch"}
    assert ALLOCATORS["optimal"].capabilities == {"window", "duals"}
    rolling = allocator("optimal", (10, 3))
    assert rolling.name == "rolling" and not rolling.capabilities
    with pytest.raises(UsageError, match="--window: needs --allocator optimal"):
        allocator("priority", (10, 3))
    with pytest.raises(UsageError, match="--allocator: unknown allocator 'clairvoyant'"):
        allocator("clairvoyant")


def test_an_allocator_without_batch_runs_a_batch_sample_by_sample() -> None:
    net = compile_network(load("two-country"))
    factors = np.array([0.8, 1.3])
    sampled = Sampled(demand=np.repeat(net.demand[None], 2, axis=0) * factors[:, None, None, None])
    batch = run(net, "optimal", batch=2, sampled=sampled)
    for b, f in enumerate(factors):
        alone_ = run(dataclasses.replace(net, demand=net.demand * f), "optimal")
        np.testing.assert_allclose(batch.served[:, b], alone_.served[:, 0], rtol=1e-9, atol=1e-6)


def test_a_sweep_may_use_the_optimal_allocator() -> None:
    s = loads((ROOT / "src/borderflow/scenarios/two-country.yaml").read_text() +
              "\nuncertainty:\n  nodes.mask-plant.stock.n95: {dist: uniform, low: 2000, high: 2000}\n")
    swept = sweep(s, samples=2, allocator="optimal")
    one = simulate(s, allocator="optimal").kpis
    for k in range(2):
        rows = swept.kpis[swept.kpis["sample"] == k].drop(columns=["variant", "sample"])
        np.testing.assert_allclose(rows["unmet"].to_numpy(), one["unmet"].to_numpy(), atol=1e-6)


# ---- storage ------------------------------------------------------------------------------------

def test_every_saved_kind_has_one_manifest_format_and_save_saves_each(tmp_path: Path) -> None:
    run_folder = save(simulate("two-country"), tmp_path / "run")
    compare_folder = save(compare("two-country"), tmp_path / "compare")
    held = sweep("two-country", samples=3, chunk_size=2, daily=["on"])
    sweep_folder = save(held, tmp_path / "sweep")
    keys = None
    for folder, kind in ((run_folder, "run"), (compare_folder, "compare"), (sweep_folder, "sweep")):
        m = manifest.read(folder)
        assert m["kind"] == kind and m["borderflow"] == manifest.FORMAT
        common = set(m) - {"columns"}
        assert keys is None or common == keys
        keys = common
    back, _ = read_sweep(sweep_folder)
    pd.testing.assert_frame_equal(back.kpis, held.kpis)
    assert back.daily is not None and held.daily is not None
    pd.testing.assert_frame_equal(back.daily, held.daily)
    assert sorted(p.name for p in sweep_folder.iterdir()) == sorted(
        [manifest.FILE, *(chunk_file(c) for c in _chunks(sweep_folder)),
         *(chunk_file(c).replace("chunk-", "daily-") for c in _chunks(sweep_folder))])
    assert catalogue.runs()["kind"].tolist() == ["sweep", "compare", "run"]


def _chunks(folder: Path) -> list[Any]:
    from borderflow.store.sweeps import _chunks_of

    return list(_chunks_of(manifest.read(folder)))


def test_computing_writes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    simulate("two-country")
    compare("two-country", avoidable=True)
    sweep("two-country", samples=2)
    root = catalogue.results_root()
    assert list(tmp_path.iterdir()) == []
    assert not root.exists() or list(root.iterdir()) == []


# ---- usage errors -------------------------------------------------------------------------------

@pytest.mark.parametrize(("args", "message"), [
    (("runs", "--kind", "bogus"),
     "--kind: 'bogus' is none of run, compare, sweep, sensitivity, stress, attribution"),
    (("run", "two-country", "--allocator", "bogus", "--no-save"),
     "--allocator: unknown allocator 'bogus' (available: priority, optimal)"),
    (("run", "two-country", "--days", "0", "--no-save"),
     "--days: must be between 1 and the scenario's horizon (60), got 0"),
    (("run", "two-country", "--variant", "bogus", "--no-save"),
     "--variant: unknown variant 'bogus'; two-country has: as-written, bigger-plant, narrow-border"),
    (("query", "select 1", "--format", "bogus"), "--format: 'bogus' is none of table, csv, json"),
    (("sweep", "two-country", "--samples", "0", "--no-save"), "--samples: must be at least 1, got 0"),
    (("explain", "two-country", "--lane", "a->b"), "--lane: no lane 'a->b' in two-country"),
    (("screen", "two-country", "--from", "nowhere"), "--from: unknown node 'nowhere'"),
])
def test_a_bad_flag_is_a_usage_error_naming_the_flag(args: tuple[str, ...], message: str) -> None:
    proc = bf(*args)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.strip().splitlines()[-1].startswith(message), proc.stderr
    assert ".yaml:" not in proc.stderr and ":1:" not in proc.stderr
    assert "Traceback" not in proc.stderr


# ---- the layers ---------------------------------------------------------------------------------

def test_the_paths_in_docs_architecture_exist() -> None:
    text = (ROOT / "docs" / "architecture.md").read_text()
    paths = set(re.findall(r"`((?:src|tests|docs|benchmarks)/[^`\s]+)`", text))
    assert len(paths) > 30
    missing = sorted(p for p in paths if "<" not in p and not (ROOT / p).exists())
    assert not missing, missing


def test_the_policy_layer_compiles_what_the_engine_arcs_name() -> None:
    """The arcs as the engine has them are what the policy layer compiles over: recompiling a
    variant's policies on a network's arcs gives the arrays a fresh compile gives."""
    s = load(DEMO)
    base = compile_network(s)
    v = apply_variant(s, "hit-back")
    again = compile_policies(v, base.arcs, base.nodes, base.commodities)
    fresh = compile_network(v).policies
    assert np.array_equal(again.blocked_by, fresh.blocked_by)
    assert np.array_equal(again.group_quota, fresh.group_quota)
    assert [c.id for c in again.claims] == [c.id for c in fresh.claims]


def test_no_package_hides_a_module_of_its_own_behind_a_name_it_exports() -> None:
    """`borderflow.results.compare` is a module or a function, never both: each package's
    names that are also its modules' names are those modules."""
    import borderflow as root

    hidden = []
    for info in pkgutil.walk_packages(root.__path__, root.__name__ + "."):
        if info.name.endswith("__main__"):
            continue
        module = importlib.import_module(info.name)
        parent, _, name = info.name.rpartition(".")
        value = getattr(importlib.import_module(parent), name, module)
        if value is not module:
            hidden.append(info.name)
    assert hidden == []
