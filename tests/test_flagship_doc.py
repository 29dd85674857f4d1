"""docs/flagship.md's table is what scripts/flagship_table.py computes today."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_flagship_docs_table_is_up_to_date() -> None:
    spec = importlib.util.spec_from_file_location("flagship_table", ROOT / "scripts" / "flagship_table.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    doc = (ROOT / "docs" / "flagship.md").read_text()
    assert module.table() in doc, "regenerate the table: python scripts/flagship_table.py"
