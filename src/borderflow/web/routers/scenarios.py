"""The scenarios: the list (home), a scenario's page with its form, and running it."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ...model import Scenario, ScenarioError, apply_variant
from ..edits import Invalid, edited, fields
from ..runs import Busy
from ..security import check_csrf
from ..site import ALLOCATORS, BUSY, site

router = APIRouter()


@router.get("/", response_class=HTMLResponse)
async def home(request: Request) -> Response:
    s = site(request)
    return s.page(request, "home.html", **s.listing(), limit=s.settings.max_file_bytes)


@router.get("/scenarios/{kind}/{key}", response_class=HTMLResponse)
async def scenario_page(request: Request, kind: str, key: str,
                        variant: str | None = None) -> Response:
    s = site(request)
    base = s.open(request, kind, key)
    if isinstance(base, Response):
        return base
    return s.page(request, "scenario.html", **s.form_context(kind, key, base, variant or None))


def _changes(base: Scenario, variant: str | None, enabled: set[str],
             values: dict[str, str]) -> list[str]:
    """What the form changed against the variant, in words, for the run history."""
    s = apply_variant(base, variant)
    out = [f"{p.id} {'on' if p.id in enabled else 'off'}" for p in s.policies
           if p.enabled != (p.id in enabled)]
    out += [f"{f.path} = {values[f.path]}" for f in fields(s)
            if f.path in values and values[f.path].strip() != f.value]
    return out


@router.post("/scenarios/{kind}/{key}/run")
async def run(request: Request, kind: str, key: str) -> Response:
    s = site(request)
    async with request.form(max_files=0, max_fields=500, max_part_size=2**16) as form:
        check_csrf(request, form)
    base = s.open(request, kind, key)
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
        scenario = edited(base, variant, enabled, values)
    except Invalid as bad:
        return s.page(request, "scenario.html", 422,
                      **s.form_context(kind, key, base, variant, enabled, values, bad))
    changed = _changes(base, variant, enabled, values)
    asked = {"kind": kind, "key": key, "scenario": base.name, "variant": variant,
             "allocator": allocator, "enabled": sorted(enabled), "values": values,
             "changed": changed,
             "label": base.name + (f"-{variant}" if variant else "") + ("-edited" if changed else "")}
    try:
        run_id = await s.pool.submit(s.job, scenario, asked)
    except Busy:
        raise HTTPException(503, BUSY) from None
    except ScenarioError as e:  # e.g. the catalogue cannot be written
        raise HTTPException(500, f"500: the run could not be saved: {e}") from None
    # registering and the report follow the answer; history and downloads wait for them
    done = s.store.pending[run_id] = s.registrar.submit(s.store.finish, run_id)
    done.add_done_callback(lambda _: s.store.pending.pop(run_id, None))
    return RedirectResponse(f"/runs/{run_id}", status_code=303)
