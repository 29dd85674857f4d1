"""Disruptions that differ between the samples of a batch: the stress test runs one target per
sample. Each sample applies the same effect that `policy.compile` folds into the arrays for a
disruption enabled in the scenario (a plant's capacity x factor, an arc's limit at most its
lane's capacity x factor, commuters kept home), so a sample equals a run of the scenario with
that one disruption enabled.

Only the disrupted arcs, recipes and commuters are stored and touched each day.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .network import Network

Array = np.ndarray[Any, np.dtype[np.float64]]
IntArray = np.ndarray[Any, np.dtype[np.intp]]
BoolArray = np.ndarray[Any, np.dtype[np.bool_]]


class PerSample:
    """`chosen[b]`: the index into `net.policies.disruptions` sample b suffers, -1 none."""

    def __init__(self, net: Network, chosen: IntArray) -> None:
        pol = net.policies
        self.batch = int(chosen.size)
        rows = [(b, pol.disruptions[int(k)]) for b, k in enumerate(chosen.tolist()) if k >= 0]
        self._days = np.array([d.days for _, d in rows], dtype=bool).reshape(len(rows), net.days)
        self.reason = np.array([pol.disruptions[k].reason if k >= 0 else -1
                                for k in chosen.tolist()], dtype=np.int32)

        def spread(items: list[tuple[int, int, IntArray]]) -> tuple[IntArray, IntArray, IntArray]:
            """(row, sample, index) per element of each row's index array."""
            row = np.concatenate([np.full(x.size, r, dtype=np.intp) for r, _, x in items]
                                 or [np.zeros(0, np.intp)])
            sample = np.concatenate([np.full(x.size, b, dtype=np.intp) for _, b, x in items]
                                    or [np.zeros(0, np.intp)])
            index = np.concatenate([x for _, _, x in items] or [np.zeros(0, np.intp)])
            return row, sample, index.astype(np.intp)

        self._arc = spread([(r, b, d.arcs) for r, (b, d) in enumerate(rows)])
        self._arc_limit = np.concatenate([d.arc_limit for _, d in rows] or [np.zeros(0)])
        self._zero = np.concatenate([np.full(d.arcs.size, d.factor == 0) for _, d in rows]
                                    or [np.zeros(0, dtype=bool)])
        recipes = [(r, b, np.flatnonzero(np.isin(net.rec_node, d.plants)).astype(np.intp))
                   for r, (b, d) in enumerate(rows)]
        self._rec = spread(recipes)
        self._rec_factor = np.concatenate([np.full(x.size, rows[r][1].factor) for r, _, x in recipes]
                                          or [np.zeros(0)])
        self._commuter = spread([(r, b, d.commuters) for r, (b, d) in enumerate(rows)])
        self.touches_production = bool(self._rec[0].size)

    def _live(self, part: tuple[IntArray, IntArray, IntArray], t: int) -> BoolArray:
        return self._days[part[0], t]  # type: ignore[no-any-return]

    def limit(self, t: int, limit: Array) -> Array:
        """[B, A]: each sample's arc limits on day t (`limit` [1 or B, A] without them); on a
        day no sample's disruption is live, `limit` itself (most days of a stress test)."""
        live = self._live(self._arc, t)
        if not live.any():
            return limit
        out = np.array(np.broadcast_to(limit, (self.batch, limit.shape[-1])), dtype=float)
        b, a = self._arc[1][live], self._arc[2][live]
        out[b, a] = np.minimum(out[b, a], self._arc_limit[live])
        return out

    def blocker(self, t: int, blocker: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
        """[B, A]: the reason blocking each arc (-1 open), a disruption at factor 0 after
        whatever blocked the arc already (as compiling an enabled one does); `blocker` itself on
        a day none is."""
        live = self._live(self._arc, t) & self._zero
        if not live.any():
            return blocker
        out = np.array(np.broadcast_to(blocker, (self.batch, blocker.shape[-1])), dtype=np.int32)
        b, a = self._arc[1][live], self._arc[2][live]
        out[b, a] = np.where(out[b, a] < 0, self.reason[b], out[b, a])
        return out

    def production(self, t: int, cap: Array) -> Array:
        """[B, R]: production capacity on day t (`cap` [1 or B, R]) with disrupted plants'
        cut to capacity x factor."""
        out = np.array(np.broadcast_to(cap, (self.batch, cap.shape[-1])), dtype=float)
        live = self._live(self._rec, t)
        b, r = self._rec[1][live], self._rec[2][live]
        out[b, r] = out[b, r] * self._rec_factor[live]
        return out

    def kept_home(self, t: int, kept: BoolArray) -> BoolArray:
        """[B, W]: commuters kept home on day t (`kept` [W] by the policies)."""
        out = np.repeat(kept[None, :], self.batch, axis=0)
        live = self._live(self._commuter, t)
        out[self._commuter[1][live], self._commuter[2][live]] = True
        return out

    def production_caps(self, cap: Array) -> Array:
        """[T, B, R] every day's capacity (`cap` [T, 1 or B, R]), for the invariants."""
        return np.stack([self.production(t, cap[t]) for t in range(cap.shape[0])])

    def limits(self, limit: Array) -> Array:
        """[T, B, A] every day's arc limits (`limit` [T, 1 or B, A]), for the invariants."""
        shape = (self.batch, limit.shape[-1])
        return np.stack([np.broadcast_to(self.limit(t, limit[t]), shape)
                         for t in range(limit.shape[0])])
