"""docs/flagship.md's figures are what borderflow computes today: its table (by
scripts/flagship_table.py) and its sensitivity figures."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_the_flagship_docs_table_is_up_to_date() -> None:
    spec = importlib.util.spec_from_file_location("flagship_table", ROOT / "scripts" / "flagship_table.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    doc = (ROOT / "docs" / "flagship.md").read_text()
    assert module.table() in doc, "regenerate the table: python scripts/flagship_table.py"


@pytest.mark.parametrize("variant, output, kpi, assumption, figures", [
    (None, "mi:n95", "normal_unmet_pct", "nodes.us-hospitals.target_days", "71.4% -> 57.1% / 76.3%"),
    (None, "mi:n95", "unmet_pct", "nodes.detroit-hospitals.target_days", "5.7% / 1.2%"),
    ("ban-no-exemptions", "on:n95", "unmet_pct", "epidemics.on.relative_contact_rate",
     "44.2% -> 59.1% / 41.5%"),
    ("ban-no-exemptions", "on:n95", "unmet_pct", "nodes.on-hospitals.demand.n95.2.patients",
     "38.1% / 50.4%"),
    ("ban-and-retaliation", "us-rest:surgical", "unmet_pct", "nodes.us-hospitals.demand.surgical",
     "24.1% -> 6.5% / 36.1%"),
    (None, "latam:n95", "unmet_pct", "nodes.latam-hospitals.demand.n95", "25.3% -> 9.5% / 37.7%"),
])
def test_the_flagship_docs_sensitivity_figures(variant: str | None, output: str, kpi: str,
                                               assumption: str, figures: str) -> None:
    """The figures docs/flagship.md quotes for its five assumptions, recomputed."""
    from borderflow.studies import sensitivity

    study = sensitivity("n95-2020", variant=variant, outputs=output, kpi=kpi,
                        assumptions=[assumption])
    row = study.table.iloc[0]
    base, low, high = study.base[output], row["low"], row["high"]
    doc = (ROOT / "docs" / "flagship.md").read_text()
    shown = f"{base:.1f}% -> {low:.1f}% / {high:.1f}%" if "->" in figures else \
        f"{low:.1f}% / {high:.1f}%"
    assert shown == figures and figures in doc


def test_the_flagship_docs_stress_table_is_up_to_date() -> None:
    spec = importlib.util.spec_from_file_location("flagship_stress", ROOT / "scripts" / "flagship_stress.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    doc = (ROOT / "docs" / "flagship.md").read_text()
    assert module.table() in doc, "regenerate the table: python scripts/flagship_stress.py"


def test_the_flagship_docs_attribution_table_is_up_to_date() -> None:
    spec = importlib.util.spec_from_file_location("flagship_attribution",
                                                  ROOT / "scripts" / "flagship_attribution.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    table = module.table()
    assert table in (ROOT / "docs" / "flagship.md").read_text(), \
        "regenerate the table: python scripts/flagship_attribution.py"
    verdict = table.splitlines()[-1]
    assert verdict in (ROOT / "README.md").read_text(), "the README quotes the verdict"
