"""Tables on disk: a folder of CSV files (`nodes.csv`, `lanes.csv`, ...) or an Excel workbook
with one sheet per table, read into `Sheet`s and written from rows (tables.py says what they
hold). A CSV file in the folder that is not a table (a demand series' own CSV) is left alone.
Writing is atomic: a folder or a workbook appears whole or not at all."""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import shutil
import tempfile
import zipfile
from pathlib import Path as FsPath
from typing import Any

from .errors import Problem, ScenarioError
from .tables import POLICY_PART, TABLES, Row, Sheet, columns, show, text_cells

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")
MAX_ROWS = 2_000_000
MAX_UNZIPPED = 512 * 2**20


def is_table_name(name: str) -> bool:
    return name in TABLES or name.startswith(POLICY_PART)


def read_folder(folder: FsPath, label: str | None = None) -> dict[str, Sheet]:
    """Every table of a folder of CSV files (named in messages as `label/nodes.csv`)."""
    sheets = {}
    for path in sorted(folder.glob("*.csv")):
        if is_table_name(path.stem):
            file = str(path) if label is None else path.name
            sheets[path.stem] = read_csv(path, path.stem, file)
    if not sheets:
        raise ScenarioError([Problem(label or str(folder), 1, (), "the folder holds no tables (a "
                                     "scenario as tables needs scenario.csv, commodities.csv, "
                                     "regions.csv and nodes.csv at least; see docs/tables.md)")])
    return sheets


def read_csv(path: FsPath, name: str, file: str) -> Sheet:
    try:
        text = path.read_text(encoding="utf-8-sig")  # Excel writes a BOM
    except UnicodeDecodeError:
        raise ScenarioError([Problem(file, 1, (), "the file is not UTF-8 text (in Excel: "
                                     "save as 'CSV UTF-8')")]) from None
    except OSError as e:
        raise ScenarioError([Problem(file, 1, (), f"cannot read the file: {e.strerror}")]) from None
    return csv_sheet(text, name, file)


def csv_sheet(text: str, name: str, file: str) -> Sheet:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
        if header is None:
            raise ScenarioError([Problem(file, 1, (), "the file is empty (it needs a header "
                                         "row naming its columns)")])
        rows = []
        line = reader.line_num
        for cells in reader:
            rows.append((line + 1, cells))
            line = reader.line_num
    except csv.Error as e:
        raise ScenarioError([Problem(file, reader.line_num, (), f"CSV syntax error: {e}")]) from None
    return _sheet(name, file, header, rows)


def _sheet(name: str, file: str, header: list[Any], rows: list[tuple[int, list[Any]]]) -> Sheet:
    names = [str(h).strip() if h is not None else "" for h in header]
    while names and not names[-1]:
        names.pop()
    problems = []
    for i, column in enumerate(names):
        if not column:
            problems.append(Problem(file, 1, (), f"column {i + 1} has no name in the header"))
        elif column in names[:i]:
            problems.append(Problem(file, 1, (), f"column {column!r} appears twice in the "
                                    "header"))
    if len(rows) > MAX_ROWS:
        problems.append(Problem(file, 1, (), f"{len(rows):,} rows; the limit is {MAX_ROWS:,}"))
    out: list[tuple[int, Row]] = []
    for line, cells in rows:
        values = list(cells)
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
            continue  # a blank row
        extra = [v for v in values[len(names):] if v is not None and str(v).strip()]
        if extra:
            problems.append(Problem(file, line, (), f"{len(values)} cells, but the header names "
                                    f"{len(names)} columns"))
            continue
        out.append((line, {c: values[i] if i < len(values) else None
                           for i, c in enumerate(names)}))
    if problems:
        raise ScenarioError(problems)
    return Sheet(name, file, out)


def read_workbook(path: FsPath, label: str | None = None) -> dict[str, Sheet]:
    """Every sheet of a workbook named as a table (in messages, `label[sheet]`)."""
    import openpyxl  # a scenario dependency, imported only for workbooks

    name = str(path) if label is None else label
    try:
        with zipfile.ZipFile(path) as z:  # a workbook is a zip: refuse a zip bomb unopened
            unzipped = sum(i.file_size for i in z.infolist())
        if unzipped > MAX_UNZIPPED:
            raise ScenarioError([Problem(name, 1, (), f"the workbook unzips to "
                                         f"{unzipped / 2**20:.0f} MB; the limit is "
                                         f"{MAX_UNZIPPED // 2**20} MB")])
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (OSError, zipfile.BadZipFile, KeyError, ValueError) as e:
        raise ScenarioError([Problem(name, 1, (), f"cannot read the workbook: {e}")]) from None
    try:
        sheets = {}
        unknown = []
        for ws in book.worksheets:
            if not is_table_name(ws.title):
                unknown.append(ws.title)
                continue
            rows = ws.iter_rows(values_only=True)
            header = next(rows, None)
            file = f"{name}[{ws.title}]"
            if header is None:
                raise ScenarioError([Problem(file, 1, (), "the sheet is empty (it needs a "
                                             "header row naming its columns)")])
            sheets[ws.title] = _sheet(ws.title, file, list(header),
                                      [(i, list(r)) for i, r in enumerate(rows, start=2)])
    finally:
        book.close()
    if unknown and "scenario" not in sheets:
        raise ScenarioError([Problem(name, 1, (), "no sheet is a table of a scenario "
                                     f"(sheets: {', '.join(unknown)}; see docs/tables.md)")])
    return sheets


# ---- writing --------------------------------------------------------------------------------

def write_folder(tables: dict[str, list[Row]], folder: FsPath,
                 extra: dict[str, FsPath] | None = None) -> None:
    """Write the tables as a folder of CSV files (and copy `extra` files into it, by the
    relative name each is given), replacing an empty folder or none."""
    folder = folder.resolve()
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = FsPath(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    try:
        for name, rows in tables.items():
            with (tmp / f"{name}.csv").open("w", newline="", encoding="utf-8") as f:
                csv.writer(f, lineterminator="\n").writerows(text_cells(rows, name))
        for rel, source in (extra or {}).items():
            target = tmp / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
        if folder.exists():
            folder.rmdir()  # empty, as the caller checked
        os.replace(tmp, folder)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def write_workbook(tables: dict[str, list[Row]], path: FsPath) -> None:
    """Write the tables as one workbook, a sheet each: numbers, dates and true/false as
    Excel's own, anything else as text a cell of the sheet reads back."""
    import openpyxl

    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in tables.items():
        ws = book.create_sheet(name)
        cols = columns(rows, name)
        ws.append(cols)
        for row in rows:
            text_row = name == "scenario" and row.get("field") in ("name", "description")
            ws.append([_excel(c, row.get(c), text_row) for c in cols])
    write_atomic(path, book.save)


def _excel(column: str, value: Any, text_row: bool) -> Any:
    from .tables import TEXT

    if value is None:
        return None
    if isinstance(value, str) and (column in TEXT or (text_row and column == "value")):
        return value
    if isinstance(value, float) and float(f"{value:.16g}") != value:
        return show(value)  # openpyxl writes 16 digits; a 17-digit number stays exact as text
    if isinstance(value, bool | int | float | dt.date):
        return value
    return show(value)


def write_atomic(path: FsPath, save: Any) -> None:
    """`save(tmp_path)`, then rename onto `path`: no half-written file is ever seen."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(fd)
    try:
        save(tmp)
        os.replace(tmp, path)
    except BaseException:
        FsPath(tmp).unlink(missing_ok=True)
        raise
