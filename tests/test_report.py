"""The HTML reports (run, comparison, sweep): one self-contained offline file each, every
figure, names escaped, rebuilt byte for byte from the folder; PNG export through Chromium."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from plotly.offline import get_plotlyjs

from borderflow import sweep
from borderflow.report import comparison_report, run_report, sweep_report
from borderflow.report.figures import TITLES
from borderflow.report.sweep import FAN_TITLE
from borderflow.report.sweep import TITLES as SWEEP_TITLES
from borderflow.results import compare, simulate
from borderflow.store import read_sweep, run_tables

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


def test_the_sankey_shows_one_commodity_at_a_time() -> None:
    """n95-2020 ships three commodities: one Sankey each, the first shown, a menu to switch;
    each holds only the nodes that ship or receive that commodity (pulp: Harmac and the
    mask plant), and the figure is tall enough for the busiest one's labels."""
    from borderflow.report.figures import flows

    r = simulate("n95-2020", variant="ban-and-retaliation")
    fig = flows(r.flows, r.constraints)
    assert [t.type for t in fig.data] == ["sankey"] * 3
    assert [t.name for t in fig.data] == ["n95", "pulp", "surgical"]
    assert [t.visible for t in fig.data] == [True, False, False]
    (menu,) = fig.layout.updatemenus
    assert [b.label for b in menu.buttons] == ["n95", "pulp", "surgical"]
    assert [b.args[0]["visible"] for b in menu.buttons] == \
        [[True, False, False], [False, True, False], [False, False, True]]
    pulp = fig.data[1]
    assert sorted(pulp.node.label) == ["harmac", "us-mask-gown-plant"]
    assert any("held back by policy ca-pulp-ban" in x for x in pulp.link.label)
    assert fig.layout.height >= 36 * max(len(t.node.label) for t in fig.data)


def test_comparison_report_has_the_heatmap() -> None:
    html = comparison_report(compare("two-country"))
    assert_offline_single_file(html)
    assert TITLES["heatmap"] in html and 'id="figure-heatmap"' in html
    assert "narrow-border" in html
    # a change in a percentage is in percentage points
    assert "<th>Δ unmet pp</th>" in html and re.search(r'<td class="n">[+-]\d+\.\d pp</td>', html)


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


def test_report_command_tells_run_sweep_and_foreign_folders_apart(tmp_path: Path) -> None:
    foreign = bf("report", str(tmp_path))
    assert foreign.returncode == 2 and "Traceback" not in foreign.stderr
    assert "not a borderflow run or sweep folder (no manifest.json)" in foreign.stderr
    missing = bf("report", str(tmp_path / "nowhere"))
    assert missing.returncode == 2 and "no such folder" in missing.stderr
    run = tmp_path / "run"
    assert bf("run", "two-country", "--days", "10", "--out", str(run)).returncode == 0
    (run / "flows.parquet").unlink()
    broken = bf("report", str(run))
    assert broken.returncode == 2 and "not a complete borderflow run folder (missing flows.parquet)" \
        in broken.stderr
    swept = tmp_path / "sweep"
    sweep("two-country", samples=4, chunk_size=2, out=swept)
    assert sweep_report(*read_sweep(swept)).count("<h1>") == 1
    next(swept.glob("chunk-*.parquet")).unlink()
    unfinished = bf("report", str(swept))
    assert unfinished.returncode == 2 and "the sweep is unfinished (1 of 2 chunks done)" in \
        unfinished.stderr and "--resume" in unfinished.stderr
    assert "Traceback" not in broken.stderr + unfinished.stderr


def test_compare_out_writes_a_report(tmp_path: Path) -> None:
    proc = bf("compare", "two-country", "--out", str(tmp_path / "cmp"))
    assert proc.returncode == 0, proc.stderr
    html = (tmp_path / "cmp" / "report.html").read_text()
    assert_offline_single_file(html)
    assert TITLES["heatmap"] in html


def test_sweep_out_writes_a_report_that_report_rebuilds_byte_for_byte(tmp_path: Path) -> None:
    out = tmp_path / "sweep"
    proc = bf("sweep", "n95-2020", "--samples", "12", "--chunk-size", "5", "--variants",
              "history,ban-and-retaliation", "--daily", "mi,on", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    first = (out / "report.html").read_bytes()
    html = first.decode()
    assert_offline_single_file(html)
    for key, title in SWEEP_TITLES.items():
        assert title in html and f'id="figure-{key}"' in html
    for region in ("Michigan", "Ontario"):
        assert FAN_TITLE.format(region) in html
    assert 'id="figure-fan-mi"' in html and 'id="figure-fan-on"' in html
    assert "ban-and-retaliation" in html and "12 per variant" in html
    assert not [p for p in out.iterdir() if p.name.startswith(".")]
    (out / "report.html").unlink()
    assert bf("report", str(out)).returncode == 0
    assert (out / "report.html").read_bytes() == first


def test_sweep_report_without_daily_series_says_how_to_get_fans(tmp_path: Path) -> None:
    sweep("two-country", samples=5, variants=["narrow-border"], out=tmp_path / "s")
    html = sweep_report(*read_sweep(tmp_path / "s"))
    assert_offline_single_file(html)
    assert 'id="figure-stockout_probability"' in html and 'id="figure-unmet_quantiles"' in html
    assert "figure-fan-" not in html and "--daily REGION[,REGION]" in html


def test_sweep_report_takes_names_and_dates_from_the_manifest(tmp_path: Path) -> None:
    sweep("two-country", samples=3, variants=["narrow-border"], out=tmp_path / "s")
    result, info = read_sweep(tmp_path / "s")
    assert info["variant_descriptions"]["narrow-border"] and info["days"] > 0
    html = sweep_report(result, info)
    assert info["variant_descriptions"]["narrow-border"] in html
    assert f"{info['days']} days from {info['start']}" in html
    assert_offline_single_file(html)
    assert 'id="figure-stockout_probability"' in html


def test_sweep_report_escapes_user_names(tmp_path: Path) -> None:
    text = (SCENARIOS / "two-country.yaml").read_text()
    text = text.replace("mi: {country: US, name: Michigan}", f'mi: {{country: US, name: "{EVIL}"}}')
    text = re.sub(r"(?m)^description: .*$", f'description: "{EVIL} & co"', text)
    path = tmp_path / "evil.yaml"
    path.write_text(text)
    sweep(path, samples=3, daily=["mi"], out=tmp_path / "s")
    html = sweep_report(*read_sweep(tmp_path / "s"))
    assert "figure-fan-mi" in html
    assert EVIL not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "alert(1)</script>" not in html.replace(PLOTLYJS, "")


def assert_real_png(path: Path, min_width: int = 800, min_height: int = 300) -> None:
    from PIL import Image

    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path.name} is not a PNG"
    image = Image.open(io.BytesIO(data)).convert("RGB")
    width, height = image.size
    assert min_width <= width <= 4000 and min_height <= height <= 4000, (path.name, image.size)
    colours = image.getcolors(maxcolors=width * height)
    assert colours is not None and len(colours) > 20, f"{path.name} is nearly blank"
    assert max(n for n, _ in colours) < 0.97 * width * height, f"{path.name} is nearly blank"


def test_png_export_of_a_run_writes_every_figure(tmp_path: Path) -> None:
    out = tmp_path / "run"
    assert bf("run", "n95-2020", "--out", str(out)).returncode == 0
    proc = bf("report", str(out), "--png")
    assert proc.returncode == 0, proc.stderr
    pngs = sorted(p.name for p in (out / "png").iterdir())
    assert pngs == sorted(f"{k}.png" for k in ("days_of_supply", "unmet_demand", "flows",
                                               "policy_timeline", "care", "map"))
    for name in pngs:
        assert_real_png(out / "png" / name)


def test_png_export_of_a_sweep_writes_every_figure(tmp_path: Path) -> None:
    out = tmp_path / "sweep"
    sweep("n95-2020", samples=6, variants=["history", "no-controls"], daily=["on"], out=out)
    proc = bf("report", str(out), "--png")
    assert proc.returncode == 0, proc.stderr
    pngs = sorted(p.name for p in (out / "png").iterdir())
    assert pngs == ["fan-on.png", "stockout_probability.png", "unmet_quantiles.png"]
    for name in pngs:
        assert_real_png(out / "png" / name)


def _no_browser_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "BORDERFLOW_CHROMIUM"}
    return {**env, "PATH": str(tmp_path / "empty-bin"), **extra}


def test_png_without_a_browser_says_which_package_to_install(tmp_path: Path) -> None:
    out = tmp_path / "run"
    assert bf("run", "two-country", "--days", "10", "--out", str(out)).returncode == 0
    (out / "report.html").unlink()
    for env, words in ((_no_browser_env(tmp_path), "install Debian's `chromium` package"),
                       (_no_browser_env(tmp_path, BORDERFLOW_CHROMIUM=str(tmp_path / "nope")),
                        "BORDERFLOW_CHROMIUM=")):
        proc = subprocess.run([sys.executable, "-m", "borderflow.cli", "report", str(out), "--png"],
                              capture_output=True, text=True, timeout=300, env=env)
        assert proc.returncode == 2, proc.stderr
        assert words in proc.stderr and "Traceback" not in proc.stderr
        assert (out / "report.html").exists() and not (out / "png").exists()


def test_png_with_a_browser_that_fails_says_so(tmp_path: Path) -> None:
    out = tmp_path / "run"
    assert bf("run", "two-country", "--days", "10", "--out", str(out)).returncode == 0
    env = _no_browser_env(tmp_path, BORDERFLOW_CHROMIUM="/bin/false")
    proc = subprocess.run([sys.executable, "-m", "borderflow.cli", "report", str(out), "--png"],
                          capture_output=True, text=True, timeout=300, env=env)
    assert proc.returncode == 2 and "the browser /bin/false failed to render the figures" in proc.stderr
    assert "Traceback" not in proc.stderr and not (out / "png").exists()


def test_two_writers_of_one_report_never_rename_each_others_half_written_file(
        tmp_path: Path) -> None:
    """The web app and `borderflow report DIR` may write the same report.html at once: each
    writes its own temporary file (a unique name beside the target), so both succeed, the
    last rename wins, and a failed write leaves nothing behind."""
    from borderflow.report import write_report
    from borderflow.store.files import write_file

    target = tmp_path / "report.html"

    def slow_writer(tmp: Path) -> None:
        tmp.write_text("first", encoding="utf-8")
        write_report(tmp_path, "second")  # the other writer, while this one is half done

    assert write_file(target, slow_writer) == target
    assert target.read_text(encoding="utf-8") == "first"
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]

    def failing(tmp: Path) -> None:
        tmp.write_bytes(b"half a PNG")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        write_file(tmp_path / "kpis.png", failing)
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]


def test_the_map_draws_the_days_flows_holds_and_days_of_supply() -> None:
    from borderflow.report import run_figures
    from borderflow.report.network_map import COVER_CAP, HELD, IDLE, SHIPPED

    result = simulate("n95-2020", variant="history")
    tables = run_tables(result)
    fig = run_figures(tables)["map"]
    assert not [t for t in fig.data if t.type != "scatter"]  # no geo trace: no map from a CDN
    steps = fig.layout.sliders[0].steps
    assert len(steps) == result.days and steps[0].label == result.scenario.start.isoformat()
    lanes = {t.name: i for i, t in enumerate(fig.data) if t.name and "->" in t.name}
    targets = list(steps[0].args[1])
    c = tables.constraints
    held = c[c["reason"].fillna("").str.startswith("policy:") & (c["requested"] > c["shipped"])]
    row = held[held["from"] == "3m-aberdeen"].iloc[0]  # the ban holds back 3M's exports
    args = steps[int(row.day)].args[0]
    at = targets.index(lanes[f"{row['from']}->{row['to']}"])
    assert args["line.color"][at] == HELD
    f = tables.flows
    free = f.merge(held[["day", "from", "to"]], how="left", indicator=True)
    free = free[free["_merge"] == "left_only"].iloc[0]
    at = targets.index(lanes[f"{free['from']}->{free['to']}"])
    assert steps[int(free.day)].args[0]["line.color"][at] == SHIPPED
    assert steps[int(free.day)].args[0]["line.width"][at] > 0.8
    assert IDLE in {steps[k].args[0]["line.color"][i] for k in range(len(steps))
                    for i in range(len(lanes))}
    sites = fig.data[targets[-1]]
    names = [h.split("<br>")[0] for h in sites.hovertext]
    day = 40
    s = tables.sites[tables.sites["day"] == day]
    want = [min(float(s[s["node"] == n]["days_of_supply"].min()), COVER_CAP) for n in names]
    got = steps[day].args[0]["marker.color"][-1]
    assert got == pytest.approx(want, abs=0.01)


def test_no_map_without_places() -> None:
    from borderflow.report import run_figures

    text = (SCENARIOS / "two-country.yaml").read_text()
    from borderflow.model import loads

    assert "map" not in run_figures(run_tables(simulate(loads(text))))
    assert "lat:" not in text
