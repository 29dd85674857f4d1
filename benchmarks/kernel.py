"""The engine's reference: the same day's work as the priority allocator, written as plainly as
numpy allows, for networks without policies, substitutes, care sites, backlogs, yields below 1
or inventory decisions (the synthetic network of `synthetic.scenario_dict`, not
`with_decisions`).

Per day, as the engine (DESIGN's event order): arrivals land; plants make up to capacity, limited
by their inputs (recipes sharing an input share it pro rata); sites use what their stock covers;
requests go upstream level by level (order up to target x use less the inventory position, split
over the open lanes by weight; a warehouse's use is what it was asked); requests are capped by
lane capacity and each supplier shares its stock pro rata; shipments enter the pipeline to land
after their lead time. It records what a planner reads of each day: stock, in transit, made,
served, requested and shipped. It does not compute what the engine adds for the policies, the
reasons of shortfalls, claims, the would-be requests of closed lanes, or care capacity.

What is the same for every day (index arrays, each lane's share of its buyer's orders) is
worked out once, before the days; then the loop is only over days and the levels of the chain.
`run` returns the arrays; `same_as(trace)` checks them against an engine trace.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from borderflow.engine import Network, Trace

Array = np.ndarray[Any, np.dtype[np.float64]]
OUTPUTS = ("stock", "in_transit", "served", "produced", "requested", "shipped")


def supported(net: Network) -> bool:
    """Whether the kernel computes what the engine does for this network."""
    pol, inv = net.policies, net.inventory
    return (not pol.claims and not pol.member_arc.size and not net.sub_ratio.size
            and not net.care_sites and not np.isfinite(pol.group_quota).any()
            and not (pol.blocker(slice(0, net.days), net.arc_src.size) >= 0).any()
            and bool((net.arc_yield == 1).all()) and not inv.backlog.any()
            and not inv.to_order.any() and not inv.custom_sharing.any()
            and inv.plain_forecast and inv.plain_rules and pol.conserve_below is None
            and not pol.deliveries.any())


def run(net: Network) -> dict[str, Array]:
    """One run of the network (one sample): per day [T, N*C] stock, in_transit, served; [T, R]
    produced; [T, A] requested and shipped."""
    N, C = net.shape
    NC, A, T = N * C, net.arc_src.size, net.days
    src, dst = net.arc_src_pair, net.arc_dst_pair
    cap = net.arc_cap
    inputs = net.rec_inputs
    in_pair = (net.rec_node[:, None] * C + np.arange(C)[None, :]).ravel()  # [R*C]
    out_pair = net.rec_node * C + net.rec_com
    target = np.repeat(net.target, C)
    relay = np.repeat(np.isin(np.asarray(net.kinds), ["warehouse", "broker"]), C)
    demand = net.demand.reshape(T, NC)
    weight = np.where(cap > 0, net.arc_weight, 0.0)
    wsum = np.bincount(dst, weight, minlength=NC)[dst]
    share = np.divide(weight, wsum, out=np.zeros(A), where=wsum > 0)
    levels = [(p, a, src[a], dst[a], share[a]) for p, a in zip(net.level_pairs, net.level_arcs,
                                                                   strict=True)
              if a.size]
    slots = net.max_lead + 1
    landing = [((t + net.arc_lead) % slots) * NC + dst for t in range(slots)]  # in pipe, flat

    stock = net.stock0.reshape(NC).astype(float)
    pipe = np.zeros((slots, NC))
    flat_pipe = pipe.reshape(-1)
    pipe[:net.transit0.shape[0]] += net.transit0
    transit = net.transit0.sum(axis=0)
    out = {"stock": np.empty((T, NC)), "in_transit": np.empty((T, NC)),
           "served": np.empty((T, NC)), "produced": np.empty((T, out_pair.size)),
           "requested": np.empty((T, A)), "shipped": np.empty((T, A))}
    for t in range(T):
        stock += pipe[t % slots]
        transit -= pipe[t % slots]
        pipe[t % slots] = 0.0

        made_cap = net.rec_cap[t]
        want = (made_cap[:, None] * inputs).ravel()
        full_use = np.bincount(in_pair, want, minlength=NC)
        have, total = stock[in_pair], full_use[in_pair]
        ratio = np.divide(have, total, out=np.ones(have.size), where=total > have)
        scale = np.where(want > 0, ratio, 1.0).reshape(inputs.shape).min(axis=1, initial=1.0)
        made = made_cap * scale
        stock -= np.bincount(in_pair, (made[:, None] * inputs).ravel(), minlength=NC)
        np.maximum(stock, 0.0, out=stock)
        stock[out_pair] += made

        served = np.minimum(stock, demand[t])
        stock -= served

        position = stock + transit
        use = demand[t] + full_use
        received, need = np.zeros(NC), np.zeros(NC)
        requested = np.zeros(A)
        for pairs, arcs, a_src, a_dst, a_share in levels:
            relayed = received[pairs] * relay[pairs]
            need[pairs] = np.maximum(0.0, target[pairs] * (use[pairs] + relayed)
                                     - (position[pairs] - relayed))
            r = need[a_dst] * a_share
            requested[arcs] = r
            received += np.bincount(a_src, r, minlength=NC)

        capped = np.minimum(requested, cap)
        asked = np.bincount(src, capped, minlength=NC)
        ratio = np.divide(stock, asked, out=np.ones(NC), where=asked > stock)
        shipped = capped * ratio[src]
        stock -= np.bincount(src, shipped, minlength=NC)
        np.maximum(stock, 0.0, out=stock)
        flat_pipe += np.bincount(landing[t % slots], shipped, minlength=flat_pipe.size)
        transit += np.bincount(dst, shipped, minlength=NC)

        out["stock"][t], out["in_transit"][t], out["served"][t] = stock, transit, served
        out["produced"][t], out["requested"][t], out["shipped"][t] = made, requested, shipped
    return out


def differences(kernel: dict[str, Array], trace: Trace, rtol: float = 1e-9) -> list[str]:
    """The outputs on which the kernel and an engine trace (sample 0) differ: [] when the same."""
    bad = []
    for name, ours in kernel.items():
        theirs = getattr(trace, name)[:, 0].reshape(ours.shape)
        if not np.allclose(ours, theirs, rtol=rtol, atol=1e-9 * max(1.0, float(np.abs(theirs).max()))):
            bad.append(name)
    return bad
