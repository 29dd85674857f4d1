"""The network on a map: country outlines, every lane as a line whose width is the day's
shipments, red where a policy held a request back that day, sites coloured by their days of
supply, and a slider to step through the days.

Offline by construction: the outlines are package data (`world.json`: Natural Earth's 1:110m
countries, public domain; `scripts/make-world-map.py` says how it was made) drawn as ordinary
x/y traces (longitude, latitude), so plotly never fetches its own map shapes from a CDN.
It draws what the run's tables say; it computes nothing but sums for the lines' widths."""

from __future__ import annotations

import json
import math
from functools import cache
from html import escape
from importlib import resources
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

TITLE = "The network on a map, day by day (line width: units shipped; red: held back by " \
    "policy; sites by days of supply)"
SHIPPED, HELD, IDLE = "rgba(31, 119, 180, 0.75)", "rgba(214, 39, 40, 0.85)", \
    "rgba(120, 120, 120, 0.25)"
MAX_WIDTH = 9.0
MAX_LANES = 300  # the lanes that carried most; more would hide the map
COVER_CAP = 14.0  # days of supply at which a site is full green
SYMBOLS = {"plant": "square", "warehouse": "diamond", "broker": "circle-open",
           "stockpile": "triangle-up", "site": "circle"}


@cache
def world() -> list[list[list[float]]]:
    """Every ring of every country's outline, as [lon, lat] points."""
    doc = json.loads(resources.files("borderflow.report").joinpath("world.json")
                     .read_text(encoding="utf-8"))
    return [ring for country in doc["countries"] for ring in country["rings"]]


def places(nodes: dict[str, Any]) -> dict[str, tuple[float, float]]:
    """node -> (lat, lon), from a manifest's `nodes`, for the nodes that have a place. Where
    they span more than half the globe's longitudes, west longitudes count from 180 to 360,
    so the map is centred on the Pacific (China beside the Americas, not across Europe)."""
    out = {nid: (float(n["place"][0]), float(n["place"][1]))
           for nid, n in nodes.items() if n.get("place")}
    lons = [lon for _, lon in out.values()]
    if lons and max(lons) - min(lons) > 180:
        out = {nid: (lat, lon % 360) for nid, (lat, lon) in out.items()}
    return out


def drawable(nodes: dict[str, Any]) -> bool:
    """A map is worth drawing when at least two nodes have distinct places."""
    return len(set(places(nodes).values())) >= 2


def _outline(box: tuple[float, float, float, float]) -> tuple[list[float | None], list[float | None]]:
    lon0, lon1, lat0, lat1 = box
    xs: list[float | None] = []
    ys: list[float | None] = []
    for ring in world():
        pts = np.asarray(ring)
        if lon1 > 180 and pts[:, 0].max() <= 0:  # a map centred on the Pacific (`places`)
            pts = pts + np.array([360.0, 0.0])
        if pts[:, 0].max() < lon0 or pts[:, 0].min() > lon1 or pts[:, 1].max() < lat0 \
                or pts[:, 1].min() > lat1:
            continue
        xs += [*pts[:, 0].tolist(), None]
        ys += [*pts[:, 1].tolist(), None]
    return xs, ys


def _steps(days: int) -> list[int]:
    """The days the slider stops at: every day, or every 7th over a long horizon."""
    return list(range(0, days, 1 if days <= 120 else 7))


def network_map(nodes: dict[str, Any], flows: pd.DataFrame, constraints: pd.DataFrame,
                sites: pd.DataFrame, start: Any, days: int) -> go.Figure:
    """The map figure from a run's manifest (`nodes`: kind and place) and tables."""
    where = places(nodes)
    lats = [p[0] for p in where.values()]
    lons = [p[1] for p in where.values()]
    pad = max(2.0, 0.08 * max(max(lons) - min(lons), max(lats) - min(lats)))
    box = (min(lons) - pad, max(lons) + pad, min(lats) - pad, max(lats) + pad)
    steps = _steps(days)
    step_of = np.searchsorted(np.asarray(steps), np.arange(days), side="right") - 1

    def by_step(frame: pd.DataFrame, value: str) -> pd.DataFrame:
        f = frame[frame["from"].isin(where) & frame["to"].isin(where)]
        f = f.assign(step=step_of[f["day"].to_numpy()])
        return f.groupby(["from", "to", "step", "commodity"], observed=True)[value].sum() \
            .reset_index()

    shipped = by_step(flows, "quantity")
    held_rows = constraints[constraints["reason"].fillna("").str.startswith("policy:")]
    held = by_step(held_rows.assign(held=held_rows["requested"] - held_rows["shipped"]), "held")
    held = held[held["held"] > 1e-9]
    volume = shipped.groupby(["from", "to"])["quantity"].sum().sort_values(ascending=False)
    lanes = list(dict.fromkeys([*volume.index[:MAX_LANES],
                                *held.groupby(["from", "to"]).size().index]))[:MAX_LANES]
    most = float(shipped.groupby(["from", "to", "step"])["quantity"].sum().max()) \
        if len(shipped) else 1.0

    fig = go.Figure()
    xs, ys = _outline(box)
    fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", fill="toself", hoverinfo="skip",
                             fillcolor="rgba(235, 235, 228, 1)",
                             line={"color": "rgba(150, 150, 150, 0.8)", "width": 0.6},
                             name="countries", showlegend=False))
    sent, kept = _by(shipped, ["from", "to", "step"]), _by(held, ["from", "to", "step"])
    lane_state = [_lane_state(lane, sent, kept, steps, most) for lane in lanes]
    for (a, b), state in zip(lanes, lane_state, strict=True):
        (la, oa), (lb, ob) = where[a], where[b]
        fig.add_trace(go.Scatter(
            x=[oa, ob], y=[la, lb], mode="lines", showlegend=False,
            line={"width": state["width"][0], "color": state["color"][0]},
            hovertext=state["text"][0], hoverinfo="text", name=f"{a}->{b}"))
    site_ids = [n for n in where if nodes[n]["kind"] == "site"]
    cover = _cover(sites, site_ids, steps)
    others = [n for n in where if nodes[n]["kind"] != "site"]
    fig.add_trace(go.Scatter(
        x=[where[n][1] for n in others], y=[where[n][0] for n in others], mode="markers",
        marker={"symbol": [SYMBOLS[nodes[n]["kind"]] for n in others], "size": 9,
                "color": "#444"},
        hovertext=[f"{escape(n)} ({nodes[n]['kind']})" for n in others], hoverinfo="text",
        name="plants, warehouses, stockpiles", showlegend=True))
    fig.add_trace(go.Scatter(
        x=[where[n][1] for n in site_ids], y=[where[n][0] for n in site_ids], mode="markers",
        marker={"size": 14, "color": cover["value"][0], "cmin": 0, "cmax": COVER_CAP,
                "colorscale": [[0, "#d62728"], [0.5, "#ffbf00"], [1, "#2ca02c"]],
                "colorbar": {"title": {"text": "days of<br>supply"}, "x": 1.02},
                "line": {"color": "#222", "width": 1}},
        hovertext=cover["text"][0], hoverinfo="text", name="sites", showlegend=True))
    n_lanes = len(lanes)
    first = 1
    sliders = [{
        "active": 0, "currentvalue": {"prefix": "day "}, "pad": {"t": 40},
        "steps": [{
            "label": (pd.Timestamp(start) + pd.Timedelta(days=d)).strftime("%Y-%m-%d"),
            "method": "restyle",
            # one value per trace restyled: the lanes', then the sites'
            "args": [{"line.width": [*(st["width"][k] for st in lane_state), None],
                      "line.color": [*(st["color"][k] for st in lane_state), None],
                      "hovertext": [*(st["text"][k] for st in lane_state), cover["text"][k]],
                      "marker.color": [*([None] * n_lanes), cover["value"][k]]},
                     [*range(first, first + n_lanes), first + n_lanes + 1]]}
            for k, d in enumerate(steps)]}]
    # degrees of longitude shrink with latitude: keep shapes true at the map's middle
    ratio = 1 / max(0.2, math.cos(math.radians((box[2] + box[3]) / 2)))
    fig.update_layout(
        title=TITLE, template="plotly_white", height=620, margin={"l": 10, "r": 10, "t": 60},
        sliders=sliders, legend={"orientation": "h", "y": -0.02},
        xaxis={"range": [box[0], box[1]], "visible": False},
        yaxis={"range": [box[2], box[3]], "visible": False, "scaleanchor": "x",
               "scaleratio": ratio})
    return fig


def _by(frame: pd.DataFrame, keys: list[str]) -> dict[tuple[Any, ...], pd.DataFrame]:
    """The frame's rows grouped by `keys`: one pass, where filtering per lane and step was
    a pass each (seconds on the flagship's map)."""
    return {k: g for k, g in frame.groupby(keys, sort=False)} if len(frame) else {}


def _lane_state(lane: tuple[str, str], shipped: dict[tuple[Any, ...], pd.DataFrame],
                held: dict[tuple[Any, ...], pd.DataFrame], steps: list[int], most: float
                ) -> dict[str, list[Any]]:
    """A lane's width, colour and hover text at every slider step (`shipped`, `held`: rows
    by lane ends and step)."""
    a, b = lane
    none = pd.DataFrame({"commodity": [], "quantity": [], "held": []})
    out: dict[str, list[Any]] = {"width": [], "color": [], "text": []}
    for k in range(len(steps)):
        here, back = shipped.get((a, b, k), none), held.get((a, b, k), none)
        units = float(here["quantity"].sum())
        width = 0.8 + (MAX_WIDTH - 0.8) * math.sqrt(units / most) if units > 0 else 0.8
        out["width"].append(round(width, 2))
        out["color"].append(HELD if len(back) else SHIPPED if units > 0 else IDLE)
        lines = [f"{escape(a)} → {escape(b)}"]
        lines += [f"{escape(str(r.commodity))}: {r.quantity:,.0f} shipped"
                  for r in here.itertuples(index=False)]
        lines += [f"{escape(str(r.commodity))}: {r.held:,.0f} held back by policy"
                  for r in back.itertuples(index=False)]
        out["text"].append("<br>".join(lines if len(lines) > 1 else [*lines, "nothing shipped"]))
    return out


def _cover(sites: pd.DataFrame, ids: list[str], steps: list[int]) -> dict[str, list[Any]]:
    """Each site's days of supply at each step (its lowest over commodities, on the step's
    first day), as marker colours and hover text."""
    first = _by(sites[sites["day"].isin(steps)], ["day", "node"])
    none = sites.iloc[:0]
    out: dict[str, list[Any]] = {"value": [], "text": []}
    for day in steps:
        values, texts = [], []
        for n in ids:
            rows = first.get((day, n), none)
            cover = rows["days_of_supply"].min() if len(rows) else float("nan")
            values.append(None if pd.isna(cover) else round(min(float(cover), COVER_CAP), 2))
            detail = "<br>".join(f"{escape(str(r.commodity))}: {r.days_of_supply:.1f} days"
                                 for r in rows.itertuples(index=False)
                                 if not pd.isna(r.days_of_supply))
            texts.append(f"{escape(n)}<br>{detail or 'no demand'}")
        out["value"].append(values)
        out["text"].append(texts)
    return out
