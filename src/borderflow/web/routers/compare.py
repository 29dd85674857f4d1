"""Variants compared: who is hurt by which policy."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from ...report.html import comparison_figures
from ..runs import Busy
from ..site import BUSY, figure_json, site

router = APIRouter()


@router.get("/scenarios/{kind}/{key}/compare", response_class=HTMLResponse)
async def compare_page(request: Request, kind: str, key: str) -> Response:
    s = site(request)
    base = s.open(request, kind, key)
    if isinstance(base, Response):
        return base
    if not base.variants:
        raise HTTPException(404, f"{base.name} has no variants to compare")
    try:
        c = await s.pool.submit(s.compared, kind, key)
    except Busy:
        raise HTTPException(503, BUSY) from None
    figs = {k: figure_json(f) for k, f in comparison_figures(c).items()}
    keys = list(dict.fromkeys(zip(c.table["region"], c.table["commodity"], strict=True)))
    cells = {(r.region, r.commodity, r.variant): r for r in c.table.itertuples(index=False)}
    return s.page(request, "compare.html", kind=kind, key=key, s=base, c=c, figures=figs,
                  rows=[(reg, com, [cells.get((reg, com, v)) for v in c.results])
                        for reg, com in keys])
