"""What every page of the app shares: the settings, the worker pool, the runs' store, the
templates and the scenarios (built-in and uploaded), cached. One `Site` per app; the routers
reach it through the request (`site(request)`)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from functools import lru_cache
from typing import Any

import plotly.io as pio
from fastapi import HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, PackageLoader

from ..model import Scenario, apply_variant, builtin_names, load
from ..report import run_figures
from ..report.html import kpi_table
from ..results import Comparison, Result, compare, simulate
from ..store import RunTables, run_tables
from . import uploads
from .edits import Field, Invalid, fields
from .runs import Pool, Store
from .security import CSRF_FIELD
from .settings import Settings

ALLOCATORS = ("priority", "optimal")
BUSY = "503: busy: every worker is running a scenario and the queue is full; try again in a moment"


def figure_json(fig: Any) -> str:
    """A figure as JSON that is safe inside <script type="application/json">."""
    text: str = pio.to_json(fig, validate=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def shown_figures(tables: RunTables) -> tuple[dict[str, str], str]:
    return ({k: figure_json(f) for k, f in run_figures(tables).items()},
            kpi_table(tables.kpis, tables.manifest["regions"]))


class Site:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.pool = Pool(settings.workers, settings.queue)
        # registering runs in the catalogue: one at a time, never queued behind runs or reports
        self.registrar = ThreadPoolExecutor(1, thread_name_prefix="borderflow-register")
        self.store = Store(settings.results)
        self.run_fn = settings.run or (lambda s, allocator: simulate(s, allocator=allocator))
        env = Environment(loader=PackageLoader("borderflow.web", "templates"), autoescape=True)
        self.templates = Jinja2Templates(env=env)
        self.builtin = lru_cache(maxsize=64)(load)
        self.uploaded = lru_cache(maxsize=64)(self._uploaded)
        self.shown = lru_cache(maxsize=16)(self._shown)
        self.compared = lru_cache(maxsize=16)(self._compared)

    def page(self, request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
        context.setdefault("csrf", request.state.csrf)
        context.setdefault("csrf_field", CSRF_FIELD)
        return self.templates.TemplateResponse(request, name, context, status_code=status)

    # ---- scenarios --------------------------------------------------------------------------

    def _uploaded(self, key: str) -> Scenario:
        folder = uploads.folder_of(self.settings.uploads, key)
        assert folder is not None
        return uploads.read(folder, uploads.file_of(folder))

    def scenario(self, kind: str, key: str) -> Scenario:
        if kind == "builtin" and key in builtin_names():
            return self.builtin(key)
        if kind == "upload" and uploads.folder_of(self.settings.uploads, key) is not None:
            return self.uploaded(key)
        raise HTTPException(404, f"no such scenario: {kind}/{key}")

    def open(self, request: Request, kind: str, key: str) -> Scenario | Response:
        """The scenario, or the page saying why an upload is refused."""
        try:
            return self.scenario(kind, key)
        except uploads.Rejected as e:
            return self.rejected(request, e)

    def listing(self) -> dict[str, Any]:
        found = [("builtin", name, self.builtin(name)) for name in builtin_names()]
        for key in uploads.keys(self.settings.uploads):
            try:
                found.append(("upload", key, self.uploaded(key)))
            except uploads.Rejected:
                continue  # e.g. a CSV replaced by a symlink since: the page says why when opened
        return {"scenarios": [{"kind": k, "key": key, "s": s} for k, key, s in found]}

    def rejected(self, request: Request, e: uploads.Rejected) -> Response:
        by_line: dict[int, list[str]] = {}
        lines = e.text.splitlines() or [""]
        for p in e.problems:
            line = min(max(p.line, 1), len(lines))
            by_line.setdefault(line, []).append(str(p))
        return self.page(request, "upload_error.html", 400, file=e.file, lines=lines,
                         by_line=by_line, count=len(e.problems))

    def form_context(self, kind: str, key: str, base: Scenario, variant: str | None,
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

    def _compared(self, kind: str, key: str) -> Comparison:
        return compare(self.scenario(kind, key))

    # ---- runs -------------------------------------------------------------------------------

    def _shown(self, run_id: str) -> tuple[dict[str, str], str]:
        """A run's figures (as JSON) and KPI table (HTML); a run never changes."""
        return shown_figures(self.store.tables(run_id))

    def job(self, s: Scenario, form: dict[str, Any]) -> str:
        """Run a scenario from the form, save it, draw its figures (in a worker)."""
        result: Result = self.run_fn(s, form["allocator"])
        # what the catalogue and the report call this run: the variant, marked if edited
        label = form["variant"] if not form["changed"] else f"{form['variant'] or 'as written'} (edited)"
        run_id = self.store.save(replace(result, variant=label), form)
        self.shown(run_id)  # the figures are drawn here, in the worker, not in the page's handler
        return run_id

    def warm(self) -> None:
        """Load the built-in scenarios and draw a small run once, so that the first visitor
        does not wait for the imports and plotly's first figure."""
        for name in builtin_names():
            self.builtin(name)
        shown_figures(run_tables(simulate(self.builtin(builtin_names()[0]), days=2)))


def site(request: Request) -> Site:
    """The Site of the app serving `request`."""
    found: Site = request.app.state.site
    return found
