"""How fast could a compiled day be? benchmarks/kernel.py's bare day on the headline network
(500 nodes, 365 days), timed four ways in one run: kernel.py itself (numpy, one sample); the
same arithmetic in numpy over a batch of samples (`[B, NC]` arrays, sums by one bincount over
B x NC, as the engine's `scatter_add`); and in loops compiled by numba, one sample and a batch
(the sample the innermost axis). It bounds what batching, and a compiled engine, could gain
per sample (issue 14's stress test at 10x `simulate`: benchmarks/README.md, "Stress tests").
numba is not a dependency of borderflow, so this runs in an environment of its own:

    python3 -m venv /tmp/nbv && /tmp/nbv/bin/pip install -e . numba
    /tmp/nbv/bin/python benchmarks/kernel_numba.py [--repeats 5] [--batch 12]

Prints one JSON document: the best of the repeats for each (numba's first, compiling call
not counted), per sample for the batches, and whether the outputs agree with kernel.py's
(1e-9: every output of the one-sample loops, the units served of the batches).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from typing import Any

os.environ["BORDERFLOW_CHECK"] = "0"

import numpy as np
from numba import njit

import kernel
import synthetic
from borderflow.engine import Network, compile_network

HEADLINE = (50, 500, 2000, 5, 365)


@njit(cache=False)
def _days(T, C, slots, stock, pipe, transit, rec_cap, inputs, rec_node, out_pair, demand,
          target, relay, level_pairs, pair_at, level_arcs, arc_at, src, dst, share, cap,
          landing, out_stock, out_transit, out_served, out_made, out_requested, out_shipped):
    R, NC, A = inputs.shape[0], stock.size, src.size
    full_use, made = np.zeros(NC), np.zeros(R)
    received, need, requested = np.zeros(NC), np.zeros(NC), np.zeros(A)
    asked = np.zeros(NC)
    for t in range(T):
        s = t % slots
        for i in range(NC):
            stock[i] += pipe[s, i]
            transit[i] -= pipe[s, i]
            pipe[s, i] = 0.0
        full_use[:] = 0.0
        for r in range(R):
            for c in range(C):
                full_use[rec_node[r] * C + c] += rec_cap[t, r] * inputs[r, c]
        for r in range(R):
            scale = 1.0
            for c in range(C):
                want = rec_cap[t, r] * inputs[r, c]
                p = rec_node[r] * C + c
                if want > 0 and full_use[p] > stock[p]:
                    scale = min(scale, stock[p] / full_use[p])
            made[r] = rec_cap[t, r] * scale
        for r in range(R):
            for c in range(C):
                stock[rec_node[r] * C + c] -= made[r] * inputs[r, c]
        for i in range(NC):
            stock[i] = max(stock[i], 0.0)
        for r in range(R):
            stock[out_pair[r]] += made[r]
        for i in range(NC):
            served = min(stock[i], demand[t, i])
            stock[i] -= served
            out_served[t, i] = served
        received[:] = 0.0
        need[:] = 0.0
        requested[:] = 0.0
        for lv in range(pair_at.size - 1):
            for k in range(pair_at[lv], pair_at[lv + 1]):
                p = level_pairs[k]
                relayed = received[p] * relay[p]
                use = demand[t, p] + full_use[p]
                need[p] = max(0.0, target[p] * (use + relayed) - (stock[p] + transit[p] - relayed))
            for k in range(arc_at[lv], arc_at[lv + 1]):
                a = level_arcs[k]
                q = need[dst[a]] * share[a]
                requested[a] = q
                received[src[a]] += q
        asked[:] = 0.0
        for a in range(A):
            asked[src[a]] += min(requested[a], cap[a])
        for a in range(A):
            p = src[a]
            ratio = stock[p] / asked[p] if asked[p] > stock[p] else 1.0
            shipped = min(requested[a], cap[a]) * ratio
            out_shipped[t, a] = shipped
        for a in range(A):
            p = src[a]
            stock[p] -= out_shipped[t, a]
        for a in range(A):
            shipped = out_shipped[t, a]
            pipe[landing[s, a] // NC, landing[s, a] % NC] += shipped
            transit[dst[a]] += shipped
        for i in range(NC):
            stock[i] = max(stock[i], 0.0)
            out_stock[t, i] = stock[i]
            out_transit[t, i] = transit[i]
        out_made[t] = made
        out_requested[t] = requested


@njit(cache=False)
def _days_batch(T, C, slots, stock, pipe, transit, rec_cap, inputs, rec_node, out_pair,
                demand, target, relay, level_pairs, pair_at, level_arcs, arc_at, src, dst,
                share, cap, landing, served_total):
    """_days for B samples at once, the sample the innermost (contiguous) axis of every state
    array ([NC, B], [slots, NC, B]), so that each arc's arithmetic runs over B adjacent
    numbers; keeps, as the stress test does, a sum per sample (units served) rather than
    every day's arrays."""
    R, NC, A, B = inputs.shape[0], stock.shape[0], src.size, stock.shape[1]
    full_use, made = np.zeros(NC), np.zeros((R, B))
    received, need, requested = np.zeros((NC, B)), np.zeros((NC, B)), np.zeros((A, B))
    asked, ratio = np.zeros((NC, B)), np.ones((NC, B))
    scale = np.ones(B)
    for t in range(T):
        s = t % slots
        for i in range(NC):
            for b in range(B):
                stock[i, b] += pipe[s, i, b]
                transit[i, b] -= pipe[s, i, b]
                pipe[s, i, b] = 0.0
        full_use[:] = 0.0
        for r in range(R):
            for c in range(C):
                full_use[rec_node[r] * C + c] += rec_cap[t, r] * inputs[r, c]
        for r in range(R):
            scale[:] = 1.0
            for c in range(C):
                want = rec_cap[t, r] * inputs[r, c]
                p = rec_node[r] * C + c
                if want > 0:
                    for b in range(B):
                        if full_use[p] > stock[p, b]:
                            scale[b] = min(scale[b], stock[p, b] / full_use[p])
            for b in range(B):
                made[r, b] = rec_cap[t, r] * scale[b]
        for r in range(R):
            for c in range(C):
                p = rec_node[r] * C + c
                for b in range(B):
                    stock[p, b] -= made[r, b] * inputs[r, c]
        for i in range(NC):
            for b in range(B):
                stock[i, b] = max(stock[i, b], 0.0)
        for r in range(R):
            for b in range(B):
                stock[out_pair[r], b] += made[r, b]
        for i in range(NC):
            for b in range(B):
                served = min(stock[i, b], demand[t, i])
                stock[i, b] -= served
                served_total[b] += served
        received[:] = 0.0
        need[:] = 0.0
        for lv in range(pair_at.size - 1):
            for k in range(pair_at[lv], pair_at[lv + 1]):
                p = level_pairs[k]
                use = demand[t, p] + full_use[p]
                for b in range(B):
                    relayed = received[p, b] * relay[p]
                    need[p, b] = max(0.0, target[p] * (use + relayed)
                                     - (stock[p, b] + transit[p, b] - relayed))
            for k in range(arc_at[lv], arc_at[lv + 1]):
                a = level_arcs[k]
                for b in range(B):
                    q = need[dst[a], b] * share[a]
                    requested[a, b] = min(q, cap[a])
                    received[src[a], b] += q
        asked[:] = 0.0
        for a in range(A):
            for b in range(B):
                asked[src[a], b] += requested[a, b]
        for i in range(NC):
            for b in range(B):
                ratio[i, b] = stock[i, b] / asked[i, b] if asked[i, b] > stock[i, b] else 1.0
        for a in range(A):
            p, q, lands = src[a], dst[a], landing[s, a]
            for b in range(B):
                shipped = requested[a, b] * ratio[p, b]
                stock[p, b] -= shipped
                pipe[lands // NC, lands % NC, b] += shipped
                transit[q, b] += shipped
        for i in range(NC):
            for b in range(B):
                stock[i, b] = max(stock[i, b], 0.0)


def _arguments(net: Network) -> tuple[Any, ...]:
    """What _days and _days_batch take from the network (one sample's state)."""
    N, C = net.shape
    NC, A, T = N * C, net.arc_src.size, net.days
    src, dst, cap = net.arc_src_pair, net.arc_dst_pair, net.arc_cap
    out_pair = net.rec_node * C + net.rec_com
    assert np.unique(out_pair).size == out_pair.size  # numpy's `stock[out_pair] +=` = a sum
    weight = np.where(cap > 0, net.arc_weight, 0.0)
    wsum = np.bincount(dst, weight, minlength=NC)[dst]
    share = np.divide(weight, wsum, out=np.zeros(A), where=wsum > 0)
    levels = [(p, a) for p, a in zip(net.level_pairs, net.level_arcs, strict=True) if a.size]
    slots = net.max_lead + 1
    landing = np.array([((t + net.arc_lead) % slots) * NC + dst for t in range(slots)])
    pipe = np.zeros((slots, NC))
    pipe[:net.transit0.shape[0]] += net.transit0
    ints = [np.asarray(x, dtype=np.int64) for x in (
        np.concatenate([p for p, _ in levels]), np.cumsum([0] + [p.size for p, _ in levels]),
        np.concatenate([a for _, a in levels]), np.cumsum([0] + [a.size for _, a in levels]))]
    return (T, C, slots, net.stock0.reshape(NC).astype(float), pipe, net.transit0.sum(axis=0),
            np.ascontiguousarray(net.rec_cap, dtype=float), net.rec_inputs.astype(float),
            net.rec_node.astype(np.int64), out_pair.astype(np.int64),
            np.ascontiguousarray(net.demand.reshape(T, NC), dtype=float),
            np.repeat(net.target, C).astype(float),
            np.repeat(np.isin(np.asarray(net.kinds), ["warehouse", "broker"]), C).astype(float),
            *ints, src.astype(np.int64), dst.astype(np.int64), share, cap.astype(float),
            landing.astype(np.int64))


def run(net: Network) -> dict[str, Any]:
    """kernel.run's outputs, from the compiled loops."""
    args = _arguments(net)
    T, NC, A, R = net.days, args[3].size, net.arc_src.size, net.rec_node.size
    out = {"stock": np.empty((T, NC)), "in_transit": np.empty((T, NC)),
           "served": np.empty((T, NC)), "produced": np.empty((T, R)),
           "requested": np.empty((T, A)), "shipped": np.empty((T, A))}
    _days(*args, *(out[k] for k in ("stock", "in_transit", "served", "produced", "requested",
                                    "shipped")))
    return out


def run_batch(net: Network, batch: int) -> np.ndarray[Any, Any]:
    """Units served per sample, for `batch` copies of the one sample."""
    args = list(_arguments(net))
    for k in (3, 4, 5):  # stock, pipe, transit: a sample axis, innermost
        args[k] = np.ascontiguousarray(np.repeat(args[k][..., None], batch, axis=-1))
    served = np.zeros(batch)
    _days_batch(*args, served)
    return served


def run_numpy_batch(net: Network, batch: int) -> np.ndarray[Any, Any]:
    """run_batch in numpy: kernel.run's arithmetic on [B, NC] and [B, A] arrays, sums over the
    samples' pairs by one bincount over B x NC (as the engine's `scatter_add`), the flat
    indices worked out once."""
    (T, C, slots, stock, pipe, transit, rec_cap, inputs, rec_node, out_pair, demand, target,
     relay, level_pairs, pair_at, level_arcs, arc_at, src, dst, share, cap,
     landing) = _arguments(net)
    B, NC, A = batch, stock.size, src.size
    rows = np.arange(B)[:, None]

    def flat(cols: np.ndarray[Any, Any], width: int) -> np.ndarray[Any, Any]:
        return (rows * width + cols[None, :]).ravel()

    def add(idx: np.ndarray[Any, Any], values: np.ndarray[Any, Any], width: int) -> Any:
        return np.bincount(idx, values.ravel(), minlength=B * width).reshape(B, width)

    in_pair = (rec_node[:, None] * C + np.arange(C)[None, :]).ravel()
    f_in, f_src, f_dst = flat(in_pair, NC), flat(src, NC), flat(dst, NC)
    f_land = [flat(landing[t], slots * NC) for t in range(slots)]
    levels = [(level_pairs[pair_at[k]:pair_at[k + 1]], level_arcs[arc_at[k]:arc_at[k + 1]])
              for k in range(pair_at.size - 1)]
    levels = [(p, a, flat(src[a], NC), dst[a], share[a]) for p, a in levels]
    stock = np.repeat(stock[None], B, axis=0)
    transit = np.repeat(transit[None], B, axis=0)
    pipe = np.repeat(pipe.reshape(1, -1), B, axis=0)  # [B, slots * NC]
    served_total = np.zeros(B)
    for t in range(T):
        s = t % slots
        here = pipe[:, s * NC:(s + 1) * NC]
        stock += here
        transit -= here
        here[:] = 0.0
        want = (rec_cap[t][:, None] * inputs).ravel()
        full_use = np.bincount(in_pair, want, minlength=NC)
        have, total = stock[:, in_pair], full_use[in_pair]
        ratio = np.divide(have, total, out=np.ones(have.shape), where=total > have)
        scale = np.where(want > 0, ratio, 1.0).reshape(B, *inputs.shape).min(axis=2, initial=1.0)
        made = rec_cap[t] * scale
        stock -= add(f_in, made[:, :, None] * inputs, NC)
        np.maximum(stock, 0.0, out=stock)
        stock[:, out_pair] += made
        served = np.minimum(stock, demand[t])
        stock -= served
        served_total += served.sum(axis=1)
        position = stock + transit
        use = demand[t] + full_use
        received, need = np.zeros((B, NC)), np.zeros((B, NC))
        requested = np.zeros((B, A))
        for pairs, arcs, fa_src, a_dst, a_share in levels:
            relayed = received[:, pairs] * relay[pairs]
            need[:, pairs] = np.maximum(0.0, target[pairs] * (use[pairs] + relayed)
                                        - (position[:, pairs] - relayed))
            r = need[:, a_dst] * a_share
            requested[:, arcs] = r
            received += add(fa_src, r, NC)
        capped = np.minimum(requested, cap)
        asked = add(f_src, capped, NC)
        ratio = np.divide(stock, asked, out=np.ones((B, NC)), where=asked > stock)
        shipped = capped * ratio[:, src]
        stock -= add(f_src, shipped, NC)
        np.maximum(stock, 0.0, out=stock)
        pipe += add(f_land[s], shipped, slots * NC)
        transit += add(f_dst, shipped, NC)
    return served_total


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--batch", type=int, default=12, help="samples of the batched kernel")
    a = p.parse_args(argv)
    net = compile_network(synthetic.build(*HEADLINE))
    ours, theirs = run(net), kernel.run(net)  # numba's compile; the outputs compared
    differ = [k for k in kernel.OUTPUTS if not np.allclose(
        ours[k], theirs[k], rtol=1e-9, atol=1e-9 * max(1.0, float(np.abs(theirs[k]).max())))]
    for name, f in (("numba batch", run_batch), ("numpy batch", run_numpy_batch)):
        if not np.allclose(f(net, a.batch), theirs["served"].sum(), rtol=1e-9):
            differ.append(name)
    timed = {"numpy": lambda: kernel.run(net), "numba": lambda: run(net),
             "numba_batch": lambda: run_batch(net, a.batch),
             "numpy_batch": lambda: run_numpy_batch(net, a.batch)}
    best = dict.fromkeys(timed, np.inf)
    for _ in range(a.repeats):
        for name, f in timed.items():
            began = time.perf_counter()
            f()
            best[name] = min(best[name], time.perf_counter() - began)
    per_sample = best["numba_batch"] / a.batch
    json.dump({"size": dict(zip(("regions", "nodes", "lanes", "commodities", "days"), HEADLINE,
                                strict=True)),
               "numpy_seconds": round(best["numpy"], 4), "numba_seconds": round(best["numba"], 4),
               "numpy_over_numba": round(best["numpy"] / best["numba"], 2),
               "batch": a.batch, "numba_batch_seconds_per_sample": round(per_sample, 4),
               "numpy_over_numba_batch": round(best["numpy"] / per_sample, 2),
               "numpy_batch_seconds_per_sample": round(best["numpy_batch"] / a.batch, 4),
               "same_outputs": not differ, "differ": differ}, sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
