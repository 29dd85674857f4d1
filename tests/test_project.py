"""The project's shape: public surface, layers, README commands, linters."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import borderflow

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def _tool(name: str) -> str:
    found = shutil.which(name, path=str(BIN)) or shutil.which(name)
    assert found, f"{name} is not installed (it is in the test extras)"
    return found


def test_public_api_is_pinned() -> None:
    assert sorted(borderflow.__all__) == ["Comparison", "Result", "Scenario", "ScenarioError",
                                          "attribute", "compare", "load", "prices",
                                          "sensitivity", "simulate", "stress", "sweep"]
    assert callable(borderflow.sensitivity) and callable(borderflow.attribute)
    assert callable(borderflow.prices)


def test_readme_opens_with_the_two_commands_and_ci_runs_the_second() -> None:
    readme = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```bash\n(.*?)\n```", readme, flags=re.S)
    assert len(blocks) >= 2
    run_cmd, test_cmd = blocks[0].strip(), blocks[1].strip()
    assert run_cmd.endswith("borderflow run")
    assert "pytest" in test_cmd and "[test]" in test_cmd
    ci = (ROOT / ".ci" / "run").read_text()
    assert test_cmd in ci.splitlines()


def test_import_layers_hold() -> None:
    proc = subprocess.run([_tool("lint-imports")], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_ruff_is_clean() -> None:
    proc = subprocess.run([_tool("ruff"), "check", "src", "tests", "benchmarks", "scripts"], cwd=ROOT,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_mypy_is_clean() -> None:
    proc = subprocess.run([_tool("mypy")], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
