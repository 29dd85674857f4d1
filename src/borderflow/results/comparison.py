"""Compare variants: who is hurt by a policy, and by how much."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..engine import Network, compile_network, resolve, run
from ..model import Problem, Scenario, ScenarioError, apply_variant
from ..policy import compile_policies
from .avoidable import avoidable_records, avoidable_table
from .result import Result
from .schema import COMPARE
from .simulation import as_scenario, rolling_options

COLUMNS = COMPARE.names


@dataclass(frozen=True, eq=False)
class Comparison:
    """Every variant's result and one table comparing them against the first (the baseline)."""

    scenario: Scenario
    results: dict[str, Result]
    table: pd.DataFrame
    care: pd.DataFrame  # variant, site, region, unstaffed_patient_days, delta, effect
    # variant, region, commodity, demand, unmet_priority, unmet_optimal, avoidable, avoidable_pct
    avoidable: pd.DataFrame | None = None

    @property
    def baseline(self) -> str:
        return next(iter(self.results))

    def summary(self) -> dict[str, Any]:
        """The `compare --json` document."""
        return {
            "scenario": self.scenario.name,
            "baseline": self.baseline,
            "variants": list(self.results),
            "rows": json.loads(self.table.to_json(orient="records")),
            "care": json.loads(self.care.to_json(orient="records")),
            **({"cost": {name: r.costs for name, r in self.results.items()}}
               if any(r.network.has_costs for r in self.results.values()) else {}),
            **({} if self.avoidable is None else
               {"avoidable": avoidable_records(self.avoidable)}),
        }


def _key(data: Any) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


class _Compiler:
    """Compiles variants, sharing work between them: a variant that only switches policies on
    or off reuses the network arrays (series, arcs, levels) and recompiles only its policies;
    a variant identical to one already run reuses its result."""

    def __init__(self, rolling: tuple[int, int] | None = None) -> None:
        self.networks: dict[str, Network] = {}
        self.traces: dict[str, Any] = {}
        self.rolling = rolling  # the optimal runs' rolling horizon, if any

    def network(self, s: Scenario) -> Network:
        data = s.model_dump(mode="json", by_alias=True, exclude={"variants"})
        for p in data["policies"]:
            p.pop("enabled")
        key = _key(data)
        base = self.networks.get(key)
        if base is None:
            base = self.networks[key] = compile_network(s)
            return base
        # the arcs policies add do not depend on which policies are enabled
        added = [a.name for p in s.policies for a in p.arcs(s)]
        assert added == [n for n, k in zip(base.arc_names, base.arc_lane, strict=True) if k < 0]
        return resolve(replace(base, policies=compile_policies(s, base.arcs, base.nodes,
                                                               base.commodities)))

    def result(self, s: Scenario, variant: str, allocator: str) -> Result:
        key = _key([s.model_dump(mode="json", by_alias=True, exclude={"variants"}), allocator])
        net = self.network(s)
        roll = self.rolling if allocator == "optimal" else None
        if key not in self.traces:
            self.traces[key] = run(net, allocator, roll)
        return Result(scenario=s, variant=variant, allocator=allocator, network=net,
                      trace=self.traces[key], rolling=roll)


def compare(scenario: Scenario | str | Path, variants: list[str] | None = None,
            allocator: str = "priority", avoidable: bool = False, window: int | None = None,
            commit: int | None = None) -> Comparison:
    """Run every variant (or those named; the first is the baseline) and compare them.

    With `avoidable`, each variant also runs under both allocators and the comparison gains
    the shortage better allocation would have avoided (results/avoidable.py). `window` and
    `commit` run the optimal allocator over a rolling horizon, as in `simulate`."""
    base = as_scenario(scenario)
    names = list(base.variants) if variants is None else variants
    if not names:
        raise ScenarioError([Problem(base.file, 1, ("variants",),
                                     "this scenario has no variants to compare")])
    compiler = _Compiler(rolling_options("optimal" if avoidable else allocator, window, commit,
                                         base.days))
    scenarios = {name: apply_variant(base, name) for name in names}
    results = {name: compiler.result(s, name, allocator) for name, s in scenarios.items()}
    table = None
    if avoidable:
        frames = []
        for name, s in scenarios.items():
            part = avoidable_table(compiler.result(s, name, "priority"),
                                   compiler.result(s, name, "optimal"))
            part.insert(0, "variant", name)
            frames.append(part)
        table = pd.concat(frames, ignore_index=True)
    return Comparison(base, results, comparison_table(results), care_table(results), table)


def comparison_table(results: dict[str, Result]) -> pd.DataFrame:
    frames = []
    for name, result in results.items():
        k = result.kpis[["region", "commodity", "demand", "served", "unmet", "unmet_pct",
                         "normal_unmet", "normal_unmet_pct", "cost"]].copy()
        k.insert(0, "variant", name)
        frames.append(k)
    table = pd.concat(frames, ignore_index=True)
    first = table[table["variant"] == next(iter(results))].set_index(["region", "commodity"])
    keys = pd.MultiIndex.from_frame(table[["region", "commodity"]])
    table["delta_unmet"] = table["unmet"].to_numpy() - first["unmet"].reindex(keys).to_numpy()
    table["delta_unmet_pct"] = table["unmet_pct"].to_numpy() - \
        first["unmet_pct"].reindex(keys).to_numpy()
    table["delta_cost"] = table["cost"].to_numpy() - first["cost"].reindex(keys).to_numpy()
    # A change under 0.1% of demand (or half a unit) is noise from pro-rata sharing, not an effect.
    delta = table["delta_unmet"].to_numpy()
    noise = np.maximum(0.5, 1e-3 * table["demand"].to_numpy())
    table["effect"] = np.select([delta > noise, delta < -noise], ["hurt", "gains"], "same")
    return table[COLUMNS]


CARE_COLUMNS = ["variant", "site", "region", "unstaffed_patient_days",
                "delta_unstaffed_patient_days", "effect"]


def care_table(results: dict[str, Result]) -> pd.DataFrame:
    """Unstaffed patient-days per care site and variant, against the first variant."""
    rows = [{"variant": name, **row} for name, r in results.items() for row in r.summary()["care"]]
    table = pd.DataFrame(rows, columns=["variant", "site", "region", "unstaffed_patient_days"]) \
        .astype({"unstaffed_patient_days": float})
    first = table[table["variant"] == next(iter(results))].set_index("site")
    base = first["unstaffed_patient_days"].reindex(table["site"]).to_numpy()
    table["delta_unstaffed_patient_days"] = table["unstaffed_patient_days"].to_numpy() - base
    delta = table["delta_unstaffed_patient_days"].to_numpy()
    table["effect"] = np.select([delta > 0.5, delta < -0.5], ["hurt", "gains"], "same")
    return table[CARE_COLUMNS]
