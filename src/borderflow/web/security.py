"""Request guards: the access token, CSRF, the size of a request body and response headers.

The token (when the app has one) is checked on every request, in constant time: as a Bearer
header, or as the HttpOnly cookie that a link with `?token=...` sets once (the page is then
reloaded without the token in its address). CSRF: a per-session token in a cookie and in every
form, compared in constant time on each POST; the token is a random value signed with a secret
of this server process, so a cookie the server did not issue (planted by a page on another
port of the same host, which counts as the same site) is refused. The body size is counted as
the bytes arrive (`BodyLimit`), so an oversized upload is refused before it is read."""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import secrets
from collections.abc import Awaitable, Callable

from fastapi import HTTPException, Request, Response
from fastapi.responses import PlainTextResponse, RedirectResponse
from starlette.datastructures import FormData, Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

TOKEN_COOKIE = "borderflow_token"
CSRF_COOKIE = "borderflow_csrf"
CSRF_FIELD = "csrf"

# Scripts only from this server (figures are JSON drawn by static/app.js); plotly sets inline
# styles on its SVG.
HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self' "
    "'unsafe-inline'; img-src 'self' data: blob:; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}

Next = Callable[[Request], Awaitable[Response]]
log = logging.getLogger("borderflow.web")


class TooLarge(Exception):
    """The body went past its limit while it was being read."""


def too_large(e: BaseException) -> bool:
    """`e` is TooLarge, or holds one (Starlette's middleware reads the body in a task group)."""
    return isinstance(e, TooLarge) or (isinstance(e, BaseExceptionGroup)
                                       and e.subgroup(TooLarge) is not None)


class BodyLimit:
    """Raw ASGI middleware: 413 for a body longer than `limit(path)` bytes, before the body is
    read (from its Content-Length) or as soon as the count passes the limit; 411 for a body
    sent without a Content-Length (chunked), which no form of this app needs."""

    def __init__(self, app: ASGIApp, limit: Callable[[str], int]) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        max_body = self.limit(scope["path"])
        headers = Headers(scope=scope)
        length = headers.get("content-length")
        if length is None and "transfer-encoding" in headers:
            await _refuse(411, "411: send the request with a Content-Length (a form or an upload "
                          "from the page does)", scope, receive, send)
            return
        if length is not None and (not length.isdigit() or int(length) > max_body):
            size = f"{int(length) / 2**20:.2f} MiB" if length.isdigit() else repr(length)
            await _refuse(413, f"413: the request is {size}; the limit is "
                          f"{max_body / 2**20:.2f} MiB", scope, receive, send)
            return
        seen = 0
        started = False

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > max_body:
                raise TooLarge
            return message

        async def sending(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, sending)
        except Exception as e:
            if not too_large(e):
                raise
            if not started:
                await _refuse(413, f"413: the request is larger than the limit of "
                              f"{max_body / 2**20:.2f} MiB", scope, receive, send)


async def _refuse(status: int, message: str, scope: Scope, receive: Receive, send: Send) -> None:
    response = PlainTextResponse(message, status_code=status,
                                 headers={**HEADERS, "Connection": "close"})
    await response(scope, receive, send)


def same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


def token_ok(request: Request, token: str) -> bool:
    auth = request.headers.get("authorization", "")
    if auth.startswith("Bearer ") and same(auth.removeprefix("Bearer ").strip(), token):
        return True
    return same(request.cookies.get(TOKEN_COOKIE, ""), token)


def host_name(header: str) -> str:
    """The host of a Host header, without its port (`[::1]:8000` -> `::1`)."""
    if header.startswith("["):
        return header[1:].split("]", 1)[0]
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


def _signed(secret: bytes, nonce: str) -> str:
    mac = hmac.new(secret, nonce.encode(), hashlib.sha256).digest()
    return nonce + "." + base64.urlsafe_b64encode(mac).decode().rstrip("=")


def guard(token: str | None,
          hosts: tuple[str, ...] | None) -> Callable[[Request, Next], Awaitable[Response]]:
    """The middleware: host, token, CSRF cookie, headers (also on an internal error)."""
    secret = secrets.token_bytes(32)  # signs CSRF tokens; new per process

    def issued(csrf: str) -> bool:
        """Whether this server process issued the CSRF token `csrf`."""
        return same(csrf, _signed(secret, csrf.split(".", 1)[0]))

    async def middleware(request: Request, call_next: Next) -> Response:
        try:
            response = await _checked(request, call_next)
        except Exception as e:
            if too_large(e):
                raise  # BodyLimit answers it
            log.exception("internal error on %s %s", request.method, request.url.path)
            response = PlainTextResponse("500: internal error (the server's log says more)",
                                         status_code=500)
        response.headers.update(HEADERS)
        return response

    async def _checked(request: Request, call_next: Next) -> Response:
        if hosts is not None and host_name(request.headers.get("host", "")).lower() not in hosts:
            return PlainTextResponse("400: this server answers only to " + ", ".join(hosts),
                                     status_code=400)
        if token:
            given = request.query_params.get("token")
            if given is not None:
                if not same(given, token):
                    return PlainTextResponse("401: wrong token", status_code=401)
                # Drop the token from the address bar and history; the cookie carries it now.
                query = request.url.remove_query_params("token").query
                target = request.url.path + (f"?{query}" if query else "")
                response: Response = RedirectResponse(target, status_code=303)
                response.set_cookie(TOKEN_COOKIE, token, httponly=True, samesite="strict")
                return response
            if not token_ok(request, token):
                return PlainTextResponse(
                    "401: this borderflow server needs its token: open the link with ?token=... "
                    "once, or send the header 'Authorization: Bearer <token>'", status_code=401)
        csrf = request.cookies.get(CSRF_COOKIE, "")
        fresh = not issued(csrf)
        # a fresh token is one the browser has not seen yet: a form sent with it fails the check
        request.state.csrf = _signed(secret, secrets.token_urlsafe(24)) if fresh else csrf
        response = await call_next(request)
        if fresh:
            response.set_cookie(CSRF_COOKIE, request.state.csrf, httponly=True, samesite="strict")
        return response

    return middleware


def check_csrf(request: Request, form: FormData) -> None:
    """A POST must carry, in its form, the CSRF token of its cookie, issued by this server
    (403 otherwise)."""
    field = form.get(CSRF_FIELD)
    expected = getattr(request.state, "csrf", "")
    if not request.cookies.get(CSRF_COOKIE) or not isinstance(field, str) or not expected \
            or not same(field, expected):
        raise HTTPException(403, "403: this form is stale or did not come from this site (CSRF "
                            "check failed); reload the page and submit it again")
