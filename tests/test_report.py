"""The HTML report: one self-contained offline file, every figure, names escaped, rebuildable
from a run folder; PNG export optional."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest
from plotly.offline import get_plotlyjs

from borderflow.report import comparison_report, run_report
from borderflow.report.figures import TITLES
from borderflow.results import compare, run_tables, simulate

SCENARIOS = Path(__file__).resolve().parents[1] / "src" / "borderflow" / "scenarios"
EVIL = "<script>alert(1)</script>"
PLOTLYJS = get_plotlyjs()


def bf(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "borderflow.cli", *args], capture_output=True,
                          text=True, timeout=300)


def assert_offline_single_file(html: str) -> None:
    assert html.count(PLOTLYJS) == 1, "plotly.js must be inlined exactly once"
    ours = html.replace(PLOTLYJS, "")  # the library's own strings (e.g. its topojson URL) aside
    assert not re.search(r"<script[^>]*\bsrc\s*=", ours, flags=re.I)
    assert not re.search(r"<link[^>]*\bhref\s*=\s*[\"']?https?://", ours, flags=re.I)
    assert "cdn" not in ours.lower()
    assert "https://" not in ours and "http://" not in ours


@pytest.mark.parametrize("name", ["n95-2020", "two-country"])
def test_run_report_is_one_offline_file_with_every_figure(name: str) -> None:
    result = simulate(name)
    html = run_report(run_tables(result))
    assert_offline_single_file(html)
    keys = ["days_of_supply", "unmet_demand", "flows", "policy_timeline"]
    if len(result.care):
        keys.append("care")
    for key in keys:
        assert TITLES[key] in html
        assert f'id="figure-{key}"' in html
    regions = result.scenario.regions
    for region in result.kpis["region"]:
        assert (regions[region].name or region) in html


def test_n95_report_has_care_and_blocked_flows() -> None:
    html = run_report(run_tables(simulate("n95-2020")))
    assert TITLES["care"] in html
    assert "held back by policy us-export-ban" in html


def test_comparison_report_has_the_heatmap() -> None:
    html = comparison_report(compare("two-country"))
    assert_offline_single_file(html)
    assert TITLES["heatmap"] in html and 'id="figure-heatmap"' in html
    assert "narrow-border" in html


def test_user_names_are_escaped(tmp_path: Path) -> None:
    text = (SCENARIOS / "two-country.yaml").read_text()
    text = text.replace("mi: {country: US, name: Michigan}", f'mi: {{country: US, name: "{EVIL}"}}')
    text = re.sub(r"(?m)^description: .*$", f'description: "{EVIL} & co"', text)
    assert text.count(EVIL) == 2
    path = tmp_path / "evil.yaml"
    path.write_text(text)
    for html in (run_report(run_tables(simulate(path))), comparison_report(compare(path))):
        assert EVIL not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        assert "alert(1)</script>" not in html.replace(PLOTLYJS, "")


def test_report_command_rebuilds_run_outs_report(tmp_path: Path) -> None:
    out = tmp_path / "run"
    proc = bf("run", "two-country", "--variant", "narrow-border", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    first = (out / "report.html").read_bytes()
    assert_offline_single_file(first.decode())
    assert "narrow-border" in first.decode()
    (out / "report.html").unlink()
    proc = bf("report", str(out))
    assert proc.returncode == 0, proc.stderr
    assert (out / "report.html").read_bytes() == first
    assert sorted(p.name for p in out.iterdir() if p.name.startswith(".")) == []


def test_report_command_on_a_foreign_folder_is_bad_input(tmp_path: Path) -> None:
    proc = bf("report", str(tmp_path))
    assert proc.returncode == 2 and "not a complete borderflow run folder" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_compare_out_writes_a_report(tmp_path: Path) -> None:
    proc = bf("compare", "two-country", "--out", str(tmp_path / "cmp"))
    assert proc.returncode == 0, proc.stderr
    html = (tmp_path / "cmp" / "report.html").read_text()
    assert_offline_single_file(html)
    assert TITLES["heatmap"] in html


@pytest.mark.skipif(importlib.util.find_spec("kaleido") is not None,
                    reason="kaleido is installed: the missing-extra message is not shown")
def test_png_without_kaleido_says_how_to_install(tmp_path: Path) -> None:
    out = tmp_path / "run"
    assert bf("run", "two-country", "--days", "10", "--out", str(out)).returncode == 0
    proc = bf("report", str(out), "--png")
    assert proc.returncode == 2
    assert "pip install 'borderflow[png]'" in proc.stderr and "Traceback" not in proc.stderr
    assert (out / "report.html").exists() and not (out / "png").exists()


def test_png_export_failing_in_kaleido_says_how_to_fix(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    from borderflow.report import png

    class NoBrowser:
        layout = type("Layout", (), {"height": None})()

        def to_image(self, **kw: object) -> bytes:
            raise RuntimeError("Kaleido requires Google Chrome to be installed.")

    monkeypatch.setattr(png, "have_kaleido", lambda: True)
    with pytest.raises(png.PngUnavailable, match=r"borderflow\[png\].*Chrome"):
        png.write_pngs({"flows": NoBrowser()}, tmp_path / "png")  # type: ignore[dict-item]
    assert not (tmp_path / "png").exists()
