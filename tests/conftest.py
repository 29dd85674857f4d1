"""Shared fixtures. Every run made anywhere in the suite is checked against the engine's
invariants; browser tests drive Debian's Chromium (installed by scripts/install-browser)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from borderflow.engine import allocators

allocators.CHECK = True
os.environ["BORDERFLOW_CHECK"] = "1"  # and in the processes tests start (CLI, workers, Ray)

ARTEFACTS = Path(__file__).parent / "artefacts"  # screenshots; ignored by git
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
# Without the background-networking flags Chromium keeps dialling Google's hosts, which
# this machine's closed network refuses.
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-dev-shm-usage", "--window-size=1400,1000"]


@pytest.fixture(autouse=True)
def results_root(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test (and every command it runs in a subprocess, which inherits the environment)
    saves results and registers them in a fresh folder of its own, never in the repository."""
    root = tmp_path_factory.mktemp("borderflow-results")
    monkeypatch.setenv("BORDERFLOW_RESULTS", str(root))
    return root


@pytest.fixture(scope="session")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A headless Chromium driven by Selenium. Fails (never skips) without the browser:
    the README's test command installs it."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    assert Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists(), \
        "run `bash scripts/install-browser` (the README's test command does)"
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium')}")
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="session")
def artefacts() -> Path:
    ARTEFACTS.mkdir(exist_ok=True)
    return ARTEFACTS
