"""Write a scenario in any of its three forms: a YAML file, a folder of CSV tables, an Excel
workbook (`borderflow export`). Reading the result gives an equal scenario. The CSV files its
series read are copied beside it, under the same relative names."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path as FsPath
from typing import Any

from .errors import UsageError
from .scenario import Scenario
from .tablefiles import WORKBOOK_SUFFIXES, write_atomic, write_folder, write_workbook
from .tables import to_tables

YAML_SUFFIXES = (".yaml", ".yml")


def scenario_data(scenario: Scenario) -> dict[str, Any]:
    """The scenario as plain data, as written: the fields given, under their names in the file."""
    return scenario.model_dump(by_alias=True, exclude_unset=True, mode="python")


def form_of(target: FsPath) -> str:
    """"yaml", "workbook" or "folder", by the target's name."""
    suffix = target.suffix.lower()
    if suffix in YAML_SUFFIXES:
        return "yaml"
    if suffix in WORKBOOK_SUFFIXES:
        return "workbook"
    if suffix and not target.is_dir():
        raise UsageError("--to", f"{target.name}: write a .yaml file, an .xlsx workbook or a "
                         "folder (a name without a suffix)")
    return "folder"


def export(scenario: Scenario, to: str | FsPath) -> FsPath:
    """Write `scenario` to `to` (its form chosen by the name, as `form_of` says)."""
    target = FsPath(to)
    form = form_of(target)
    if form == "folder" and target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise UsageError("--to", f"{target} exists and is not an empty folder (a scenario's "
                         "tables are written into a new folder)")
    data = scenario_data(scenario)
    here = target if form == "folder" else target.parent
    extra = _csv_files(scenario, data, here)
    if form == "folder":
        tables = to_tables(data)
        clash = sorted(rel for rel in extra if FsPath(rel).suffix == ".csv"
                       and FsPath(rel).stem in tables and FsPath(rel).parent == FsPath("."))
        if clash:
            raise UsageError("--to", f"the scenario reads a series from {clash[0]}, the name "
                             "of a table; rename that file (and its `csv:`), or export to a "
                             "workbook or YAML")
        write_folder(tables, target, extra)
        return target
    for rel, source in extra.items():
        dest = here / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(source.read_bytes())
    if form == "workbook":
        write_workbook(to_tables(data), target)
    else:
        text = dump_yaml(data)
        write_atomic(target, lambda tmp: FsPath(tmp).write_text(text, encoding="utf-8"))
    return target


def dump_yaml(data: dict[str, Any]) -> str:
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    yaml.default_flow_style = False
    yaml.width = 100
    out = io.StringIO()
    yaml.dump(_plain(data), out)
    return out.getvalue()


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _csv_files(scenario: Scenario, data: dict[str, Any], here: FsPath) -> dict[str, FsPath]:
    """The CSV files the scenario's series read (relative name -> file) that must be copied
    to `here`; refused where a different file of that name is already there."""
    base = scenario.base_dir
    out: dict[str, FsPath] = {}
    if base is None:
        return out
    for rel in set(_csv_names(data)):
        if FsPath(rel).is_absolute() or ".." in FsPath(rel).parts:
            continue  # read from where it is, wherever the scenario goes
        source, dest = (base / rel).resolve(), (here / rel).resolve()
        if source == dest or not source.is_file():
            continue
        if dest.exists() and dest.read_bytes() != source.read_bytes():
            raise UsageError("--to", f"{dest} exists and differs from {source}, which the "
                             "scenario reads; export elsewhere")
        out[rel] = source
    return out


def _csv_names(data: Any) -> Iterator[str]:
    if isinstance(data, dict):
        if isinstance(data.get("csv"), str):
            yield data["csv"]
        for key, value in data.items():
            if isinstance(key, str) and key.rsplit(".", 1)[-1] == "csv" and isinstance(value, str):
                yield value  # a variant's `set: {nodes.x.demand.n95.csv: FILE}`
            yield from _csv_names(value)
    elif isinstance(data, list):
        for value in data:
            yield from _csv_names(value)
