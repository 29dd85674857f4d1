"""The web app (`borderflow serve`): FastAPI, server-rendered pages, plotly charts."""

from .app import create_app
from .settings import LOOPBACK_NAMES, TOKEN_ENV, Settings, refuse_to_bind

__all__ = ["LOOPBACK_NAMES", "TOKEN_ENV", "Settings", "create_app", "refuse_to_bind"]
