"""The dashboard's answer time for the flagship: a POST of the scenario form (policy switches
and one edited number) until the results page is back, against `borderflow.simulate` of the
same scenario in the same run (the ratio is the web layer's cost: form, validation, figures,
page, folder).

    python benchmarks/web.py [--repeats N]     # prints one JSON document

Issue 7 asks for the charts "within a second" for the flagship: `within_a_second` says whether
the best answer was.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
import warnings
from pathlib import Path

import borderflow
from borderflow.model import apply_variant
from borderflow.web import Settings, create_app

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # starlette's deprecation notice about httpx, at import
    from fastapi.testclient import TestClient

FLAGSHIP = "/scenarios/builtin/n95-2020"


def best(seconds: list[float]) -> float:
    return min(seconds)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()

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
    doc = {
        "meta": {"repeats": args.repeats, "loadavg": os.getloadavg()},
        "simulate_seconds": best(sim[1:]),
        "web_seconds": best(web),
        "web_over_simulate": best(web) / best(sim[1:]),
        "within_a_second": best(web) < 1.0,
    }
    print(json.dumps(doc, indent=2))


if __name__ == "__main__":
    main()
