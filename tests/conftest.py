"""Every run made anywhere in the test suite is checked against the engine's invariants."""

from __future__ import annotations

from borderflow.engine import allocators

allocators.CHECK = True
