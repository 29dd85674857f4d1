"""From flows to stock: what shipments, production and use do to each (node, commodity) pair,
day by day. The LP's and the rolling horizon's allocations become stock with it, so their
stock balances exactly (the priority step keeps its state as it goes)."""

from __future__ import annotations

from typing import Any

import numpy as np

from .network import Network

Array = np.ndarray[Any, np.dtype[np.float64]]
IntArray = np.ndarray[Any, np.dtype[np.intp]]


def by_pair(net: Network, cols: IntArray, vals: Array) -> Array:
    """[D, X] values at pairs `cols` [X] -> [D, P] sums per pair and day."""
    P = len(net.nodes) * len(net.commodities)
    out = np.zeros((vals.shape[0], P))
    for d in range(vals.shape[0]):  # bincount per day: cheaper than np.add.at over [D, X]
        out[d] = np.bincount(cols, vals[d], minlength=P)
    return out


def substitution(net: Network, covered: Array, used: Array) -> Array:
    """[..., P] of what substitute rules covered and used [..., Q]: the change they make to
    what each pair's site takes from its stock beyond what it served (less what they covered
    at the `for` pair, plus what they used at the `use` pair)."""
    P, Q = len(net.nodes) * len(net.commodities), net.sub_ratio.size
    at_for, at_use = np.zeros((Q, P)), np.zeros((Q, P))
    at_for[np.arange(Q), net.sub_for_pair] = 1.0
    at_use[np.arange(Q), net.sub_use_pair] = 1.0
    return used @ at_use - covered @ at_for


def pair_flows(net: Network, x: Array, made: Array, served: Array) -> tuple[Array, Array]:
    """Of D days' shipments x [D, A], production made [D, R] and what sites took from stock
    [D, P] (served, with substitutes' use in place of what they covered, `substitution`):

    - arrivals [D + max lead, P]: what lands on each pair (the lane's yield of what was
      shipped), by day counted from the first;
    - change [D, P]: each day's other change of stock on hand (made, less inputs used, less
      served, less shipped).
    """
    C = len(net.commodities)
    D, P = x.shape[0], len(net.nodes) * C
    arrivals = np.zeros((D + net.max_lead, P))
    ta, aa = np.nonzero(x)
    np.add.at(arrivals, (ta + net.arc_lead[aa], net.arc_dst_pair[aa]),
              x[ta, aa] * net.arc_yield[aa])  # the rejected share never lands
    ri, ci = np.nonzero(net.rec_inputs > 0)
    inputs = by_pair(net, net.rec_node[ri] * C + ci, made[:, ri] * net.rec_inputs[ri, ci])
    change = by_pair(net, net.rec_node * C + net.rec_com, made) - inputs - served \
        - by_pair(net, net.arc_src_pair, x)
    return arrivals, change
