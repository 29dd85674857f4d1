"""The dashboard in a real browser (Debian's Chromium through Selenium) against the real server
(uvicorn on a free loopback port): open the flagship, switch the export ban off, run and see
the numbers and the charts change; compare the variants; attribute a variant's shortage to its
policies; upload a malformed scenario and see the error beside its line. Screenshots go to
tests/artefacts/; with BORDERFLOW_SCREENSHOTS=1
the README's docs/img/dashboard.png is written too."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from test_web import served

ROOT = Path(__file__).resolve().parents[1]
FLAGSHIP = "/scenarios/builtin/n95-2020"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with served(tmp_path_factory.mktemp("web")) as port:
        yield f"http://127.0.0.1:{port}"


def wait(browser: Any, condition: Any, timeout: float = 60) -> Any:
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(browser, timeout).until(condition)


def drawn(browser: Any, div: str) -> bool:
    """Plotly has drawn the figure into the div (its data and an SVG are there)."""
    return bool(browser.execute_script(
        "const d = document.getElementById(arguments[0]);"
        "return !!(d && d.data && d.data.length && d.querySelector('svg.main-svg'));", div))


def figure_data(browser: Any, div: str) -> Any:
    return browser.execute_script(
        "return document.getElementById(arguments[0]).data.map(t => [t.name, t.x, t.y]);", div)


def kpis(browser: Any) -> dict[str, list[str]]:
    from selenium.webdriver.common.by import By

    rows = browser.find_elements(By.CSS_SELECTOR, "#kpis tbody tr")
    return {" ".join(c.text for c in r.find_elements(By.TAG_NAME, "td")[:2]):
            [c.text for c in r.find_elements(By.CSS_SELECTOR, "td.n")] for r in rows}


def run_and_wait(browser: Any) -> None:
    from selenium.webdriver.common.by import By

    before = browser.current_url
    browser.find_element(By.ID, "run").click()
    wait(browser, lambda b: b.current_url != before and "/runs/" in b.current_url)
    wait(browser, lambda b: drawn(b, "figure-unmet_demand") and drawn(b, "figure-days_of_supply"))


def test_toggle_the_export_ban_run_and_see_the_charts_change(browser: Any, server: str,
                                                             artefacts: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import Select

    browser.get(server + "/")
    browser.find_element(By.LINK_TEXT, "n95-2020").click()
    wait(browser, lambda b: b.find_elements(By.ID, "run-form"))
    Select(browser.find_element(By.ID, "variant-select")).select_by_value("ban-no-exemptions")
    browser.find_element(By.CSS_SELECTOR, "#variant-form button").click()
    wait(browser, lambda b: "variant=ban-no-exemptions" in b.current_url)
    ban = browser.find_element(By.ID, "policy-us-export-ban")
    assert ban.is_selected()
    run_and_wait(browser)
    banned_kpis = kpis(browser)
    banned_unmet = figure_data(browser, "figure-unmet_demand")
    browser.save_screenshot(str(artefacts / "web-1-ban.png"))
    if os.environ.get("BORDERFLOW_SCREENSHOTS") == "1":
        readme_screenshot(browser)

    ban = browser.find_element(By.ID, "policy-us-export-ban")
    assert ban.is_selected()  # the run's page keeps the form as it was submitted
    ban.click()
    assert not ban.is_selected()
    # a slider moves its number box (CHIME-style), and the value is what runs
    box = browser.find_element(By.ID, "f-nodes.harmac.produce.pulp.capacity")
    slider = browser.find_element(By.CSS_SELECTOR, 'input[data-for="f-nodes.harmac.produce.pulp.capacity"]')
    old = box.get_attribute("value")
    slider.send_keys(Keys.ARROW_RIGHT)
    assert box.get_attribute("value") != old
    run_and_wait(browser)
    lifted_kpis = kpis(browser)
    lifted_unmet = figure_data(browser, "figure-unmet_demand")
    browser.save_screenshot(str(artefacts / "web-2-ban-lifted.png"))

    assert not browser.find_element(By.ID, "policy-us-export-ban").is_selected()
    assert "us-export-ban off" in browser.find_element(By.ID, "run-summary").text
    assert banned_kpis != lifted_kpis and banned_unmet != lifted_unmet
    unmet = {name: float(rows["Ontario n95"][2].replace(",", ""))
             for name, rows in (("banned", banned_kpis), ("lifted", lifted_kpis))}
    assert unmet["banned"] > unmet["lifted"]


def readme_screenshot(browser: Any) -> None:
    """docs/img/dashboard.png: the results of a run, KPI table and first charts."""
    from selenium.webdriver.common.by import By

    size = browser.get_window_size()
    browser.set_window_size(1400, 1350)
    try:
        browser.execute_script("window.scrollTo(0, 0);")
        wait(browser, lambda b: b.find_element(By.ID, "results").is_displayed())
        time.sleep(0.5)  # plotly re-lays out on resize
        target = ROOT / "docs" / "img" / "dashboard.png"
        target.parent.mkdir(parents=True, exist_ok=True)
        browser.save_screenshot(str(target))
    finally:
        browser.set_window_size(size["width"], size["height"])


def test_compare_the_variants(browser: Any, server: str, artefacts: Path) -> None:
    from selenium.webdriver.common.by import By

    browser.get(server + FLAGSHIP)
    browser.find_element(By.ID, "compare-link").click()
    wait(browser, lambda b: drawn(b, "figure-heatmap"))
    heads = [th.text for th in browser.find_elements(By.CSS_SELECTOR, "#comparison thead th.n")]
    assert heads == ["no-controls", "history", "ban-no-exemptions", "ban-and-retaliation"]
    x = browser.execute_script("return document.getElementById('figure-heatmap').data[0].x;")
    assert list(x) == heads[1:]
    hurt = browser.find_elements(By.CSS_SELECTOR, "#comparison td.hurt")
    assert hurt and all("▲" in td.text for td in hurt)
    browser.save_screenshot(str(artefacts / "web-3-compare.png"))


def test_attribute_a_variant_and_see_its_waterfalls_drawn_offline(browser: Any, server: str,
                                                                  artefacts: Path) -> None:
    from selenium.webdriver.common.by import By

    browser.get(server + FLAGSHIP + "?variant=ban-and-retaliation")
    browser.find_element(By.ID, "attribute-link").click()
    wait(browser, lambda b: b.find_elements(By.ID, "attribute-form"))
    assert "variant=ban-and-retaliation" in browser.current_url
    browser.find_element(By.ID, "attribute-dpa-3m").click()  # one player fewer: 256 coalitions
    browser.find_element(By.ID, "attribute").click()
    wait(browser, lambda b: drawn(b, "figure-waterfall-n95") and drawn(b, "figure-heatmap-n95")
         and drawn(b, "figure-care"))
    assert not browser.find_element(By.ID, "attribute-dpa-3m").is_selected()
    regions = browser.execute_script(
        "const d = document.getElementById('figure-waterfall-n95');"
        "return d.layout.updatemenus[0].buttons.map((b) => b.label);")
    assert "Ontario" in regions and len(regions) > 3
    bars = browser.execute_script(
        "return document.getElementById('figure-waterfall-n95').data[0].x;")
    assert bars[0] == "no listed policy" and bars[-1] == "as in the variant"
    assert "dpa-3m" not in bars and "us-export-ban" in bars
    assert browser.find_elements(By.CSS_SELECTOR, "#largest tbody tr.bad")  # made worse: red
    loaded = browser.execute_script(
        "return performance.getEntriesByType('resource').map((e) => e.name)")
    assert loaded and all(url.startswith(server + "/") for url in loaded), loaded
    browser.save_screenshot(str(artefacts / "web-5-attribution.png"))


def test_upload_a_malformed_scenario_and_see_the_error_beside_its_line(
        browser: Any, server: str, artefacts: Path, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    bad = tmp_path / "broken.yaml"
    bad.write_text("format: 1\nname: broken\nstart: 2020-04-01\ndays: 10\n"
                   "commodities: {n95: {unit: respirator}}\nregions: {us: {country: US}}\n"
                   "nodes:\n  plant: {kind: plant, region: nowhere}\n")
    browser.get(server + "/")
    browser.find_element(By.CSS_SELECTOR, 'input[name="scenario"]').send_keys(str(bad))
    browser.find_element(By.ID, "upload").click()
    wait(browser, lambda b: b.find_elements(By.ID, "source"))
    row = browser.find_element(By.CSS_SELECTOR, "#line-8")
    assert "bad" in (row.get_attribute("class") or "")
    assert "broken.yaml:8:" in row.text and "nowhere" in row.text
    assert browser.find_elements(By.CSS_SELECTOR, "tr.bad") == [row]
    browser.save_screenshot(str(artefacts / "web-4-upload-error.png"))
