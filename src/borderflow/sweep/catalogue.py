"""A DuckDB catalogue over sweep folders (optional extra `duckdb`).

`catalogue(root)` finds every sweep folder under `root` (a folder holding `sweep.json`) and
returns a DuckDB connection with a table `sweeps` (folder, scenario, seed, samples, variants,
chunk_size) and a view `kpis` over all their finished chunks (a `folder` column added):

    con = catalogue("sweeps")
    con.execute("select variant, region, avg(unmet_pct) from kpis group by all").df()
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .run import MANIFEST


class DuckDBMissing(RuntimeError):
    pass


def catalogue(root: str | Path, database: str | Path = ":memory:") -> Any:
    try:
        import duckdb
    except ImportError:
        raise DuckDBMissing("the catalogue needs DuckDB: pip install 'borderflow[duckdb]'") from None
    con = duckdb.connect(str(database))
    rows = []
    for manifest in sorted(Path(root).rglob(MANIFEST)):
        doc = json.loads(manifest.read_text())
        rows.append((str(manifest.parent), doc["scenario"], doc["seed"], doc["samples"],
                     ",".join(doc["variants"]), doc["chunk_size"]))
    con.execute("create or replace table sweeps (folder varchar, scenario varchar, seed bigint, "
                "samples bigint, variants varchar, chunk_size bigint)")
    if rows:
        con.executemany("insert into sweeps values (?, ?, ?, ?, ?, ?)", rows)
    parts = [f"select '{_quote(r[0])}' as folder, * from read_parquet('{_quote(r[0])}/chunk-*.parquet')"
             for r in rows if any(Path(r[0]).glob("chunk-*.parquet"))]
    if parts:
        con.execute("create or replace view kpis as " + " union all ".join(parts))
    else:
        con.execute("create or replace view kpis as select null::varchar as folder where false")
    return con


def _quote(text: str) -> str:
    return text.replace("'", "''")
