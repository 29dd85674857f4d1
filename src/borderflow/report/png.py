"""PNG export of the report's figures, for slides. Needs the optional `kaleido` package
(`pip install 'borderflow[png]'`), which itself drives a Chrome or Chromium browser."""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping
from pathlib import Path

import plotly.graph_objects as go

INSTALL = ("PNG export needs the optional kaleido package and a Chrome/Chromium browser: "
           "pip install 'borderflow[png]' (then, without a browser, run `plotly_get_chrome` "
           "once, which downloads one)")


class PngUnavailable(RuntimeError):
    """kaleido is not installed (or cannot find a browser); the message says how to fix it."""


def have_kaleido() -> bool:
    return importlib.util.find_spec("kaleido") is not None


def write_pngs(figs: Mapping[str, go.Figure], folder: Path, width: int = 1200,
               height: int = 700) -> list[Path]:
    """One PNG per figure, named after its key, in `folder`; raises PngUnavailable."""
    if not have_kaleido():
        raise PngUnavailable(INSTALL)
    images = {}
    for key, fig in figs.items():
        try:
            images[key] = fig.to_image(format="png", width=width, height=fig.layout.height or height)
        except Exception as e:  # kaleido without a browser fails here, not at import
            raise PngUnavailable(f"{INSTALL} ({type(e).__name__}: {e})") from e
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for key, data in images.items():
        path = folder / f"{key}.png"
        path.write_bytes(data)
        written.append(path)
    return written
