"""`sensitivity`: how much each assumption moves the results a user cares about.

Every number the scenario file marks as an assumption (`model/assumptions.py`), or every number
the user lists, is set to its value x (1 - factor) and x (1 + factor), one at a time, all else as
written (one-at-a-time, the tornado's design). Each case is compiled (cheap); the cases whose
network differs from the base only in demand, starting stock or production capacity run
together in one batch of the batch engine, the others (lead times, lane capacities, policies,
epidemics, care) one by one. The outputs are KPIs of regions and commodities (`unmet_pct` by
default, in percentage points) and care sites' unstaffed patient-days; assumptions are ranked
by their largest effect on any output, each output's effects scaled so its largest is 1.
"""

from __future__ import annotations

import copy
import dataclasses
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import ValidationError

from ..engine import Network, Sampled, compile_network, run
from ..model import Scenario, ScenarioError, UsageError, apply_variant
from ..model.assumptions import Number, listed, marked
from ..model.checks import check
from ..model.loader import resolve
from ..model.paths import set_path
from ..model.yamlio import read_yaml
from ..results.kpis import kpi_batch
from ..results.schema import KPIS

Progress = Callable[[int, int], None]  # (steps done, steps in all): compiles, then runs
BATCHED = ("demand", "stock0", "rec_cap")  # what may differ between cases of one batch
KPI_CHOICES = [c.name for c in KPIS.columns if c.dtype in ("float", "int")]
TOP = 5  # assumptions the summary names per output


@dataclass(frozen=True)
class Output:
    """A region and commodity (its KPI `kpi`), or a care site (unstaffed patient-days)."""

    name: str  # "region:commodity" or "care:site"
    region: str = ""
    commodity: str = ""
    site: str = ""


@dataclass(frozen=True, eq=False)
class Sensitivity:
    """The base run's outputs, and each assumption's effect on them."""

    scenario: Scenario
    variant: str | None
    factor: float
    kpi: str
    outputs: tuple[str, ...]
    base: dict[str, float]  # output -> value in the base run
    # assumption, line, value, low_value, high_value, output, low, high (the output at each
    # end), delta_low, delta_high, swing (|high - low|)
    table: pd.DataFrame
    # assumption, line, value, comment, score (largest scaled effect), rank, output (where)
    ranking: pd.DataFrame
    skipped: tuple[tuple[str, str], ...]  # (assumption, why it was not perturbed)
    batched: int  # cases run in the one batch
    alone: int  # cases run one by one

    def summary(self) -> dict[str, Any]:
        """The `sensitivity --json` document."""
        return {
            "scenario": self.scenario.name, "variant": self.variant or "",
            "factor": self.factor, "kpi": self.kpi, "outputs": list(self.outputs),
            "base": self.base,
            "ranking": json.loads(self.ranking.to_json(orient="records")),
            "effects": json.loads(self.table.to_json(orient="records")),
            "skipped": [{"assumption": a, "why": w} for a, w in self.skipped],
            "runs": {"batched": self.batched, "alone": self.alone},
        }

    def top(self, output: str, n: int = TOP) -> pd.DataFrame:
        """The n assumptions that move `output` most, largest swing first."""
        rows = self.table[self.table["output"] == output]
        return rows.sort_values("swing", ascending=False, kind="stable").head(n)


def parse_outputs(s: Scenario, text: str | None) -> list[Output]:
    """`region:commodity,...` and `care:site,...`; default: every region and commodity with
    demand in the scenario, and every care site."""
    if not text:
        pairs = sorted({(n.region, c) for n in s.nodes.values() if n.kind == "site"
                        for c in (n.demand or {})}, key=lambda p: (list(s.regions).index(p[0]),
                                                                   list(s.commodities).index(p[1])))
        return [Output(f"{r}:{c}", r, c) for r, c in pairs] + \
            [Output(f"care:{site}", site=site) for site in s.care]
    out = []
    for part in (p.strip() for p in text.split(",") if p.strip()):
        head, _, tail = part.partition(":")
        if head == "care":
            if tail not in s.care:
                raise UsageError("--outputs", f"{part}: {tail!r} is not a care site (care sites: "
                                 f"{', '.join(s.care) or 'none'})")
            out.append(Output(part, site=tail))
        elif head in s.regions and tail in s.commodities:
            out.append(Output(part, head, tail))
        else:
            raise UsageError("--outputs", f"{part}: expected region:commodity (regions: "
                             f"{', '.join(s.regions)}; commodities: {', '.join(s.commodities)}) "
                             "or care:SITE")
    return out


def _same(a: Any, b: Any) -> bool:
    """Deep equality of compiled networks' parts (arrays, dataclasses, tuples, dicts)."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.shape == b.shape \
            and a.dtype == b.dtype and bool(np.array_equal(a, b, equal_nan=a.dtype.kind == "f"))
    if dataclasses.is_dataclass(a) and not isinstance(a, type):
        return type(a) is type(b) and all(_same(getattr(a, f.name), getattr(b, f.name))
                                          for f in dataclasses.fields(a) if f.compare)
    if isinstance(a, tuple | list):
        return isinstance(b, tuple | list) and len(a) == len(b) and \
            all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return bool(a == b)


def batchable_with(base: Network, other: Network) -> bool:
    """Whether `other` differs from `base` only in what a batch may vary per sample."""
    return all(f.name in BATCHED or _same(getattr(base, f.name), getattr(other, f.name))
               for f in dataclasses.fields(base))


def _perturbed(data: Any, n: Number, value: float, path: Path) -> tuple[float, Scenario] | str:
    """The scenario with `n` set to `value` (rounded where the field takes whole numbers), or
    why it cannot be."""
    for attempt in (value, round(value)):
        if attempt == n.value:
            return f"{n.value:g} takes whole numbers: x {value / n.value:g} rounds back"
        changed = copy.deepcopy(data)
        set_path(changed, ".".join(str(k) for k in n.path), attempt)
        try:
            s = Scenario.model_validate(changed)
        except ValidationError as e:
            if attempt == value and any(err["type"] in ("int_type", "int_from_float")
                                         for err in e.errors()):
                continue  # an integer field: try the nearest whole number
            return f"{attempt:g} is not valid there: {e.errors()[0]['msg']}"
        s._base_dir, s._file = path.parent, str(path)
        return float(attempt), s
    raise AssertionError("unreachable")


def _outputs(net: Network, trace: Any, outputs: list[Output], kpi: str) -> np.ndarray:
    """[B, outputs] the outputs of every sample of a trace."""
    rows = kpi_batch(net, trace).set_index(["sample", "region", "commodity"])[kpi]
    B = trace.demand.shape[1]
    out = np.zeros((B, len(outputs)))
    care = {site: i for i, site in enumerate(net.care_sites)}
    for j, o in enumerate(outputs):
        if o.site:
            out[:, j] = trace.unstaffed[:, :, care[o.site]].sum(axis=0)
        else:
            for b in range(B):
                out[b, j] = float(rows.get((b, o.region, o.commodity), 0.0))
    return out


def sensitivity(scenario: str | Path, variant: str | None = None, outputs: str | None = None,
                factor: float = 0.2, kpi: str = "unmet_pct", assumptions: list[str] | None = None,
                progress: Progress | None = None) -> Sensitivity:
    """Perturb every assumption (or the numbers named in `assumptions`, dotted paths as a
    variant's `set` writes them) by +-`factor` and rank them by their effect on `outputs`."""
    if not 0 < factor < 1:
        raise UsageError("--factor", f"must be between 0 and 1 (a share: 0.2 is +-20%), got {factor}")
    if kpi not in KPI_CHOICES:
        raise UsageError("--kpi", f"{kpi!r} is none of {', '.join(KPI_CHOICES)}")
    path = resolve(scenario)
    text = path.read_text(encoding="utf-8")
    located = read_yaml(text, str(path))
    if assumptions:
        chosen = listed(located, text, assumptions)
    else:
        _, chosen = marked(path)
        if not chosen:
            raise ScenarioError([located.problem((), "no number is marked as an assumption (a "
                                                 "comment with `assumption` on its line); name "
                                                 "some with --assumptions")])
    base_s = Scenario.model_validate(located.data)
    base_s._base_dir, base_s._file = path.parent, str(path)
    problems = check(base_s)
    if problems:
        raise ScenarioError([located.problem(p, m) for p, m in problems])
    sv = apply_variant(base_s, variant)
    want = parse_outputs(sv, outputs)
    net0 = compile_network(sv)

    cases: list[tuple[Number, str, float | int]] = []
    skipped: list[tuple[str, str]] = []
    batch_nets: list[tuple[int, Network]] = []
    alone: list[tuple[int, Network]] = []
    for i, n in enumerate(chosen):
        if n.value == 0:
            skipped.append((n.name, "0 stays 0 when scaled"))
            continue
        for side, scale in (("low", 1 - factor), ("high", 1 + factor)):
            built = _perturbed(located.data, n, n.value * scale, path)
            if isinstance(built, str):
                skipped.append((f"{n.name} ({side})", built))
                continue
            value, s = built
            try:
                found = check(s)
                if found:
                    raise ScenarioError([located.problem(p, m) for p, m in found])
                net = compile_network(apply_variant(s, variant))
            except ScenarioError as e:
                skipped.append((f"{n.name} ({side})", f"{value:g} is not valid there: "
                                f"{str(e).splitlines()[0]}"))
                continue
            k = len(cases)
            cases.append((n, side, value))
            (batch_nets if batchable_with(net0, net) else alone).append((k, net))
        if progress:
            progress(i + 1, len(chosen) + 1 + len(alone))

    results = np.zeros((len(cases), len(want)))
    if batch_nets:
        B = len(batch_nets) + 1  # sample 0 is the base
        sampled = Sampled(
            demand=np.stack([net0.demand] + [n.demand for _, n in batch_nets]),
            rec_cap=np.stack([net0.rec_cap] + [n.rec_cap for _, n in batch_nets]),
            stock0=np.stack([net0.stock0] + [n.stock0 for _, n in batch_nets]))
        trace = run(net0, "priority", batch=B, sampled=sampled, what="sensitivity batch")
        if progress:
            progress(len(chosen) + 1, len(chosen) + 1 + len(alone))
        got = _outputs(net0, trace, want, kpi)
        base = got[0]
        for i, (k, _) in enumerate(batch_nets):
            results[k] = got[i + 1]
    else:
        base = _outputs(net0, run(net0, "priority"), want, kpi)[0]
    for done, (k, net) in enumerate(alone):
        results[k] = _outputs(net, run(net, "priority", what="sensitivity case"), want, kpi)[0]
        if progress:
            progress(len(chosen) + 2 + done, len(chosen) + 1 + len(alone))
    return _assemble(sv, variant, factor, kpi, want, base, cases, results, skipped,
                     len(batch_nets), len(alone))


def _assemble(s: Scenario, variant: str | None, factor: float, kpi: str, want: list[Output],
              base: np.ndarray, cases: list[tuple[Number, str, float | int]],
              results: np.ndarray, skipped: list[tuple[str, str]], batched: int,
              alone: int) -> Sensitivity:
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for (n, side, value), got in zip(cases, results, strict=True):
        for j, o in enumerate(want):
            row = rows.setdefault((n.name, o.name), {
                "assumption": n.name, "line": n.line, "value": float(n.value),
                "low_value": np.nan, "high_value": np.nan, "output": o.name,
                "low": float(base[j]), "high": float(base[j])})
            row[f"{side}_value"] = float(value)
            row[side] = float(got[j])
    table = pd.DataFrame(list(rows.values()), columns=[
        "assumption", "line", "value", "low_value", "high_value", "output", "low", "high"])
    base_of = {o.name: float(base[j]) for j, o in enumerate(want)}
    table["delta_low"] = table["low"] - table["output"].map(base_of)
    table["delta_high"] = table["high"] - table["output"].map(base_of)
    table["swing"] = (table["high"] - table["low"]).abs()
    effect = table[["delta_low", "delta_high"]].abs().max(axis=1)
    largest = effect.groupby(table["output"]).transform("max")
    table["scaled"] = np.where(largest > 0, effect / largest.where(largest > 0, 1.0), 0.0)
    notes = {n.name: n.comment for n, _, _ in cases}
    if len(table):
        best = table.loc[table.groupby("assumption", sort=False)["scaled"].idxmax()]
        ranking = best[["assumption", "line", "value", "scaled", "output"]].rename(
            columns={"scaled": "score"}).sort_values(["score", "line"], ascending=[False, True],
                                                     kind="stable").reset_index(drop=True)
    else:
        ranking = pd.DataFrame(columns=["assumption", "line", "value", "score", "output"])
    ranking.insert(0, "rank", np.arange(1, len(ranking) + 1))
    ranking["comment"] = ranking["assumption"].map(notes)
    table = table.drop(columns="scaled")
    return Sensitivity(s, variant, factor, kpi, tuple(o.name for o in want), base_of, table,
                       ranking, tuple(skipped), batched, alone)

