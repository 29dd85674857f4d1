"""retaliation: counter-measures switched on once another policy has been in force long
enough (Canada's answer to a US export ban)."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, Literal

from pydantic import Field, NonNegativeInt

from ..base import Frozen
from .base import Activation, Effects, Found, Models, PolicyBase, Screen, ref

if TYPE_CHECKING:
    from ..errors import Path
    from ..scenario import Scenario


class Trigger(Frozen):
    policy: str
    active_days: NonNegativeInt = 0


class Retaliation(PolicyBase):
    type: Literal["retaliation"]
    when: Trigger
    activate: list[str] = Field(min_length=1)
    after_days: NonNegativeInt = 0

    parts: ClassVar[Models] = (Trigger,)

    def check(self, s: Scenario, at: Path) -> Found:
        ids = [q.id for q in s.policies]
        yield from ref((*at, "when", "policy"), "policy", self.when.policy, ids)
        for j, q in enumerate(self.activate):
            yield from ref((*at, "activate", j), "policy", q, ids)
            if q == self.id:
                yield (*at, "activate", j), "a retaliation cannot activate itself"

    def activation(self) -> Activation:
        return Activation(self.when.policy, self.when.active_days, tuple(self.activate),
                          self.after_days)

    def compile(self, fx: Effects) -> None:
        return None  # its effect is the policies it switches on (`activation`), compiled as theirs

    def screen(self, q: Screen) -> None:
        return None  # the policies it switches on screen shipments themselves
