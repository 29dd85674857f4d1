"""plotly's JavaScript, from the installed package: no CDN, works offline."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse, Response

PLOTLY_JS = Path(str(resources.files("plotly") / "package_data" / "plotly.min.js"))

router = APIRouter()


@router.get("/plotly.min.js")
async def plotly_js() -> Response:
    return FileResponse(PLOTLY_JS, media_type="text/javascript",
                        headers={"Cache-Control": "public, max-age=86400"})
