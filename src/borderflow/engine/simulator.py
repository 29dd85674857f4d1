"""The daily simulation with the priority allocator: `step()` one day, `run()` them all.

Every array carries a leading batch axis B (samples run together); within a day nothing loops
over nodes or lanes, only over the few levels of the supply chain.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .network import Network
from .records import DayRecord, Trace

Array = np.ndarray[Any, np.dtype[np.float64]]
IntArray = np.ndarray[Any, np.dtype[np.intp]]


def scatter_add(out: Array, cols: IntArray, values: Array) -> None:
    """out[b, cols[j]] += values[b, j] for every b and j (repeated columns add up)."""
    B, width = out.shape
    idx = (np.arange(B)[:, None] * width + cols[None, :]).ravel()
    out += np.bincount(idx, values.ravel(), minlength=B * width).reshape(B, width)


class Simulator:
    """Runs a Network day by day. State is private; each step returns a frozen DayRecord."""

    def __init__(self, net: Network, batch: int = 1) -> None:
        self.net = net
        self.batch = batch
        N, C = net.shape
        self._nc = N * C
        self._stock = np.repeat(net.stock0.reshape(1, -1), batch, axis=0)  # [B, N*C]
        self._slots = net.max_lead + 1
        self._pipe = np.zeros((self._slots, batch, self._nc))  # arrivals by day modulo slots
        self._transit = np.zeros((batch, self._nc))
        self._src = net.arc_src_pair
        self._dst = net.arc_dst_pair
        self._rec_pair = net.rec_node * C + net.rec_com
        self._rec_input_pairs = net.rec_node[:, None] * C + np.arange(C)[None, :]
        self._target = np.repeat(net.target, C)
        self.day = 0

    @property
    def done(self) -> bool:
        return self.day >= self.net.days

    def step(self) -> DayRecord:
        if self.done:
            raise RuntimeError(f"the horizon of {self.net.days} days is over")
        net, t, S = self.net, self.day, self._stock
        B, N, C = self.batch, *net.shape

        # 1. Arrive
        slot = t % self._slots
        S += self._pipe[slot]
        self._transit -= self._pipe[slot]
        self._pipe[slot] = 0.0

        # 2. Produce
        produced, input_use = self._produce(t)

        # 3. Consume
        demand = np.broadcast_to(net.demand[t].reshape(1, -1), (B, self._nc))
        served = np.minimum(S, demand)
        S -= served

        # 4. Request
        requested, limit = self._request(t, demand + input_use)

        # 5. Allocate and ship
        shipped = self._ship(t, np.minimum(requested, limit))

        self.day += 1
        shape = (B, N, C)
        return DayRecord(
            day=t,
            stock=S.reshape(shape).copy(),
            in_transit=self._transit.reshape(shape).copy(),
            produced=produced,
            demand=demand.reshape(shape).copy(),
            served=served.reshape(shape),
            requested=requested,
            shipped=shipped,
        )

    def run(self) -> Trace:
        records = []
        while not self.done:
            records.append(self.step())
        return Trace.stack(records)

    def _produce(self, t: int) -> tuple[Array, Array]:
        """Make up to capacity, limited by inputs; recipes sharing an input share it pro rata.

        Returns what each recipe made and, per pair, the inputs wanted at full capacity (a
        plant's use, for its orders).
        """
        net, S, B = self.net, self._stock, self.batch
        idx = self._rec_input_pairs  # [R, C]: the pair holding each recipe's inputs
        want = net.rec_cap[t][:, None] * net.rec_inputs  # [R, C] inputs at full capacity
        full_use = np.bincount(idx.ravel(), want.ravel(), minlength=self._nc)[None, :].astype(float)
        total = full_use[0, idx]
        have = S[:, idx]  # [B, R, C]
        scale = np.where(want > 0, np.minimum(1.0, have / np.where(total > 0, total, 1.0)), 1.0)
        made = net.rec_cap[t][None, :] * scale.min(axis=2, initial=1.0)  # [B, R]
        used = made[:, :, None] * net.rec_inputs[None, :, :]
        scatter_add(S, idx.ravel(), -used.reshape(B, -1))
        np.maximum(S, 0.0, out=S)  # pro-rata shares can overshoot a stock by one rounding step
        S[:, self._rec_pair] += made
        return made, full_use

    def _request(self, t: int, use: Array) -> tuple[Array, Array]:
        """Order up to target days of use, level by level from the customers upstream."""
        net = self.net
        A = net.arc_src.size
        B = self.batch
        limit = np.minimum(net.arc_cap, net.policies.day(t, A))
        open_arcs = limit > 0
        weight = np.where(open_arcs, net.arc_weight, 0.0)
        wsum = np.bincount(self._dst, weight, minlength=self._nc)
        share = np.where(open_arcs, weight / np.where(wsum[self._dst] > 0, wsum[self._dst], 1.0), 0.0)
        position = self._stock + self._transit
        received = np.zeros((B, self._nc))
        need = np.zeros((B, self._nc))
        requested = np.zeros((B, A))
        for pairs, arcs in zip(net.level_pairs, net.level_arcs, strict=True):
            if arcs.size == 0:
                continue
            u = use[:, pairs] + received[:, pairs]
            need[:, pairs] = np.maximum(0.0, self._target[pairs] * u - position[:, pairs])
            r = need[:, self._dst[arcs]] * share[arcs]
            requested[:, arcs] = r
            scatter_add(received, self._src[arcs], r)
        return requested, np.broadcast_to(limit, (B, A))

    def _ship(self, t: int, capped: Array) -> Array:
        """Each supplier shares its stock pro rata to the capped requests; ship on lead time."""
        net, S = self.net, self._stock
        B = self.batch
        total = np.zeros((B, self._nc))
        scatter_add(total, self._src, capped)
        ratio = np.where(total > S, S / np.where(total > 0, total, 1.0), 1.0)
        shipped = capped * ratio[:, self._src]
        scatter_add(S, self._src, -shipped)
        np.maximum(S, 0.0, out=S)
        slots = (t + net.arc_lead) % self._slots
        flat_pipe = self._pipe.reshape(self._slots, B * self._nc)
        for_dst = np.arange(B)[:, None] * self._nc + self._dst[None, :]  # [B, A]
        idx = (slots[None, :] * (B * self._nc) + for_dst).ravel()
        flat_pipe += np.bincount(idx, shipped.ravel(),
                                 minlength=self._slots * B * self._nc).reshape(flat_pipe.shape)
        scatter_add(self._transit, self._dst, shipped)
        return shipped
