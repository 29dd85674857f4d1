"""A CHIME-compatible SIR projection (Penn Medicine's COVID-19 Hospital Impact Model, v1.1.3).

The model, as CHIME defines it (our own implementation, vectorised with numpy):

- The epidemic starts `i_day` days before day 0 (CHIME's current date) with
  `1 / (market_share x hospitalized.rate)` infected people: the infections behind the first
  hospitalised patient. Susceptible: `population` less those; recovered: `recovered`.
- Growth rate `g = 2^(1/doubling_time) - 1`, `gamma = 1/infectious_days`,
  `beta = (g + gamma) / S0` before `mitigation_date` and `beta x (1 - relative_contact_rate)`
  from it on.
- One discrete SIR step a day (`S - beta S I`, `I + beta S I - gamma I`, `R + gamma I`),
  rescaled so that S + I + R stays the same.
- For each disposition X (hospitalized, icu, ventilated): `ever_X = (I + R) x rate_X x
  market_share`; admissions are its daily increase (none on the projection's first day: the
  first patient is not counted); the census on day t is the admissions of the last `days_X`
  days up to t.
- With `doubling_time`, `i_day` is the day (0 to n_days - 1) whose census best matches
  `current_hospitalized`, among the days not after the census peak. With
  `date_first_hospitalized`, `i_day` is fixed and the doubling time is fitted instead: a grid
  of 15 values from 1 to 15 days, then four finer grids around the best.

Where CHIME behaves oddly we do as it does, so that a CHIME user sees the same numbers: when a
doubling-time grid is best at its first value, CHIME refines between the grid's last and
second values (Python's index -1); `recovered` adds to the population rather than coming out
of the susceptible. Where CHIME fails: a grid best at its last value (CHIME raises an
IndexError) is an error that says so; a mitigation date after the projection (CHIME raises an
IndexError) means no distancing within it.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np

from ..model.scenario import Epidemic

Array = np.ndarray[Any, np.dtype[np.float64]]
IntArray = np.ndarray[Any, np.dtype[np.intp]]

DISPOSITIONS = ("hospitalized", "icu", "ventilated")
GRID = 15  # values in each doubling-time grid
REFINEMENTS = 4


def growth_rate(doubling_time: float) -> float:
    """Daily growth rate of an epidemic that doubles every `doubling_time` days."""
    return float(2.0 ** (1.0 / doubling_time) - 1.0)


def sir_step(s: Any, i: Any, r: Any, beta: Any, gamma: float, n: float) -> tuple[Any, Any, Any]:
    """One day of the discrete SIR model, rescaled to the population `n` (scalars or arrays)."""
    infections = beta * s * i
    recoveries = gamma * i
    s1, i1, r1 = s - infections, i + infections - recoveries, r + recoveries
    scale = n / (s1 + i1 + r1)
    return s1 * scale, i1 * scale, r1 * scale


@dataclass(frozen=True)
class Projection:
    """One epidemic, day by day from the first hospitalisation (`day` = -i_day) to the end."""

    i_day: int
    doubling_time: float
    intrinsic_growth_rate: float
    gamma: float
    beta: float
    beta_t: float
    r_naught: float
    r_t: float
    doubling_time_t: float
    day: IntArray
    susceptible: Array
    infected: Array
    recovered: Array
    ever: Mapping[str, Array]
    admits: Mapping[str, Array]
    census: Mapping[str, Array]

    def series(self, name: str) -> Array:
        """A census (`hospitalized`, `icu`, `ventilated`) or admissions (`admits_icu`, ...)
        from day 0 on."""
        table = self.admits if name.startswith("admits_") else self.census
        return table[name.removeprefix("admits_")][self.i_day:]


class FitError(ValueError):
    """The epidemic cannot be fitted to its inputs."""


def project(e: Epidemic, start: dt.date, days: int) -> Projection:
    """The projection of `e` whose day 0 is `start`, covering days 0 to at least days - 1 (and
    to n_days, as CHIME does)."""
    n_days = e.n_days if e.n_days is not None else days
    horizon = max(n_days, days - 1)  # the last day projected
    mitigation = 0 if e.mitigation_date is None else (e.mitigation_date - start).days
    m = _Model(e, mitigation)
    if e.doubling_time is not None:
        doubling_time = e.doubling_time
        i_day = m.fit_i_day(doubling_time, n_days)
    elif e.date_first_hospitalized is not None:
        i_day = (start - e.date_first_hospitalized).days
        if i_day < 1:
            raise FitError("date_first_hospitalized must be before the scenario's start")
        doubling_time = m.fit_doubling_time(i_day, n_days)
    else:
        raise FitError("needs doubling_time or date_first_hospitalized")
    return m.projection(doubling_time, i_day, horizon)


class _Model:
    def __init__(self, e: Epidemic, mitigation: int) -> None:
        self.e, self.mitigation = e, mitigation
        if e.hospitalized.rate == 0:
            raise FitError("hospitalized.rate must be above 0")
        self.i0 = 1.0 / (e.market_share * e.hospitalized.rate)
        self.s0 = e.population - self.i0
        if self.s0 <= 0:
            raise FitError("population must be more than 1 / (market_share x hospitalized.rate)")
        self.gamma = 1.0 / e.infectious_days
        self.rates = np.array([getattr(e, d).rate for d in DISPOSITIONS])
        self.stays = [getattr(e, d).days for d in DISPOSITIONS]

    def betas(self, doubling_time: Any) -> tuple[Any, Any]:
        beta = (2.0 ** (1.0 / np.asarray(doubling_time)) - 1.0 + self.gamma) / self.s0
        return beta, beta * (1.0 - self.e.relative_contact_rate)

    def switch(self, i_day: Any, steps: Any) -> IntArray:
        """The step at which distancing starts, for runs from day -i_day that take `steps`
        steps (an earlier mitigation date counts from the first step, a later one never
        comes)."""
        switch: IntArray = np.clip(np.asarray(i_day) + self.mitigation, 0, steps).astype(np.intp)
        return switch

    def run(self, beta: Any, beta_t: Any, switch: IntArray, steps: int) -> tuple[Array, Array, Array]:
        """S, I, R of several runs [run, step 0..steps] from the first hospitalisation."""
        k = switch.shape[0]
        n = self.s0 + self.i0 + self.e.recovered
        out = np.empty((3, steps + 1, k))
        s, i, r = np.full(k, self.s0), np.full(k, self.i0), np.full(k, float(self.e.recovered))
        beta, beta_t = np.broadcast_to(beta, k), np.broadcast_to(beta_t, k)
        for t in range(steps):
            out[:, t] = s, i, r
            s, i, r = sir_step(s, i, r, np.where(t < switch, beta, beta_t), self.gamma, n)
        out[:, steps] = s, i, r
        return out[0].T, out[1].T, out[2].T

    def dispositions(self, infected: Array, recovered: Array, only_hospitalized: bool = False
                     ) -> tuple[Array, Array, Array]:
        """ever, admissions and census [disposition, run, step] from I and R [run, step]."""
        k = 1 if only_hospitalized else len(DISPOSITIONS)
        share = self.rates[:k] * self.e.market_share
        ever = (infected + recovered)[None] * share[:, None, None]
        admits = np.zeros_like(ever)
        admits[..., 1:] = np.diff(ever, axis=-1)
        # the admissions of the last `stay` days (none on the first day) add up to this
        census = np.empty_like(ever)
        for d, stay in enumerate(self.stays[:k]):
            census[d, :, :stay] = ever[d, :, :stay] - ever[d, :, :1]
            census[d, :, stay:] = ever[d, :, stay:] - ever[d, :, :-stay]
        return ever, admits, census

    def hospitalized(self, beta: Array, beta_t: Array, i_day: int, n_days: int) -> Array:
        """The hospital census [run, step] of runs (one per beta) from day -i_day to n_days."""
        steps = i_day + n_days
        switch = self.switch(np.full(beta.shape[0], i_day), steps)
        _, infected, recovered = self.run(beta, beta_t, switch, steps)
        census: Array = self.dispositions(infected, recovered, only_hospitalized=True)[2][0]
        return census

    def fit_i_day(self, doubling_time: float, n_days: int) -> int:
        """The i_day (0..n_days-1) whose census on day 0 is nearest current_hospitalized, among
        those that do not put day 0 after the census peak.

        Every candidate runs at once, one per column, from its first patient (step 0) to its
        day n_days (step i_day + n_days); only the census on each step's day 0 and the peak
        so far are kept, so memory stays small for long horizons.
        """
        beta, beta_t = self.betas(doubling_time)
        k = np.arange(n_days)
        last = k + n_days  # each candidate's last step
        switch = self.switch(k, last)
        stay = self.stays[0]
        share = self.rates[0] * self.e.market_share
        n = self.s0 + self.i0 + self.e.recovered
        s, i, r = np.full(n_days, self.s0), np.full(n_days, self.i0), \
            np.full(n_days, float(self.e.recovered))
        ever = np.empty((stay, n_days))  # ever hospitalised on the last `stay` steps (a ring)
        first = (self.i0 + self.e.recovered) * share
        today = np.empty(n_days)  # census on day 0
        peak, top = np.zeros(n_days, dtype=np.intp), np.full(n_days, -np.inf)
        for t in range(int(last[-1]) + 1):
            now = (i + r) * share
            census = now - (ever[t % stay] if t >= stay else first)
            ever[t % stay] = now
            higher = (census > top) & (t <= last)
            top[higher], peak[higher] = census[higher], t
            if t < n_days:
                today[t] = census[t]
            s, i, r = sir_step(s, i, r, np.where(t < switch, beta, beta_t), self.gamma, n)
        loss = np.where(peak >= k, (today - self.e.current_hospitalized) ** 2, np.inf)
        return int(np.argmin(loss))  # i_day 0 never puts day 0 after the peak

    def fit_doubling_time(self, i_day: int, n_days: int) -> float:
        """The doubling time whose census on day 0 (i_day days after the first patient) is
        nearest current_hospitalized, refined on finer and finer grids."""
        grid = np.linspace(1.0, 15.0, GRID)
        best = self._best(grid, i_day, n_days)
        for _ in range(REFINEMENTS):
            if best == GRID - 1:  # CHIME fails here (IndexError)
                raise FitError(
                    "CHIME's search for the doubling time (a grid from 1 to 15 days, refined 4 "
                    "times) runs off its grid for current_hospitalized on this "
                    "date_first_hospitalized, and so CHIME fails; give doubling_time instead")
            # CHIME takes the neighbours by Python index: below the first is the last
            grid = np.linspace(grid[best - 1], grid[best + 1], GRID)
            best = self._best(grid, i_day, n_days)
        return float(grid[best])

    def _best(self, grid: Array, i_day: int, n_days: int) -> int:
        census = self.hospitalized(*self.betas(grid), i_day, n_days)
        return int(np.argmin((self.e.current_hospitalized - census[:, i_day]) ** 2))

    def projection(self, doubling_time: float, i_day: int, horizon: int) -> Projection:
        steps = i_day + horizon
        beta, beta_t = (float(b) for b in self.betas(doubling_time))
        s, i, r = (a[0] for a in self.run(beta, beta_t, self.switch([i_day], steps), steps))
        ever, admits, census = (a[:, 0] for a in self.dispositions(i[None], r[None]))
        growth = beta_t * self.s0 - self.gamma + 1.0
        return Projection(
            i_day=i_day,
            doubling_time=doubling_time,
            intrinsic_growth_rate=growth_rate(doubling_time),
            gamma=self.gamma,
            beta=beta,
            beta_t=beta_t,
            r_naught=beta / self.gamma * self.s0,
            r_t=beta_t / self.gamma * self.s0,
            doubling_time_t=_doubling_time(growth),
            day=_frozen(np.arange(-i_day, horizon + 1)),
            susceptible=_frozen(s), infected=_frozen(i), recovered=_frozen(r),
            ever=_by_name(ever), admits=_by_name(admits), census=_by_name(census),
        )


def _doubling_time(growth: float) -> float:
    """Days to double at a daily factor `growth` (negative: halving; inf: flat)."""
    if growth <= 0:
        return math.nan
    return math.inf if growth == 1 else 1.0 / math.log2(growth)


def _frozen(a: Any) -> Any:
    a = np.ascontiguousarray(a)
    a.flags.writeable = False
    return a


def _by_name(values: Array) -> Mapping[str, Array]:
    return MappingProxyType({d: _frozen(values[k]) for k, d in enumerate(DISPOSITIONS)})
