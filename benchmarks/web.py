"""The dashboard's answer time for the flagship: a POST of the scenario form (policy switches
and one edited number) until the results page is back, against `borderflow.simulate` of the
same scenario in the same run (the ratio is the web layer's cost: form, validation, figures,
page, folder); and the attribution page's (its form POST until the page with the waterfalls
is back) against `borderflow.attribute` of the same variant and policies, for the scenario
as written and `ban-and-retaliation`, timed in turns so both see the same load.

    python benchmarks/web.py [--repeats N] [--quick]     # prints one JSON document

Issue 7 asks for the charts "within a second" for the flagship: `within_a_second` says whether
the best answer was. Issue 13 asks for the attribution page within 5 seconds: each case's
`verdict` is PASS or FAIL against `target_seconds`. `--quick` (what the test runs) makes one
repeat and attributes only the first four policies of each case (16 coalitions): the shape of
the document, not the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

import borderflow
from borderflow.model import Scenario, apply_variant
from borderflow.store.manifest import variant_label
from borderflow.studies.attribution import players
from borderflow.web import Settings, create_app

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # starlette's deprecation notice about httpx, at import
    from fastapi.testclient import TestClient

FLAGSHIP = "/scenarios/builtin/n95-2020"
ATTRIBUTION_CASES = (None, "ban-and-retaliation")  # the scenario as written, the retaliation
ATTRIBUTION_TARGET = 5.0  # seconds, issue 13
QUICK_PLAYERS = 4


def best(seconds: list[float]) -> float:
    return min(seconds)


def attribution_case(client: TestClient, scenario: Scenario, variant: str | None,
                     repeats: int, quick: bool) -> dict[str, Any]:
    """The best of `repeats` (after one warm-up each) of `borderflow.attribute` and of the
    page's POST, in turns."""
    names = players(apply_variant(scenario, variant), None)[:QUICK_PLAYERS if quick else None]
    form = {"csrf": client.cookies.get("borderflow_csrf"), "variant": variant or "",
            "policy": names}
    api: list[float] = []
    web: list[float] = []
    for _ in range(repeats + 1):
        t = time.perf_counter()
        borderflow.attribute(scenario, variant=variant, policies=names)
        api.append(time.perf_counter() - t)
        t = time.perf_counter()
        page = client.post(f"{FLAGSHIP}/attribute", data=form)
        web.append(time.perf_counter() - t)
        if page.status_code != 200 or 'data-figure="figure-waterfall-' not in page.text:
            raise SystemExit(f"the attribution page answered {page.status_code} without its "
                             "waterfalls")
    seconds = best(web[1:])
    return {"variant": variant_label(variant or ""), "policies": len(names),
            "coalitions": 2 ** len(names), "attribute_seconds": best(api[1:]),
            "web_seconds": seconds, "web_over_attribute": seconds / best(api[1:]),
            "target_seconds": ATTRIBUTION_TARGET,
            "verdict": "PASS" if seconds < ATTRIBUTION_TARGET else "FAIL"}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--quick", action="store_true",
                    help="one repeat, four policies per attribution: the document's shape")
    args = ap.parse_args()
    if args.quick:
        args.repeats = 1

    scenario = borderflow.load("n95-2020")
    policies = [p.id for p in apply_variant(scenario, "history").policies if p.enabled]
    sim: list[float] = []
    for _ in range(args.repeats + 1):
        t = time.perf_counter()
        borderflow.simulate(scenario, variant="history")
        sim.append(time.perf_counter() - t)

    web: list[float] = []
    with tempfile.TemporaryDirectory() as root, \
            TestClient(create_app(Settings(Path(root)))) as client:
        client.get("/")
        csrf = client.cookies.get("borderflow_csrf")
        form = {"csrf": csrf, "variant": "history", "policy": policies,
                "f:policies.us-export-ban.end": ""}
        for i in range(args.repeats + 1):
            client.get("/runs")  # waits for the last run's registration: an idle server
            t = time.perf_counter()
            page = client.post(f"{FLAGSHIP}/run", data=form)
            elapsed = time.perf_counter() - t
            if page.status_code != 200:
                raise SystemExit(f"the dashboard answered {page.status_code}")
            if i:  # the first answer warms imports and caches
                web.append(elapsed)
        cases = [attribution_case(client, scenario, v, args.repeats, args.quick)
                 for v in ATTRIBUTION_CASES]
    doc = {
        "meta": {"repeats": args.repeats, "quick": args.quick, "loadavg": os.getloadavg()},
        "simulate_seconds": best(sim[1:]),
        "web_seconds": best(web),
        "web_over_simulate": best(web) / best(sim[1:]),
        "within_a_second": best(web) < 1.0,
        "attribution": {"target_seconds": ATTRIBUTION_TARGET, "cases": cases,
                        "verdict": "PASS" if all(c["verdict"] == "PASS" for c in cases)
                        else "FAIL"},
    }
    print(json.dumps(doc, indent=2))


if __name__ == "__main__":
    main()
