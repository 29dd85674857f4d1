"""The engine's own errors (never bad input: those are the model's ScenarioError and UsageError)."""


class OptimalError(ValueError):
    """The optimal allocation's LP has no optimum: the message names the constraint family at
    fault, never a raw solver status."""


class InvariantError(AssertionError):
    """A run broke an invariant: a bug in an allocator, never bad input."""
