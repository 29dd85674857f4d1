"""The malformed-input corpus: every file in tests/malformed/ is rejected by `borderflow validate`
with exit code 2, no traceback, and exactly the lines in its `.expected` snapshot.

Each case is the valid `_valid-base.yaml` with one defect. The CLI runs for real, in a
subprocess, from inside tests/malformed/ with a relative file name, so messages read
`NNN-name.yaml:LINE: dotted.path: message` on any machine.

After a deliberate change to a message, rewrite the snapshots and review the diff:

    BORDERFLOW_UPDATE_SNAPSHOTS=1 .venv/bin/python -m pytest tests/test_malformed.py
"""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from borderflow.model import builtin_path
from borderflow.model.yamlio import MAX_BYTES

CORPUS = Path(__file__).parent / "malformed"
CASES = sorted(p.name for p in CORPUS.glob("*.yaml") if not p.name.startswith("_"))
UPDATE = os.environ.get("BORDERFLOW_UPDATE_SNAPSHOTS") == "1"


SRC = Path(__file__).resolve().parents[1] / "src"


def validate(name: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "BORDERFLOW_DEBUG"}
    # the CLI runs in tests/malformed/: a relative PYTHONPATH=src would not find this checkout
    env["PYTHONPATH"] = os.pathsep.join([str(SRC), *filter(None, [env.get("PYTHONPATH")])])
    return subprocess.run([sys.executable, "-m", "borderflow.cli", "validate", name], cwd=cwd,
                          capture_output=True, text=True, timeout=120, env=env)


_runs: dict[str, subprocess.CompletedProcess[str]] = {}


@pytest.fixture(scope="module")
def corpus_runs(request: pytest.FixtureRequest) -> dict[str, subprocess.CompletedProcess[str]]:
    """Run the CLI on every selected case at once: one process per case, a few at a time."""
    selected = {item.callspec.params["case"] for item in request.session.items
                if hasattr(item, "callspec") and "case" in item.callspec.params}
    todo = sorted(selected - set(_runs))
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        _runs.update(zip(todo, pool.map(lambda case: validate(case, CORPUS), todo), strict=True))
    return _runs


def test_the_corpus_is_big_enough() -> None:
    assert len(CASES) >= 55


def test_the_base_of_the_corpus_is_valid() -> None:
    """Each case is this file with one defect, so every message in the corpus is exact."""
    proc = validate("_valid-base.yaml", CORPUS)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("_valid-base.yaml: valid: base,")


@pytest.mark.parametrize("case", CASES)
def test_malformed_case(case: str, corpus_runs: dict[str, subprocess.CompletedProcess[str]]) -> None:
    proc = corpus_runs[case]
    snapshot = CORPUS / case.replace(".yaml", ".expected")
    if UPDATE:
        snapshot.write_text(proc.stderr)
    assert "Traceback" not in proc.stderr + proc.stdout
    assert proc.returncode == 2, proc.stderr
    assert proc.stdout == ""
    lines = proc.stderr.splitlines()
    assert lines, "no message"
    assert all(line.startswith(f"{case}:") for line in lines), lines
    assert lines == snapshot.read_text().splitlines()


def test_every_snapshot_has_its_case() -> None:
    stray = {p.name.replace(".expected", ".yaml") for p in CORPUS.glob("*.expected")} - set(CASES)
    assert not stray


def test_an_empty_file(tmp_path: Path) -> None:
    (tmp_path / "empty.yaml").write_bytes(b"")
    proc = validate("empty.yaml", tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.splitlines() == ["empty.yaml:1: (top): the file is empty"]


def test_a_file_over_the_size_limit(tmp_path: Path) -> None:
    """Refused from its size alone, before it is read (it would be valid YAML)."""
    path = tmp_path / "huge.yaml"
    base = (CORPUS / "_valid-base.yaml").read_bytes()
    padding = b"# padding to make the file big" + b"." * 993 + b"\n"  # 1 KiB a line
    with path.open("wb") as f:
        f.write(base)
        for _ in range(MAX_BYTES // len(padding) + 1024):
            f.write(padding)
    assert path.stat().st_size > MAX_BYTES
    proc = validate("huge.yaml", tmp_path)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert proc.stderr.splitlines() == ["huge.yaml:1: (top): the file is 51 MB; the limit is 50 MB"]


def test_a_missing_file(tmp_path: Path) -> None:
    proc = validate("nowhere.yaml", tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.splitlines() == [
        "nowhere.yaml:1: (top): cannot read the file: No such file or directory"]


def test_the_built_in_scenario_is_valid() -> None:
    proc = validate(str(builtin_path("two-country")), CORPUS)
    assert proc.returncode == 0, proc.stderr
    assert "valid: two-country" in proc.stdout
    assert proc.stderr == ""
