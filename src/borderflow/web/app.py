"""The web app (`borderflow serve`): server-rendered pages over the public API.

`create_app(settings)` builds one app: the shared state (`site.Site`), the guards (token and
host, body limits, CSRF on every form), static files, and the routers (`routers/`): the
scenarios (built-in and uploaded) and running them, a run's page and the history, variants
compared, a variant's shortage attributed to its policies, uploads, plotly's JavaScript.
Every path it touches lives under `settings.results`."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

from fastapi import FastAPI, Request, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..store import catalogue
from .routers import assets, attribution, compare, runs, scenarios, uploads
from .security import BodyLimit, guard
from .settings import Settings
from .site import Site

FORM_BYTES = 2**18  # the largest body of a request other than an upload (a run's form)


def create_app(settings: Settings) -> FastAPI:
    catalogue.check(settings.results)  # a broken catalogue fails now, not at the first run
    site = Site(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        site.pool.executor.submit(site.warm)
        yield
        for done in list(site.store.pending.values()):  # finish registering what has answered
            with suppress(Exception):
                await asyncio.wrap_future(done)
        site.registrar.shutdown(wait=False, cancel_futures=True)
        site.pool.shutdown()

    app = FastAPI(title="borderflow", docs_url=None, redoc_url=None, openapi_url=None,
                  lifespan=lifespan)
    app.state.site = site
    app.middleware("http")(guard(settings.token, settings.hosts))
    upload_bytes = settings.max_files * settings.max_file_bytes + 2**16  # plus the form's text
    # added last, so it runs first: an oversized body is refused before anything reads it
    app.add_middleware(BodyLimit, limit=lambda path: upload_bytes if path == "/upload"
                       else FORM_BYTES)
    app.mount("/static", StaticFiles(packages=[("borderflow.web", "static")]), name="static")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if not hasattr(request.state, "csrf"):
            request.state.csrf = ""
        return site.page(request, "error.html", exc.status_code, message=str(exc.detail))

    for router in (scenarios.router, runs.router, compare.router, attribution.router, uploads.router,
                   assets.router):
        app.include_router(router)
    return app
