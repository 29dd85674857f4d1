"""retaliation: counter-measures switched on once another policy has been in force long
enough (Canada's answer to a US export ban), or once a region has been short long enough (its
sites' days of supply under a threshold)."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, Literal

from pydantic import Field, NonNegativeInt, PositiveFloat

from ..base import Frozen
from .base import Activation, Effects, Found, Models, PolicyBase, Screen, ref

if TYPE_CHECKING:
    from ..errors import Path
    from ..scenario import Scenario


class Trigger(Frozen):
    policy: str | None = Field(None, description="the policy whose days in force it counts")
    region: str | None = Field(None, description="or the region whose shortage it watches")
    commodity: str | None = Field(None, description="with `region`: the commodity")
    days_of_supply_below: PositiveFloat | None = Field(
        None, description="with `region`: short while its sites' end-of-day stock is under this "
        "many days of that day's use")
    active_days: NonNegativeInt = Field(0, description="days in force (or short) in a row")


class Retaliation(PolicyBase):
    type: Literal["retaliation"]
    when: Trigger
    activate: list[str] = Field(min_length=1)
    after_days: NonNegativeInt = 0

    parts: ClassVar[Models] = (Trigger,)

    def check(self, s: Scenario, at: Path) -> Found:
        ids = [q.id for q in s.policies]
        w, wp = self.when, (*at, "when")
        shortage = (w.region, w.commodity, w.days_of_supply_below)
        if w.policy is not None:
            yield from ref((*wp, "policy"), "policy", w.policy, ids)
            if any(x is not None for x in shortage):
                yield wp, "a trigger watches a policy or a shortage, not both"
        elif any(x is None for x in shortage):
            yield wp, "a trigger needs `policy`, or `region`, `commodity` and " \
                      "`days_of_supply_below`"
        if w.region is not None:
            yield from ref((*wp, "region"), "region", w.region, s.regions)
        if w.commodity is not None:
            yield from ref((*wp, "commodity"), "commodity", w.commodity, s.commodities)
        for j, q in enumerate(self.activate):
            yield from ref((*at, "activate", j), "policy", q, ids)
            if q == self.id:
                yield (*at, "activate", j), "a retaliation cannot activate itself"

    def activation(self) -> Activation:
        w = self.when
        shortage = None if w.policy is not None or w.region is None or w.commodity is None or \
            w.days_of_supply_below is None else (w.region, w.commodity, w.days_of_supply_below)
        return Activation(w.policy or "", w.active_days, tuple(self.activate), self.after_days,
                          shortage)

    def compile(self, fx: Effects) -> None:
        return None  # its effect is the policies it switches on (`activation`), compiled as theirs

    def screen(self, q: Screen) -> None:
        return None  # the policies it switches on screen shipments themselves
