"""Atomic writes: a folder or a file is written beside its target under a temporary name and
renamed into place only once complete, so a failed write leaves nothing behind and a reader
never sees half of one."""

from __future__ import annotations

import glob
import os
import shutil
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

from ..model import UsageError


def check_out(out: Path, marker: str) -> Path:
    """`out` resolved, if it may become a results folder: bad input naming --out if it is a
    file, a folder holding anything but our own output (`marker`), or below a file. Nothing
    is created, so a command can ask before its work rather than fail after it."""
    out = out.resolve()
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not (out / marker).exists())):
        raise UsageError("--out", f"{out} exists and is not a borderflow results folder; choose "
                         "another folder")
    above = next(p for p in out.parents if p.exists())
    if not above.is_dir():
        raise UsageError("--out", f"cannot make {out}: {above} is a file, not a folder")
    return out


def write_folder(out: Path, fill: Callable[[Path], None], marker: str) -> Path:
    """Create or replace folder `out` with what `fill(tmp)` writes into a fresh folder.

    An existing folder is replaced only if it is empty or holds `marker` (our own output)."""
    out = check_out(out, marker)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent))
    except OSError as e:  # a place no folder can be made (read only, no permission): bad input
        raise UsageError("--out", f"cannot make {out}: {e.strerror or e}") from None
    try:
        fill(tmp)
        if out.exists():
            old = tmp.with_suffix(".old")
            os.replace(out, old)
            os.replace(tmp, out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out


def write_file(path: Path, write: Callable[[Path], object]) -> Path:
    """Create or replace file `path` with what `write(tmp)` writes into a fresh temporary file
    beside it (a unique name, so two writers never rename each other's half-written file),
    renamed into place once complete; a failed write leaves nothing behind."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_text(path: Path, text: str) -> Path:
    return write_file(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def read_parquet(files: Sequence[Path | str], options: str = "") -> str:
    """DuckDB's read_parquet over exactly these files: a literal list, each name escaped (DuckDB
    takes every path as a glob, and a folder's name may hold `[`, `*` or `?`)."""
    names = ", ".join("'" + glob.escape(str(f)).replace("'", "''") + "'" for f in files)
    return f"read_parquet([{names}]{', ' + options if options else ''})"
