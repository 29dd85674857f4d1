"""Attribution folders: one Parquet file per attribution table (`schema.ATTRIBUTION_TABLES`:
attribution.parquet, attribution_care.parquet, ...), attribution.json (the `attribute --json`
document) and manifest.json, written atomically; and read back, as `AttributionTables`."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from ..model import Problem, ScenarioError
from ..results.schema import ATTRIBUTION_TABLES, Table
from ..studies import Attribution
from . import manifest
from .folders import write_study

DOCUMENT = "attribution.json"
FILES = {t.name: f"{t.name}.parquet" for t in ATTRIBUTION_TABLES}


@dataclass(frozen=True)
class AttributionTables:
    """An attribution's tables by name (`attribution`, `attribution_care`, ...), its `--json`
    document and its manifest: what a report or a page needs, from memory
    (`attribution_tables`) or from its folder (`read_attribution`)."""

    tables: dict[str, pd.DataFrame]
    document: dict[str, Any]
    manifest: dict[str, Any]

    @property
    def rows(self) -> pd.DataFrame:
        return self.tables["attribution"]

    @property
    def care(self) -> pd.DataFrame:
        return self.tables["attribution_care"]

    @property
    def totals(self) -> pd.DataFrame:
        return self.tables["attribution_totals"]

    @property
    def care_totals(self) -> pd.DataFrame:
        return self.tables["attribution_care_totals"]

    @property
    def interactions(self) -> pd.DataFrame:
        return self.tables["attribution_interactions"]


def _typed(frame: pd.DataFrame, table: Table) -> pd.DataFrame:
    """`frame` with exactly the declared columns, numbers as floats: an exact attribution's
    stderr is None in memory and null in Parquet, so both read back as NaN; a table with no
    rows still has its columns."""
    out = frame.reindex(columns=table.names).reset_index(drop=True)
    for c in table.columns:
        if c.dtype == "float":
            out[c.name] = pd.to_numeric(out[c.name]).astype(float)
    return out


def attribution_manifest(a: Attribution) -> dict[str, Any]:
    rows = a.rows.reindex(a.rows["contribution"].abs().sort_values(ascending=False).index)
    how = "every coalition" if a.method == "exact" else f"{a.permutations} sampled orders"
    line = f"{len(a.policies)} policies, {how} ({a.runs} runs)"
    if len(rows) and abs(float(rows["contribution"].iloc[0])) >= 0.5:
        top = rows.iloc[0]
        region = a.scenario.regions[top["region"]]
        line += (f"; largest: {top['policy']} {float(top['contribution']):+,.0f} "
                 f"{top['commodity']} in {region.name or top['region']}")
    return manifest.manifest("attribution", a.scenario, [a.variant], "priority", summary=line)


def attribution_tables(a: Attribution) -> AttributionTables:
    """An attribution's tables in memory, as `read_attribution` returns them from its folder."""
    frames = (a.rows, a.care, a.totals, a.care_totals, a.interactions)
    return AttributionTables({t.name: _typed(f, t) for t, f in zip(ATTRIBUTION_TABLES, frames,
                                                                    strict=True)},
                             a.summary(), attribution_manifest(a))


def write_attribution(a: Attribution, out: Path,
                      finish: Callable[[Path], None] | None = None) -> Path:
    """The tables, the document and the manifest, then `finish(folder)` if given (the report),
    before the folder is moved in."""
    t = attribution_tables(a)
    return write_study(out, t.manifest, {FILES[name]: f for name, f in t.tables.items()},
                       {DOCUMENT: t.document}, finish)


def read_attribution(folder: Path) -> AttributionTables:
    """Read an attribution folder; a missing file is bad input naming it."""
    folder = Path(folder)
    m = manifest.read(folder, "DIR")
    missing = [n for n in (*FILES.values(), DOCUMENT) if not (folder / n).is_file()]
    if m["kind"] != "attribution" or missing:
        what = f"missing {', '.join(missing)}" if missing else f"it holds a {m['kind']}"
        raise ScenarioError([Problem(str(folder), 1, ("DIR",), f"not a complete borderflow "
                                     f"attribution folder ({what}); write one with "
                                     "`borderflow attribute --out DIR`")])
    tables = {t.name: _typed(pd.read_parquet(folder / FILES[t.name]), t)
              for t in ATTRIBUTION_TABLES}
    return AttributionTables(tables, json.loads((folder / DOCUMENT).read_text()), m)
