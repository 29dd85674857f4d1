"""Who caused the shortage: a variant's policies attributed (`borderflow.attribute`, Shapley
values over the chosen policies), computed in the worker pool like a run, shown with the
report's waterfalls and heatmaps and its table of the largest contributions."""

from __future__ import annotations

import threading
import time
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from ...model import Scenario, ScenarioError, UsageError, apply_variant
from ...report.attribution import attribution_figures, largest_table
from ...report.html import schema_table
from ...results.schema import ATTRIBUTION_CARE_TOTALS
from ...store import attribution_tables
from ...studies import attribute
from ...studies.attribution import EXACT_LIMIT, players
from ..runs import Busy
from ..security import check_csrf
from ..site import BUSY, figure_json, site

router = APIRouter()

# One attribution at a time in this process: `attribute` keeps the network it works on in a
# module-level cache that a second attribution in another thread would replace mid-run, and
# each one uses a core to the full anyway.
_one_at_a_time = threading.Lock()


def attributed(s: Scenario, variant: str | None, policies: list[str]) -> dict[str, Any]:
    """A worker's job: the attribution, its figures as JSON and its tables as HTML."""
    with _one_at_a_time:
        t0 = time.perf_counter()
        a = attribute(s, variant=variant, policies=policies)
        seconds = time.perf_counter() - t0
    t = attribution_tables(a)
    names = t.manifest["regions"]
    return {"doc": t.document, "seconds": seconds,
            "figures": {k: figure_json(f) for k, f in attribution_figures(t).items()},
            "largest": largest_table(t),
            "care": schema_table(t.care_totals, ATTRIBUTION_CARE_TOTALS, names)
            if len(t.care_totals) else ""}


def _variant(base: Scenario, variant: str | None) -> str | None:
    if variant is not None and variant not in base.variants:
        raise HTTPException(404, f"{base.name} has no variant {variant!r}")
    return variant


def _context(kind: str, key: str, base: Scenario, variant: str | None,
             chosen: list[str] | None = None) -> dict[str, Any]:
    """The form: the variant's policies in force (only those can contribute), the default
    players ticked unless `chosen` says otherwise."""
    s = apply_variant(base, variant)
    return {"kind": kind, "key": key, "s": base, "variant": variant,
            "policies": [p for p in s.policies if p.enabled],
            "chosen": set(players(s, None) if chosen is None else chosen),
            "exact_limit": EXACT_LIMIT}


@router.get("/scenarios/{kind}/{key}/attribute", response_class=HTMLResponse)
async def attribution_form(request: Request, kind: str, key: str,
                           variant: str | None = None) -> Response:
    s = site(request)
    base = s.open(request, kind, key)
    if isinstance(base, Response):
        return base
    return s.page(request, "attribution.html",
                  **_context(kind, key, base, _variant(base, variant or None)))


@router.post("/scenarios/{kind}/{key}/attribute", response_class=HTMLResponse)
async def attribution_page(request: Request, kind: str, key: str) -> Response:
    s = site(request)
    async with request.form(max_files=0, max_fields=500, max_part_size=2**16) as form:
        check_csrf(request, form)
    base = s.open(request, kind, key)
    if isinstance(base, Response):
        return base
    variant = _variant(base, str(form.get("variant") or "") or None)
    chosen = [str(v) for v in form.getlist("policy")]
    context = _context(kind, key, base, variant, chosen)
    if not chosen:
        return s.page(request, "attribution.html", 422, **context,
                      problem="tick at least one policy to attribute")
    try:
        shown = await s.pool.submit(attributed, base, variant, chosen)
    except Busy:
        raise HTTPException(503, BUSY) from None
    except UsageError as e:  # e.g. a policy this variant does not enable
        return s.page(request, "attribution.html", 422, **context, problem=e.message)
    except ScenarioError as e:
        return s.page(request, "attribution.html", 422, **context, problem=str(e))
    return s.page(request, "attribution.html", **context, result=shown,
                  figures=shown["figures"])
