"""The reports in a real browser (Debian's Chromium, headless): every figure renders, no
JavaScript error, no network request; screenshots go to tests/artefacts/.

With BORDERFLOW_SCREENSHOTS=1 the run report's screenshot is also written to docs/img/report.png
(the README's picture), so ordinary runs leave the tree clean."""

from __future__ import annotations

import base64
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from selenium.webdriver.support.ui import WebDriverWait

from borderflow import attribute, sweep
from borderflow.report import folder_report, write_report
from borderflow.results import simulate
from borderflow.store import write_attribution, write_run

DOCS_IMG = Path(__file__).resolve().parents[1] / "docs" / "img"

# Installed before any script of the page runs: collects uncaught errors, rejected promises
# and console.error calls.
CAPTURE = """
window.__errors = [];
window.addEventListener("error", (e) => window.__errors.push("error: " + e.message));
window.addEventListener("unhandledrejection", (e) => window.__errors.push("rejection: " + e.reason));
const consoleError = console.error;
console.error = (...args) => { window.__errors.push("console: " + args.join(" ")); consoleError(...args); };
"""

# Every figure div of the report, and whether plotly drew it: the plot class, an svg with a
# size, and at least one trace in plotly's own data.
FIGURES = """
return [...document.querySelectorAll('div[id^="figure-"]')].map((div) => {
  const svg = div.querySelector("svg.main-svg");
  const box = svg ? svg.getBoundingClientRect() : {width: 0, height: 0};
  return {id: div.id, plotted: div.classList.contains("js-plotly-plot"),
          width: box.width, height: box.height, traces: (div._fullData || []).length};
});
"""


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """The session browser with error capture installed for the pages opened in this test."""
    script = browser.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": CAPTURE})
    try:
        yield browser
    finally:  # the browser is shared with other test modules
        browser.execute_cdp_cmd("Page.removeScriptToEvaluateOnNewDocument",
                                {"identifier": script["identifier"]})


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("reports")
    run = write_run(simulate("n95-2020"), root / "run")
    write_report(run, folder_report(run)[0])
    swept = root / "sweep"
    sweep("n95-2020", samples=20, variants=["history", "ban-and-retaliation"], daily=["mi", "on"],
          out=swept)
    write_report(swept, folder_report(swept)[0])
    attributed = write_attribution(attribute("n95-2020", variant="ban-and-retaliation"),
                                   root / "attribution")
    write_report(attributed, folder_report(attributed)[0])
    return {"run": run, "sweep": swept, "attribution": attributed}


def open_page(browser: Any, path: Path) -> None:
    browser.get(path.as_uri())
    WebDriverWait(browser, 60).until(lambda d: d.execute_script("return document.readyState")
                                     == "complete")


def errors(browser: Any) -> list[str]:
    return list(browser.execute_script("return window.__errors || []"))


def requests(browser: Any) -> list[str]:
    """Every URL the page loaded or tried to load (failed ones included)."""
    return list(browser.execute_script(
        "return performance.getEntriesByType('resource').map((e) => e.name)"))


def screenshot(browser: Any, clip_height: int | None = None) -> bytes:
    """The whole page (or its top `clip_height` pixels) as PNG, beyond the window's height."""
    size = browser.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]
    clip = {"x": 0, "y": 0, "width": size["width"], "height": clip_height or size["height"],
            "scale": 1}
    shot = browser.execute_cdp_cmd("Page.captureScreenshot", {"format": "png", "clip": clip,
                                                              "captureBeyondViewport": True})
    return base64.b64decode(shot["data"])


def test_the_checks_see_errors_and_requests(page: Any, tmp_path: Path) -> None:
    """The two checks below would catch a failure: a page that throws and dials out."""
    bad = tmp_path / "bad.html"
    bad.write_text('<!DOCTYPE html><html><body><img src="http://127.0.0.1:9/x.png">'
                   '<script>throw new Error("boom")</script></body></html>')
    open_page(page, bad)
    assert any("boom" in e for e in errors(page))
    assert "http://127.0.0.1:9/x.png" in requests(page)


@pytest.mark.parametrize("kind", ["run", "sweep", "attribution"])
def test_every_figure_renders_offline_without_errors(page: Any, folders: dict[str, Path],
                                                     artefacts: Path, kind: str) -> None:
    folder = folders[kind]
    expected = list(folder_report(folder)[1]())  # the figures the report is built from
    open_page(page, folder / "report.html")
    WebDriverWait(page, 60).until(
        lambda d: len(d.find_elements("css selector", ".js-plotly-plot svg.main-svg")) >=
        len(expected))
    drawn = page.execute_script(FIGURES)
    assert [f["id"] for f in drawn] == [f"figure-{key}" for key in expected]
    for figure in drawn:
        assert figure["plotted"] and figure["traces"] > 0, figure
        assert figure["width"] > 300 and figure["height"] > 200, figure
    assert len(page.find_elements("css selector", ".js-plotly-plot")) == len(expected)
    assert errors(page) == []
    assert all(url.startswith(("file:", "data:")) for url in requests(page)), requests(page)
    (artefacts / f"report-{kind}.png").write_bytes(screenshot(page))
    if kind == "run" and os.environ.get("BORDERFLOW_SCREENSHOTS") == "1":
        DOCS_IMG.mkdir(parents=True, exist_ok=True)
        top = page.execute_script(
            "const f = document.getElementById('figure-days_of_supply');"
            "return Math.ceil(f.getBoundingClientRect().bottom + window.scrollY + 16);")
        (DOCS_IMG / "report.png").write_bytes(screenshot(page, top))


# Moves the map's slider to its last day as a user would (the slider's own restyle), then
# reads back the width of every lane drawn.
SLIDE = """
const done = arguments[arguments.length - 1];
const d = document.getElementById("figure-map");
const steps = d.layout.sliders[0].steps;
const last = steps[steps.length - 1];
Plotly.restyle(d, last.args[0], last.args[1]).then(() => done({
  steps: steps.length, want: last.args[0]["line.width"].filter((w) => w !== null),
  widths: last.args[1].slice(0, -1).map((i) => d._fullData[i].line.width)}));
"""


def test_the_map_slides_through_the_days_offline(page: Any, folders: dict[str, Path]) -> None:
    open_page(page, folders["run"] / "report.html")
    WebDriverWait(page, 60).until(lambda d: d.execute_script(
        "const f = document.getElementById('figure-map'); return !!(f && f._fullData);"))
    moved = page.execute_async_script(SLIDE)
    assert moved["steps"] == 98  # n95-2020's days
    assert moved["widths"] == moved["want"] and len(moved["widths"]) > 20
    assert errors(page) == []
    assert all(url.startswith(("file:", "data:")) for url in requests(page)), requests(page)
