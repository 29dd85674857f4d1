"""The manifest: one file, `manifest.json`, in every results folder (a run, a comparison, a
sweep), in one format. It says what the folder is, for the catalogue, the reports and resume:

    {"borderflow": 1, "kind": "run" | "compare" | "sweep" | "sensitivity" | "stress" | "attribution",
     "version", "created",
     "scenario", "description", "start", "days", "scenario_sha256",
     "regions": {id: {name, country}}, "variant_descriptions": {name: description},
     "commodities": {id: {unit}},      # what reports say one unit is
     "nodes": {id: {kind, region, place: [lat, lon] | null}},   # where the map draws them
     "variants": [...]                 # run: the one it ran; "" is the scenario as written
     "allocator", "rolling": {"window", "commit"} | null,
     "seed", "samples", "chunk_size", "daily": [...],   # sweeps (null or [] otherwise)
     "columns": [...]                  # sweeps: the KPI columns of its chunks
     "summary": "one line for people"}
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path
from typing import Any

from .._version import __version__
from ..model import Problem, Scenario, ScenarioError
from .files import write_text

FILE = "manifest.json"
FORMAT = 1
KINDS = ("run", "compare", "sweep", "sensitivity", "stress", "attribution")
AS_WRITTEN = "(as written)"  # how tables and lists name the scenario without a variant


def content_hash(s: Scenario) -> str:
    """SHA-256 of the validated scenario (as JSON): equal hashes, equal scenarios."""
    return hashlib.sha256(s.model_dump_json(by_alias=True).encode()).hexdigest()


def manifest(kind: str, s: Scenario, variants: list[str | None], allocator: str, *,
             days: int | None = None, rolling: tuple[int, int] | None = None,
             summary: str = "", seed: int | None = None, samples: int | None = None,
             chunk_size: int | None = None, daily: tuple[str, ...] = ()) -> dict[str, Any]:
    """The manifest of a folder of `kind` about scenario `s` (a run's: its variant applied)."""
    assert kind in KINDS
    return {
        "borderflow": FORMAT, "kind": kind, "version": __version__,
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "scenario": s.name, "description": s.description, "start": s.start.isoformat(),
        "days": s.days if days is None else days, "scenario_sha256": content_hash(s),
        "regions": {rid: {"name": r.name or rid, "country": r.country}
                    for rid, r in s.regions.items()},
        "nodes": {nid: {"kind": n.kind, "region": n.region, "place": s.place(nid)}
                  for nid, n in s.nodes.items()},
        "commodities": {cid: {"unit": c.unit} for cid, c in s.commodities.items()},
        "variant_descriptions": {name: v.description for name, v in s.variants.items()},
        "variants": [v or "" for v in variants], "allocator": allocator,
        "rolling": None if rolling is None else {"window": rolling[0], "commit": rolling[1]},
        "seed": seed, "samples": samples, "chunk_size": chunk_size, "daily": list(daily),
        "summary": summary,
    }


def identity(m: dict[str, Any]) -> dict[str, Any]:
    """What makes two sweeps the same sweep (everything but when and by which version)."""
    return {k: m.get(k) for k in ("kind", "scenario", "scenario_sha256", "variants", "allocator",
                                  "seed", "samples", "chunk_size", "daily")}


def variant_label(v: str) -> str:
    return v or AS_WRITTEN


def write(folder: Path, m: dict[str, Any]) -> Path:
    return write_text(folder / FILE, json.dumps(m, indent=2) + "\n")


def read(folder: Path, field: str = "DIR") -> dict[str, Any]:
    """The manifest of `folder`; bad input naming the folder when it has none or a broken one."""
    path = Path(folder) / FILE
    if not path.is_file():
        raise ScenarioError([Problem(str(folder), 1, (field,), "not a borderflow results folder "
                                     f"(no {FILE}); write one with `borderflow run`, `compare "
                                     "--out` or `sweep`")])
    try:
        m = json.loads(path.read_text())
    except (OSError, ValueError) as e:
        raise ScenarioError([Problem(str(path), 1, (field,), f"is unreadable ({e})")]) from None
    if not isinstance(m, dict) or m.get("kind") not in KINDS:
        raise ScenarioError([Problem(str(path), 1, (field,), "is not a borderflow manifest")])
    if m.get("borderflow") != FORMAT:
        raise ScenarioError([Problem(str(path), 1, (field,), f"has manifest format "
                                     f"{m.get('borderflow')}; this borderflow reads {FORMAT}")])
    return m
