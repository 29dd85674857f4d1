"""Uploading a scenario (YAML or a workbook and the CSV files its series read, or its CSV
tables)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import UploadFile

from .. import uploads
from ..security import check_csrf
from ..site import Site, site

router = APIRouter()


async def _read(s: Site, f: UploadFile, name: str) -> bytes:
    limit = s.settings.max_file_bytes
    data = await f.read(limit + 1)
    if len(data) > limit:
        raise HTTPException(413, f"413: {name} is larger than the limit of {limit / 2**20:g} MiB "
                            "per file")
    return data


@router.post("/upload")
async def upload(request: Request) -> Response:
    s = site(request)
    async with request.form(max_files=s.settings.max_files, max_fields=50) as form:
        check_csrf(request, form)
        main = form.get("scenario")
        given = isinstance(main, UploadFile) and bool(main.filename)
        data = await _read(s, main, uploads.display_name(main.filename)) \
            if isinstance(main, UploadFile) and given else None
        csvs: dict[str, bytes] = {}
        for f in form.getlist("csv"):
            if not isinstance(f, UploadFile) or not f.filename:
                continue  # the browser sends an empty part when no CSV is chosen
            try:
                name = uploads.csv_name(f.filename)
            except uploads.Refused as e:
                raise HTTPException(e.status, f"{e.status}: {e}") from None
            if name in csvs:
                raise HTTPException(400, f"400: two CSV files named {name}")
            csvs[name] = await _read(s, f, name)
    try:
        key = uploads.store(s.settings.uploads, main.filename if isinstance(main, UploadFile)
                            else None, data, csvs, s.settings.max_uploads)
    except uploads.Refused as e:
        raise HTTPException(e.status, f"{e.status}: {e}") from None
    except uploads.Rejected as e:
        return s.rejected(request, e)
    return RedirectResponse(f"/scenarios/upload/{key}", status_code=303)
