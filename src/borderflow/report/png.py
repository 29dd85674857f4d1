"""PNG export of the report's figures, for slides, with a Chrome or Chromium already on the
machine (Debian's `chromium` package): nothing is downloaded, at install or at run time.

One headless browser renders every figure: a temporary page holds plotly.js (the copy the
report inlines) and the figures' JSON, asks plotly for each PNG (`Plotly.toImage`, what the
camera button in the report does) and writes the data URLs into the page, which the browser
prints (`--dump-dom`) once the page's work is done (`--virtual-time-budget` lets it run its
timers and promises to the end before printing).

The browser: $BORDERFLOW_CHROMIUM, else the first of BROWSERS on PATH."""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from functools import partial
from pathlib import Path

import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

from ..store.files import write_file

ENV = "BORDERFLOW_CHROMIUM"
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
INSTALL = (f"PNG export needs a Chrome or Chromium browser and found none: install Debian's "
           f"`chromium` package (apt-get install chromium), or set {ENV} to the browser's path")
# Headless, offline and quiet: no GPU, no sandbox (fails as root and in containers), and none of
# the background services that would dial the browser vendor's hosts.
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--hide-scrollbars", "--mute-audio")
TIMEOUT = 120  # seconds of wall time for the whole batch
BUDGET = 60_000  # milliseconds of virtual time the page may take

SCRIPT = """
(async () => {
  for (const [key, fig] of Object.entries(FIGURES)) {
    const div = document.createElement("div");
    document.body.appendChild(div);
    await Plotly.newPlot(div, fig.data, fig.layout, {staticPlot: true});
    const url = await Plotly.toImage(div, {format: "png", width: fig.width, height: fig.height,
                                           scale: SCALE});
    Plotly.purge(div);
    div.remove();
    const out = document.createElement("pre");
    out.id = "png-" + key;
    out.textContent = url;
    document.body.appendChild(out);
  }
  document.body.setAttribute("data-done", "yes");
})().catch((e) => { document.body.setAttribute("data-error", String(e)); })
  .finally(() => { for (const s of document.querySelectorAll("script")) s.remove(); });
"""


class PngUnavailable(RuntimeError):
    """No browser, or the browser failed; the message says why and how to fix it."""


def find_browser() -> str:
    """The browser to render with: $BORDERFLOW_CHROMIUM if set (it must exist), else PATH."""
    chosen = os.environ.get(ENV)
    if chosen:
        found = shutil.which(chosen)
        if found is None:
            raise PngUnavailable(f"{ENV}={chosen} is not an executable browser; {INSTALL}")
        return found
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    raise PngUnavailable(INSTALL)


def _page(figs: Mapping[str, go.Figure], width: int, height: int, scale: float) -> str:
    specs = {}
    for key, fig in figs.items():
        spec = json.loads(fig.to_json())
        spec["width"] = int(fig.layout.width or width)
        spec["height"] = int(fig.layout.height or height)
        specs[key] = spec
    # a `</script>` inside a string must not end the script early
    data = json.dumps(specs).replace("</", "<\\/")
    script = f"const FIGURES = {data};\nconst SCALE = {float(scale)!r};\n{SCRIPT}"
    return ("<!DOCTYPE html><html><head><meta charset=\"utf-8\">"
            f"<script>{get_plotlyjs()}</script></head><body><script>{script}</script>"
            "</body></html>")


def render(figs: Mapping[str, go.Figure], width: int = 1200, height: int = 700,
           scale: float = 1.0) -> dict[str, bytes]:
    """PNG bytes of each figure by key (a figure's own layout width/height win)."""
    browser = find_browser()
    with tempfile.TemporaryDirectory(prefix="borderflow-png-") as tmp:
        page = Path(tmp) / "figures.html"
        page.write_text(_page(figs, width, height, scale), encoding="utf-8")
        cmd = [browser, *FLAGS, f"--user-data-dir={Path(tmp) / 'profile'}",
               f"--virtual-time-budget={BUDGET}", "--dump-dom", page.as_uri()]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT)
        except (OSError, subprocess.TimeoutExpired) as e:
            raise PngUnavailable(f"the browser {browser} failed to render the figures ({e})") from None
    dom = proc.stdout
    error = re.search(r'data-error="([^"]*)"', dom)
    if proc.returncode != 0 or 'data-done="yes"' not in dom:
        why = f"plotly: {error.group(1)}" if error else \
            f"exit code {proc.returncode}: {proc.stderr.strip()[-400:] or 'no output'}"
        raise PngUnavailable(f"the browser {browser} failed to render the figures ({why})")
    images = {}
    for key in figs:
        found = re.search(rf'<pre id="png-{re.escape(key)}">data:image/png;base64,([A-Za-z0-9+/=]+)</pre>',
                          dom)
        if found is None:
            raise PngUnavailable(f"the browser {browser} gave no image for figure {key}")
        images[key] = base64.b64decode(found.group(1))
    return images


def write_pngs(figs: Mapping[str, go.Figure], folder: Path, width: int = 1200,
               height: int = 700, scale: float = 1.0) -> list[Path]:
    """One PNG per figure, named after its key, in `folder` (each written to a temporary file
    and renamed into place); raises PngUnavailable, before writing anything."""
    images = render(figs, width, height, scale)
    folder.mkdir(parents=True, exist_ok=True)
    return [write_file(folder / f"{key}.png", partial(Path.write_bytes, data=data))
            for key, data in images.items()]
