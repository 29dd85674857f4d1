"""The `borderflow` command: a thin front end over the public API. `shared.py` holds the typer
app and shared options, `commands/` the commands (one module per group), `render.py` how
results are shown. Errors: bad input (a ScenarioError, or a UsageError naming the flag) exits
2 with its message and no traceback; anything else is an internal error, exit 1."""

from __future__ import annotations

import os

from ..model import ScenarioError, UsageError
from .commands import (  # noqa: F401  (registers them)
    attribute,
    catalogue,
    exempt,
    inspect,
    meta,
    prices,
    run,
    sensitivity,
    stress,
    sweep,
)
from .shared import app


def main() -> None:
    from .shared import err

    try:
        app()
    except UsageError as e:
        err.print(str(e), markup=False, soft_wrap=True)
        raise SystemExit(2) from None
    except ScenarioError as e:
        for line in e.lines():
            err.print(line, markup=False, soft_wrap=True)
        raise SystemExit(2) from None
    except KeyboardInterrupt:
        err.print("interrupted")
        raise SystemExit(130) from None
    except Exception as e:  # an internal error: say so plainly; the traceback only on request
        if os.environ.get("BORDERFLOW_DEBUG"):
            raise
        from ..engine import OptimalError

        if isinstance(e, OptimalError):
            err.print(f"no optimal allocation: {e}", markup=False)
            raise SystemExit(1) from None
        err.print(f"internal error: {type(e).__name__}: {e}", markup=False)
        err.print("(this is a bug in borderflow; set BORDERFLOW_DEBUG=1 to see the traceback)")
        raise SystemExit(1) from None


__all__ = ["app", "main"]
