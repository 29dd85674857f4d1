"""The web app (`borderflow serve`): FastAPI, server-rendered pages, plotly charts."""

from .app import create_app
from .settings import LOOPBACK_NAMES, TOKEN_ENV, Settings, is_loopback, refuse_to_bind

__all__ = ["LOOPBACK_NAMES", "TOKEN_ENV", "Settings", "create_app", "is_loopback", "refuse_to_bind"]
