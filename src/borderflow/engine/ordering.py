"""What a node orders, day by day: its forecast of use and its replenishment rule.

`Ordering` keeps the forecasts' state for a batch of samples (arrays [B, pairs]) and is asked,
level by level of the supply chain, for the need of some pairs given their use today and their
inventory position. With every node at the defaults (today's use, order up to target_days x
it, daily review) it computes `max(0, target x use - position)` and keeps no state.

- moving average over P days: the mean use of the last P days, today included (of the days
  there are, in the first P - 1 days);
- exponential smoothing: F_t = alpha u_t + (1 - alpha) F_{t-1}, F_0 = u_0; its variance
  v_t = (1 - alpha)(v_{t-1} + alpha (u_t - F_{t-1})^2), v_0 = 0;
- the safety term z x sigma x sqrt(target_days), sigma the standard deviation of use over the
  moving average's window (the exponential variance's square root);
- the rules (position p): order_up_to max(0, L - p) with L = (target + safety_days) x F + the
  safety term; base_stock max(0, S - p); s_S S - p once p <= s; r_Q Q once p <= R (one order a
  review, as stockpyl and SupplyNetPy have it); any rule only on review days (t % review_days
  == 0).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .network import Network

Array = np.ndarray[Any, np.dtype[np.float64]]
IntArray = np.ndarray[Any, np.dtype[np.intp]]


class Ordering:
    def __init__(self, net: Network, batch: int) -> None:
        inv, C = net.inventory, len(net.commodities)
        self.target = np.repeat(net.target, C)
        self.plain = inv.plain_forecast and inv.plain_rules
        self.window = np.repeat(inv.window, C)
        self.alpha = np.repeat(inv.alpha, C)
        self.rule = np.repeat(inv.rule, C)
        self.review = np.repeat(inv.review, C)
        self.safety_days = np.repeat(inv.safety_days, C)
        self.safety_z = np.repeat(inv.safety_z, C)
        self.level, self.reorder, self.quantity = inv.level, inv.reorder, inv.quantity
        self.depth = int(max(1, self.window.max(initial=1)))
        NC = len(net.nodes) * C
        self.history = np.zeros((self.depth, batch, NC))  # use by day modulo depth
        self.smooth = np.zeros((batch, NC))  # exponential forecasts
        self.variance = np.zeros((batch, NC))
        self.forecast = np.zeros((batch, NC))  # today's, per pair (a supplier's sharing reads it)

    def need(self, t: int, pairs: IntArray, use: Array, position: Array) -> Array:
        """[B, pairs] what the pairs order today, given their use today and their position."""
        if self.plain:
            self.forecast[:, pairs] = use
            return np.maximum(0.0, self.target[pairs] * use - position)
        f, sigma = self._forecast(t, pairs, use)
        self.forecast[:, pairs] = f
        rule = self.rule[pairs]
        level = np.where(rule == 0, (self.target[pairs] + self.safety_days[pairs]) * f +
                         self.safety_z[pairs] * sigma * np.sqrt(self.target[pairs]),
                         self.level[pairs])
        need = np.maximum(0.0, level - position)
        need = np.where((rule == 2) & (position > self.reorder[pairs]), 0.0, need)
        at_reorder = position <= self.reorder[pairs]
        need = np.where(rule == 3, np.where(at_reorder, self.quantity[pairs], 0.0), need)
        out: Array = need * (t % self.review[pairs] == 0)
        return out

    def _forecast(self, t: int, pairs: IntArray, use: Array) -> tuple[Array, Array]:
        window, alpha = self.window[pairs], self.alpha[pairs]
        mean, spread = use.copy(), np.zeros_like(use)  # a window of one day: today's use
        longer = window > 1
        if longer.any():
            some = pairs[longer]
            self.history[t % self.depth][:, some] = use[:, longer]
            # the last P days, today included: slot s holds day t - age[s]
            back = self.history[:, :, some]  # [D, B, n]
            age = (t - np.arange(self.depth)) % self.depth
            n = np.minimum(window[longer], t + 1)
            counted = (age[:, None] < n[None, :])[:, None, :]
            kept = back * counted
            # summed slot after slot (an accumulation is never paired up, as numpy's sum is
            # when the other axes are of size 1: a sample alone would then differ in the last
            # bits from one in a batch); slots not counted add exact zeros
            total = np.add.accumulate(kept, axis=0)[-1]
            squares = np.add.accumulate(kept * back, axis=0)[-1]
            m = total / n
            mean[:, longer] = m
            spread[:, longer] = np.sqrt(np.maximum(0.0, squares / n - m ** 2))
        if not alpha.any():
            return mean, spread
        old, var = self.smooth[:, pairs], self.variance[:, pairs]
        smooth = np.where(t == 0, use, alpha * use + (1 - alpha) * old)
        var = np.where(t == 0, 0.0, (1 - alpha) * (var + alpha * (use - old) ** 2))
        self.smooth[:, pairs], self.variance[:, pairs] = smooth, var
        exp = alpha > 0
        return np.where(exp, smooth, mean), np.where(exp, np.sqrt(var), spread)
