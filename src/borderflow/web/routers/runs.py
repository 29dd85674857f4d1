"""Runs: a run's page, the history from the catalogue, and downloads (report, tables)."""

from __future__ import annotations

import asyncio
from contextlib import suppress
from pathlib import Path
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, Response

from ...model import ScenarioError
from ...store.runs import TABLES
from .. import uploads
from ..runs import Busy
from ..site import BUSY, Site, site

router = APIRouter()


def _folder(s: Site, run_id: str) -> Path:
    folder = s.store.folder(run_id)
    if folder is None:
        raise HTTPException(404, f"no such run: {run_id}")
    return folder


@router.get("/runs/{run_id}", response_class=HTMLResponse)
async def run_page(request: Request, run_id: str) -> Response:
    s = site(request)
    _folder(s, run_id)
    tables = s.store.tables(run_id)
    asked = s.store.form(run_id)
    figs, kpis = s.shown(run_id)
    context: dict[str, Any] = {}
    if asked is None:  # made by `borderflow run`: its results, without the form
        asked = {"run": run_id, "scenario": tables.summary["scenario"],
                 "variant": tables.summary.get("variant"), "changed": [], "cli": True}
    else:
        try:
            base = s.scenario(asked["kind"], asked["key"])
            context = s.form_context(asked["kind"], asked["key"], base, asked["variant"],
                                     set(asked["enabled"]), asked["values"],
                                     allocator=asked["allocator"])
        except (HTTPException, uploads.Rejected):
            pass  # the upload is gone: show the results without the form
    return s.page(request, "scenario.html", **context, run=asked, figures=figs, kpis=kpis,
                  summary=tables.summary, tables=TABLES)


@router.get("/runs", response_class=HTMLResponse)
async def history(request: Request) -> Response:
    s = site(request)
    for done in list(s.store.pending.values()):
        with suppress(Exception):  # a failure shows when the catalogue is read below
            await asyncio.wrap_future(done)
    try:
        entries = s.store.history()
    except ScenarioError as e:
        raise HTTPException(500, f"500: the results catalogue cannot be read: {e}") from None
    return s.page(request, "runs.html", runs=entries, root=s.settings.results)


@router.get("/runs/{run_id}/report.html")
async def report(request: Request, run_id: str) -> Response:
    s = site(request)
    _folder(s, run_id)
    try:  # a report takes longer to build than a run: it counts against the same bound
        path = await s.pool.submit(s.store.report, run_id)
    except Busy:
        raise HTTPException(503, BUSY) from None
    return FileResponse(path, media_type="text/html", filename=f"borderflow-{run_id}-report.html",
                        content_disposition_type="attachment")


@router.get("/runs/{run_id}/tables/{name}.{ext}")
async def download(request: Request, run_id: str, name: str, ext: str) -> Response:
    s = site(request)
    folder = _folder(s, run_id)
    if name not in TABLES or ext not in ("csv", "parquet"):
        raise HTTPException(404, f"no such table: {name}.{ext}")
    filename = f"borderflow-{run_id}-{name}.{ext}"
    if ext == "parquet":
        return FileResponse(folder / f"{name}.parquet", filename=filename,
                            media_type="application/vnd.apache.parquet")
    csv = s.store.tables(run_id).tables[name].to_csv(index=False)
    return Response(csv, media_type="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})
