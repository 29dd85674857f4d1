"""The web app (`borderflow serve`): server-rendered pages over the public API.

`create_app(settings)` builds one app; every path it touches lives under `settings.results`.
Pages: the scenarios (built-in and uploaded) and an upload form; a scenario's page (network,
variants, policies, a form to switch policies and edit key numbers, then run); a run's page
(the same form, the KPI table and the report's figures); variants compared; run history;
downloads of a run's tables and report."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager, suppress
from dataclasses import replace
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import plotly.io as pio
from fastapi import FastAPI, HTTPException, Request, Response
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, PackageLoader
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..model import Scenario, ScenarioError, apply_variant, builtin_names, load
from ..report import run_figures
from ..report.html import comparison_figures, kpi_table
from ..results import Comparison, Result, RunTables, catalogue, compare, run_tables, simulate
from ..results.store import TABLES
from . import uploads
from .edits import Field, Invalid, edited, fields
from .runs import Busy, Pool, Store
from .security import CSRF_FIELD, BodyLimit, check_csrf, guard
from .settings import Settings

PLOTLY_JS = Path(str(resources.files("plotly") / "package_data" / "plotly.min.js"))
ALLOCATORS = ("priority", "optimal")
FORM_BYTES = 2**18  # the largest body of a request other than an upload (a run's form)
BUSY = "503: busy: every worker is running a scenario and the queue is full; try again in a moment"


def figure_json(fig: Any) -> str:
    """A figure as JSON that is safe inside <script type="application/json">."""
    text: str = pio.to_json(fig, validate=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def shown_figures(tables: RunTables) -> tuple[dict[str, str], str]:
    return ({k: figure_json(f) for k, f in run_figures(tables).items()},
            kpi_table(tables.kpis, tables.info["regions"]))


def create_app(settings: Settings) -> FastAPI:
    catalogue.check(settings.results)  # a broken catalogue fails now, not at the first run
    pool = Pool(settings.workers, settings.queue)
    # registering runs in the catalogue: one at a time, never queued behind runs or reports
    registrar = ThreadPoolExecutor(1, thread_name_prefix="borderflow-register")
    store = Store(settings.results)
    run_fn = settings.run or (lambda s, allocator: simulate(s, allocator=allocator))

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        pool.executor.submit(warm)
        yield
        for done in list(store.pending.values()):  # finish registering what has answered
            with suppress(Exception):
                await asyncio.wrap_future(done)
        registrar.shutdown(wait=False, cancel_futures=True)
        pool.shutdown()

    def warm() -> None:
        """Load the built-in scenarios and draw a small run once, so that the first visitor
        does not wait for the imports and plotly's first figure."""
        for name in builtin_names():
            builtin(name)
        shown_figures(run_tables(simulate(builtin(builtin_names()[0]), days=2)))

    app = FastAPI(title="borderflow", docs_url=None, redoc_url=None, openapi_url=None,
                  lifespan=lifespan)
    app.middleware("http")(guard(settings.token, settings.hosts))
    upload_bytes = settings.max_files * settings.max_file_bytes + 2**16  # plus the form's text
    # added last, so it runs first: an oversized body is refused before anything reads it
    app.add_middleware(BodyLimit, limit=lambda path: upload_bytes if path == "/upload"
                       else FORM_BYTES)
    app.mount("/static", StaticFiles(packages=[("borderflow.web", "static")]), name="static")
    env = Environment(loader=PackageLoader("borderflow.web", "templates"), autoescape=True)
    templates = Jinja2Templates(env=env)

    def page(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
        context.setdefault("csrf", request.state.csrf)
        context.setdefault("csrf_field", CSRF_FIELD)
        return templates.TemplateResponse(request, name, context, status_code=status)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if not hasattr(request.state, "csrf"):
            request.state.csrf = ""
        return page(request, "error.html", exc.status_code, message=str(exc.detail))

    # ---- scenarios ------------------------------------------------------------------------

    @lru_cache(maxsize=64)
    def builtin(name: str) -> Scenario:
        return load(name)

    @lru_cache(maxsize=64)
    def uploaded(key: str) -> Scenario:
        folder = uploads.folder_of(settings.uploads, key)
        assert folder is not None
        return uploads.read(folder, uploads.file_of(folder))

    def scenario(kind: str, key: str) -> Scenario:
        if kind == "builtin" and key in builtin_names():
            return builtin(key)
        if kind == "upload" and uploads.folder_of(settings.uploads, key) is not None:
            return uploaded(key)
        raise HTTPException(404, f"no such scenario: {kind}/{key}")

    def listing() -> dict[str, Any]:
        found = [("builtin", name, builtin(name)) for name in builtin_names()]
        for key in uploads.keys(settings.uploads):
            try:
                found.append(("upload", key, uploaded(key)))
            except uploads.Rejected:
                continue  # e.g. a CSV replaced by a symlink since: the page says why when opened
        return {"scenarios": [{"kind": k, "key": key, "s": s} for k, key, s in found]}

    @app.get("/", response_class=HTMLResponse)
    async def home(request: Request) -> Response:
        return page(request, "home.html", **listing(), limit=settings.max_file_bytes)

    def form_context(kind: str, key: str, base: Scenario, variant: str | None,
                     enabled: set[str] | None = None, values: dict[str, str] | None = None,
                     invalid: Invalid | None = None, allocator: str = "priority") -> dict[str, Any]:
        if variant is not None and variant not in base.variants:
            raise HTTPException(404, f"{base.name} has no variant {variant!r}")
        s = apply_variant(base, variant)
        shown = [Field(f.path, f.label, f.kind, (values or {}).get(f.path, f.value), f.optional,
                       f.policy) for f in fields(s)]
        on = {p.id for p in s.policies if p.enabled} if enabled is None else enabled
        countries = {rid: r.country for rid, r in s.regions.items()}
        node_country = {nid: countries[n.region] for nid, n in s.nodes.items()}
        return {
            "kind": kind, "key": key, "s": base, "variant": variant, "enabled": on,
            "allocator": allocator, "allocators": ALLOCATORS,
            "capacities": [f for f in shown if f.policy is None],
            "policy_fields": {p.id: [f for f in shown if f.policy == p.id] for p in s.policies},
            "policies": s.policies, "invalid": invalid or Invalid(),
            "regions": [(rid, r, [(nid, n) for nid, n in s.nodes.items() if n.region == rid])
                        for rid, r in s.regions.items()],
            "border_lanes": [(lane, node_country[lane.from_], node_country[lane.to])
                             for lane in s.lanes if node_country[lane.from_] != node_country[lane.to]],
        }

    @app.get("/scenarios/{kind}/{key}", response_class=HTMLResponse)
    async def scenario_page(request: Request, kind: str, key: str,
                            variant: str | None = None) -> Response:
        base = _open(request, kind, key)
        if isinstance(base, Response):
            return base
        return page(request, "scenario.html", **form_context(kind, key, base, variant or None))

    def _open(request: Request, kind: str, key: str) -> Scenario | Response:
        try:
            return scenario(kind, key)
        except uploads.Rejected as e:
            return rejected(request, e)

    def job(s: Scenario, form: dict[str, Any]) -> str:
        result: Result = run_fn(s, form["allocator"])
        # what the catalogue and the report call this run: the variant, marked if edited
        label = form["variant"] if not form["changed"] else f"{form['variant'] or 'as written'} (edited)"
        run_id = store.save(replace(result, variant=label), form)
        shown(run_id)  # the figures are drawn here, in the worker, not in the page's handler
        return run_id

    @app.post("/scenarios/{kind}/{key}/run")
    async def run(request: Request, kind: str, key: str) -> Response:
        async with request.form(max_files=0, max_fields=500, max_part_size=2**16) as form:
            check_csrf(request, form)
        base = _open(request, kind, key)
        if isinstance(base, Response):
            return base
        variant = str(form.get("variant") or "") or None
        if variant is not None and variant not in base.variants:
            raise HTTPException(404, f"{base.name} has no variant {variant!r}")
        enabled = {str(v) for v in form.getlist("policy")}
        values = {k.removeprefix("f:"): str(v) for k, v in form.multi_items() if k.startswith("f:")}
        allocator = str(form.get("allocator") or "priority")
        try:
            if allocator not in ALLOCATORS:
                raise Invalid(general=[f"allocator {allocator!r}: choose one of "
                                       f"{', '.join(ALLOCATORS)}"])
            s = edited(base, variant, enabled, values)
        except Invalid as bad:
            return page(request, "scenario.html", 422,
                        **form_context(kind, key, base, variant, enabled, values, bad))
        changed = _changes(base, variant, enabled, values)
        asked = {"kind": kind, "key": key, "scenario": base.name, "variant": variant,
                 "allocator": allocator, "enabled": sorted(enabled), "values": values,
                 "changed": changed,
                 "label": base.name + (f"-{variant}" if variant else "") + ("-edited" if changed else "")}
        try:
            run_id = await pool.submit(job, s, asked)
        except Busy:
            raise HTTPException(503, BUSY) from None
        except ScenarioError as e:  # e.g. the catalogue cannot be written
            raise HTTPException(500, f"500: the run could not be saved: {e}") from None
        # registering and the report follow the answer; history and downloads wait for them
        done = store.pending[run_id] = registrar.submit(store.finish, run_id)
        done.add_done_callback(lambda _: store.pending.pop(run_id, None))
        return RedirectResponse(f"/runs/{run_id}", status_code=303)

    def _changes(base: Scenario, variant: str | None, enabled: set[str],
                 values: dict[str, str]) -> list[str]:
        """What the form changed against the variant, in words, for the run history."""
        s = apply_variant(base, variant)
        out = [f"{p.id} {'on' if p.id in enabled else 'off'}" for p in s.policies
               if p.enabled != (p.id in enabled)]
        out += [f"{f.path} = {values[f.path]}" for f in fields(s)
                if f.path in values and values[f.path].strip() != f.value]
        return out

    # ---- runs -----------------------------------------------------------------------------

    def _run_folder(run_id: str) -> Path:
        folder = store.folder(run_id)
        if folder is None:
            raise HTTPException(404, f"no such run: {run_id}")
        return folder

    @lru_cache(maxsize=16)
    def shown(run_id: str) -> tuple[dict[str, str], str]:
        """A run's figures (as JSON) and KPI table (HTML); a run never changes."""
        return shown_figures(store.tables(run_id))

    @app.get("/runs/{run_id}", response_class=HTMLResponse)
    async def run_page(request: Request, run_id: str) -> Response:
        _run_folder(run_id)
        tables = store.tables(run_id)
        asked = store.form(run_id)
        figs, kpis = shown(run_id)
        context: dict[str, Any] = {}
        if asked is None:  # made by `borderflow run`: its results, without the form
            asked = {"run": run_id, "scenario": tables.summary["scenario"],
                     "variant": tables.summary.get("variant"), "changed": [], "cli": True}
        else:
            try:
                base = scenario(asked["kind"], asked["key"])
                context = form_context(asked["kind"], asked["key"], base, asked["variant"],
                                       set(asked["enabled"]), asked["values"],
                                       allocator=asked["allocator"])
            except (HTTPException, uploads.Rejected):
                pass  # the upload is gone: show the results without the form
        return page(request, "scenario.html", **context, run=asked, figures=figs,
                    kpis=kpis,
                    summary=tables.summary, tables=TABLES)

    @app.get("/runs", response_class=HTMLResponse)
    async def history(request: Request) -> Response:
        for done in list(store.pending.values()):
            with suppress(Exception):  # a failure shows when the catalogue is read below
                await asyncio.wrap_future(done)
        try:
            entries = store.history()
        except ScenarioError as e:
            raise HTTPException(500, f"500: the results catalogue cannot be read: {e}") from None
        return page(request, "runs.html", runs=entries, root=settings.results)

    @app.get("/runs/{run_id}/report.html")
    async def report(run_id: str) -> Response:
        _run_folder(run_id)
        try:  # a report takes longer to build than a run: it counts against the same bound
            path = await pool.submit(store.report, run_id)
        except Busy:
            raise HTTPException(503, BUSY) from None
        return FileResponse(path, media_type="text/html",
                            filename=f"borderflow-{run_id}-report.html",
                            content_disposition_type="attachment")

    @app.get("/runs/{run_id}/tables/{name}.{ext}")
    async def download(run_id: str, name: str, ext: str) -> Response:
        folder = _run_folder(run_id)
        if name not in TABLES or ext not in ("csv", "parquet"):
            raise HTTPException(404, f"no such table: {name}.{ext}")
        filename = f"borderflow-{run_id}-{name}.{ext}"
        if ext == "parquet":
            return FileResponse(folder / f"{name}.parquet", filename=filename,
                                media_type="application/vnd.apache.parquet")
        csv = store.tables(run_id).tables[name].to_csv(index=False)
        return Response(csv, media_type="text/csv",
                        headers={"Content-Disposition": f'attachment; filename="{filename}"'})

    # ---- compare --------------------------------------------------------------------------

    @lru_cache(maxsize=16)
    def compared(kind: str, key: str) -> Comparison:
        return compare(scenario(kind, key))

    @app.get("/scenarios/{kind}/{key}/compare", response_class=HTMLResponse)
    async def compare_page(request: Request, kind: str, key: str) -> Response:
        base = _open(request, kind, key)
        if isinstance(base, Response):
            return base
        if not base.variants:
            raise HTTPException(404, f"{base.name} has no variants to compare")
        try:
            c = await pool.submit(compared, kind, key)
        except Busy:
            raise HTTPException(503, BUSY) from None
        figs = {k: figure_json(f) for k, f in comparison_figures(c).items()}
        keys = list(dict.fromkeys(zip(c.table["region"], c.table["commodity"], strict=True)))
        cells = {(r.region, r.commodity, r.variant): r for r in c.table.itertuples(index=False)}
        return page(request, "compare.html", kind=kind, key=key, s=base, c=c, figures=figs,
                    rows=[(reg, com, [cells.get((reg, com, v)) for v in c.results])
                          for reg, com in keys])

    # ---- uploads --------------------------------------------------------------------------

    async def _read(f: UploadFile, name: str) -> bytes:
        data = await f.read(settings.max_file_bytes + 1)
        if len(data) > settings.max_file_bytes:
            raise HTTPException(413, f"413: {name} is larger than the limit of "
                                f"{settings.max_file_bytes / 2**20:g} MiB per file")
        return data

    def rejected(request: Request, e: uploads.Rejected) -> Response:
        by_line: dict[int, list[str]] = {}
        lines = e.text.splitlines() or [""]
        for p in e.problems:
            line = min(max(p.line, 1), len(lines))
            by_line.setdefault(line, []).append(str(p))
        return page(request, "upload_error.html", 400, file=e.file, lines=lines, by_line=by_line,
                    count=len(e.problems))

    @app.post("/upload")
    async def upload(request: Request) -> Response:
        async with request.form(max_files=settings.max_files, max_fields=50) as form:
            check_csrf(request, form)
            main = form.get("scenario")
            if not isinstance(main, UploadFile) or not main.filename:
                raise HTTPException(400, "400: choose a scenario YAML file to upload")
            yaml = await _read(main, uploads.display_name(main.filename))
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
                csvs[name] = await _read(f, name)
        try:
            key = uploads.store(settings.uploads, main.filename, yaml, csvs, settings.max_uploads)
        except uploads.Refused as e:
            raise HTTPException(e.status, f"{e.status}: {e}") from None
        except uploads.Rejected as e:
            return rejected(request, e)
        return RedirectResponse(f"/scenarios/upload/{key}", status_code=303)

    # ---- assets ---------------------------------------------------------------------------

    @app.get("/plotly.min.js")
    async def plotly_js() -> Response:
        # plotly's own bundle, from the installed package: no CDN, works offline
        return FileResponse(PLOTLY_JS, media_type="text/javascript",
                            headers={"Cache-Control": "public, max-age=86400"})

    return app
