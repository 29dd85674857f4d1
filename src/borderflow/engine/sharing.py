"""How a supplier shares stock it is short of, for the suppliers with a rule of their own
(`allocation`); the others share pro rata to the requests (the simulator does that at once).

Buyers are served tier by tier (a priority list: one tier per buyer, in order), each tier
water-filled: the stock left is offered in proportion to the arcs' weights (their requests,
their buyers' forecast use, or fixed shares), no arc getting more than it may take, and what
capped arcs leave is offered again to the others until the stock or the requests run out.
Whatever every tier leaves goes to the remaining requests, pro rata (the `LAST` tier).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .inventory import BY_SHARE, BY_USE, LAST, Inventory

Array = np.ndarray[Any, np.dtype[np.float64]]
IntArray = np.ndarray[Any, np.dtype[np.intp]]
TOL = 1e-12


def _add(out: Array, cols: IntArray, values: Array) -> None:
    B, width = out.shape
    idx = (np.arange(B)[:, None] * width + cols[None, :]).ravel()
    out += np.bincount(idx, values.ravel(), minlength=B * width).reshape(B, width)


def water_fill(have: Array, cap: Array, weight: Array, src: IntArray) -> Array:
    """[B, a] what each arc gets of its supplier's stock `have` [B, P] (lowered as it is
    given): at most `cap` [B, a], in proportion to `weight` [B, a] among the arcs still open."""
    got = np.zeros(cap.shape)
    left = cap.copy()
    for _ in range(cap.shape[1] + 1):  # each round fills an arc or gives the last stock away
        open_ = (left > TOL) & (weight > 0)
        if not open_.any():
            break
        w = np.where(open_, weight, 0.0)
        total = np.zeros(have.shape)
        _add(total, src, w)
        offer = np.where(open_, have[:, src] * np.divide(w, total[:, src], out=np.zeros(w.shape),
                                                         where=total[:, src] > 0), 0.0)
        take = np.minimum(offer, left)
        if not (take > TOL).any():
            break
        got += take
        left -= take
        _add(have, src, -take)
        np.maximum(have, 0.0, out=have)
        if not (open_ & (offer > left + take + TOL)).any():  # nobody was capped: all given
            break
    return got


def share(inv: Inventory, arcs: IntArray, have: Array, cap: Array, src: IntArray,
          use: Array) -> Array:
    """[B, arcs] what the arcs of custom suppliers get (`cap` [B, arcs] what each may take,
    `src` their suppliers' pairs, `use` [B, arcs] what their buyers forecast to use of these
    suppliers: forecast use x the lane's share of the buyer's orders)."""
    tier, by = inv.arc_tier[arcs], inv.arc_by[arcs]
    got = np.zeros(cap.shape)
    for k in np.unique(tier[tier != LAST]):
        mine = tier == k
        weight = np.where(by[mine] == BY_USE, use[:, mine],
                          np.where(by[mine] == BY_SHARE, inv.arc_share[arcs][mine], cap[:, mine]))
        got[:, mine] = water_fill(have, cap[:, mine], weight, src[mine])
    left = cap - got  # the rest, pro rata to what is still asked
    got += water_fill(have, left, left, src)
    return got
