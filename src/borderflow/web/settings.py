"""What a web app instance needs to know: where it keeps uploads and runs, its token, its
limits, and the function that runs a scenario (tests inject a slow one)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .._loopback import is_loopback

if TYPE_CHECKING:
    from ..model import Scenario
    from ..results import Result

TOKEN_ENV = "BORDERFLOW_TOKEN"
MiB = 2**20


@dataclass(frozen=True)
class Settings:
    results: Path  # the results root: catalog.duckdb, runs/ (shared with the CLI), uploads/
    token: str | None = None  # when set, every request must carry it
    workers: int = 2  # runs computed at once
    queue: int = 2  # runs waiting for a worker; more than workers + queue: 503 busy
    max_file_bytes: int = MiB  # per uploaded file
    max_files: int = 20  # per upload (the scenario and its CSV files)
    max_uploads: int = 50  # uploads kept: a new one removes the oldest beyond this
    # runs (scenario, allocator); default: borderflow.simulate
    run: Callable[[Scenario, str], Result] | None = None
    # Host names a request may address (None: any). Without a token `serve` allows only
    # loopback names, so a web page elsewhere cannot reach the app by DNS rebinding.
    hosts: tuple[str, ...] | None = None

    @property
    def uploads(self) -> Path:
        return self.results / "uploads"



LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")


def refuse_to_bind(host: str, token: str | None) -> str | None:
    """Why `serve` must not start on `host` (None if it may)."""
    if is_loopback(host) or token:
        return None
    return (f"refusing to listen on {host} without a token: anyone who can reach this machine "
            f"could run and upload scenarios. Give one with --token or the {TOKEN_ENV} "
            "environment variable (e.g. `export BORDERFLOW_TOKEN=$(python -c 'import secrets; "
            "print(secrets.token_urlsafe(24))')`), or listen on 127.0.0.1.")
