"""Read one column of a CSV series (one row per day from day 0)."""

from __future__ import annotations

import csv
import math
from functools import lru_cache
from pathlib import Path


class CsvError(Exception):
    def __init__(self, message: str, *, about_file: bool) -> None:
        super().__init__(message)
        self.about_file = about_file


def read_column(path: Path, column: str) -> tuple[float, ...]:
    try:
        stat = path.stat()
    except OSError:
        raise CsvError(f"CSV file {path} not found (a csv path is relative to the scenario "
                       "file)", about_file=True) from None
    return _read(path, column, stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=64)
def _read(path: Path, column: str, mtime: int, size: int) -> tuple[float, ...]:
    del mtime, size  # part of the cache key, so an edited file is read again
    try:
        with path.open(newline="", encoding="utf-8") as f:
            reader = csv.DictReader(f)
            if not reader.fieldnames or column not in reader.fieldnames:
                cols = ", ".join(reader.fieldnames or [])
                raise CsvError(f"column {column!r} not in {path.name} (columns: {cols})",
                               about_file=False)
            values = []
            for row_no, row in enumerate(reader, start=2):
                text = (row.get(column) or "").strip()
                try:
                    value = float(text)
                except ValueError:
                    raise CsvError(f"{path.name} line {row_no}: {text!r} is not a number",
                                   about_file=False) from None
                if not math.isfinite(value) or value < 0:
                    raise CsvError(f"{path.name} line {row_no}: {text!r} must be a finite "
                                   "number >= 0", about_file=False)
                values.append(value)
    except (OSError, UnicodeDecodeError) as e:
        raise CsvError(f"cannot read {path.name}: {e}", about_file=True) from None
    return tuple(values)
