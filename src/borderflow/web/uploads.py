"""Uploaded scenarios: one folder per upload under `uploads/`, holding the scenario
(`scenario.yaml`, a workbook `scenario.xlsx`, or CSV tables with `scenario.csv` among them),
the CSV files uploaded with it and `upload.json`. YAML is read by the model's safe loader (no
tag constructs an object), a workbook by openpyxl with defusedxml (no XML entity expansion)
after its unzipped size is checked; a CSV series may name only a CSV file of the same upload,
by its bare name, and that file must be a regular file inside the folder (no absolute paths,
no `..`, no symlinks out)."""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..model import Problem, Scenario, ScenarioError
from ..model.errors import Path as KeyPath
from ..model.loader import from_located
from ..model.tablefiles import read_folder, read_workbook
from ..model.tables import from_tables
from ..model.yamlio import Located, read_yaml

SCENARIO = "scenario.yaml"
WORKBOOK = "scenario.xlsx"
TABLES = "scenario.csv"  # with it, the upload's CSV files are the scenario's tables
META = "upload.json"
KEY = re.compile(r"^[0-9a-f]{12}$")
FILE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


class Refused(Exception):
    """An upload refused before its content is read as a scenario (size, names, encoding)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Rejected(Exception):
    """The scenario is not valid: its source and the problems, to show beside their lines."""

    file: str
    text: str
    problems: tuple[Problem, ...]


def display_name(name: str | None) -> str:
    """The uploaded file's name as messages show it (a browser sends the bare name)."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    if FILE_NAME.match(base) and base.endswith((".yaml", ".yml", ".xlsx")):
        return base
    return WORKBOOK if is_workbook(name) else SCENARIO


def is_workbook(name: str | None) -> bool:
    return (name or "").lower().endswith(".xlsx")


def csv_name(name: str | None) -> str:
    """A CSV file's name as sent; refused unless it is a plain name ending in .csv."""
    if not name or not FILE_NAME.match(name) or not name.lower().endswith(".csv") or ".." in name:
        raise Refused(400, f"CSV file name {name!r} refused: use a plain name of letters, digits, "
                      "'.', '_' and '-' ending in .csv (no folders)")
    return name


def _csv_refs(data: Any, path: KeyPath) -> Iterator[tuple[KeyPath, Any]]:
    """Every value a scenario (or a variant's `set`) gives as a CSV file name."""
    if isinstance(data, dict):
        for key, value in data.items():
            here = (*path, key)
            if key == "csv" and not isinstance(value, dict | list):
                yield here, value
            elif path[:1] == ("variants",) and len(path) == 3 and path[2] == "set" \
                    and str(key).rsplit(".", 1)[-1] == "csv":
                yield here, value  # `set: {nodes.x.demand.n95.csv: FILE}`
            yield from _csv_refs(value, here)
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from _csv_refs(value, (*path, i))


def csv_problems(located: Located, folder: Path, names: set[str]) -> list[Problem]:
    problems = []
    uploaded = ", ".join(sorted(names)) or "none"
    for path, value in _csv_refs(located.data, ()):
        if not isinstance(value, str) or value not in names:
            problems.append(located.problem(path, f"an uploaded scenario may read only CSV files "
                                            f"uploaded with it, by name (uploaded: {uploaded}); "
                                            f"{value!r} is not one of them"))
            continue
        file = folder / value
        if file.is_symlink() or not file.is_file() or file.resolve().parent != folder.resolve():
            problems.append(located.problem(path, f"{value} is not a regular file of this upload"))
    return problems


def read(folder: Path, file: str) -> Scenario:
    """Load an upload's scenario (raises Rejected)."""
    names = {p.name for p in folder.iterdir() if p.name.lower().endswith(".csv")}
    text = ""
    try:
        if (folder / SCENARIO).is_file():
            text = (folder / SCENARIO).read_text(encoding="utf-8")
            located: Located = read_yaml(text, file)
        elif (folder / WORKBOOK).is_file():
            located = from_tables(read_workbook(folder / WORKBOOK, label=file), file)
        else:
            located = from_tables(read_folder(folder, label=file), file)
        problems = csv_problems(located, folder, names)
        if problems:
            raise ScenarioError(problems)
        return from_located(located, base_dir=folder)
    except ScenarioError as e:
        raise Rejected(file, text, e.problems) from None


def store(root: Path, main_name: str | None, main: bytes | None, csvs: dict[str, bytes],
          keep: int) -> str:
    """Check an upload and keep it, with the `keep - 1` newest others (older ones are removed:
    disk use and the home page's work stay bounded); returns its key. `main` is the YAML file
    or the workbook, or None when the CSV files are the scenario's tables (with scenario.csv).
    Raises Refused or Rejected, keeping nothing."""
    if main is None:
        if TABLES not in csvs:
            raise Refused(400, "choose a scenario: a YAML file, an Excel workbook, or its CSV "
                          f"tables ({TABLES}, nodes.csv, ...)")
        file = "tables"
    else:
        file = display_name(main_name)
    texts = dict(csvs) if main is None or is_workbook(main_name) else {file: main, **csvs}
    for name, data in texts.items():
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            raise Refused(400, f"{name} is not UTF-8 text") from None
    root.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(6)
    tmp = Path(tempfile.mkdtemp(prefix=f".{key}.", dir=root))
    try:
        if main is not None:
            (tmp / (WORKBOOK if is_workbook(main_name) else SCENARIO)).write_bytes(main)
        for name, data in csvs.items():
            (tmp / name).write_bytes(data)
        (tmp / META).write_text(json.dumps({"file": file}) + "\n")
        read(tmp, file)
        os.replace(tmp, root / key)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    for old in keys(root)[keep:]:
        shutil.rmtree(root / old, ignore_errors=True)  # another upload may be removing it too
    return key


def folder_of(root: Path, key: str) -> Path | None:
    """The folder of upload `key`, if `key` is well formed and exists."""
    if not KEY.match(key):
        return None
    folder = root / key
    return folder if (folder / META).is_file() else None


def file_of(folder: Path) -> str:
    return str(json.loads((folder / META).read_text())["file"])


def keys(root: Path) -> list[str]:
    if not root.is_dir():
        return []
    return sorted((p.name for p in root.iterdir() if KEY.match(p.name) and (p / META).is_file()),
                  key=lambda k: (root / k).stat().st_mtime, reverse=True)
