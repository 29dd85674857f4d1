"""Request guards: the access token, CSRF, the size of a request body and response headers.

The token (when the app has one) is checked on every request, in constant time: as a Bearer
header, or as the HttpOnly cookie that a link with `?token=...` sets once (the page is then
reloaded without the token in its address). CSRF: a random per-session token in a cookie and
in every form, compared in constant time on each POST."""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Awaitable, Callable

from fastapi import HTTPException, Request, Response
from fastapi.responses import PlainTextResponse, RedirectResponse
from starlette.datastructures import FormData

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


def guard(token: str | None, max_body: int,
          hosts: tuple[str, ...] | None) -> Callable[[Request, Next], Awaitable[Response]]:
    """The middleware: host, token, body size, CSRF cookie, headers."""

    async def middleware(request: Request, call_next: Next) -> Response:
        response = await _checked(request, call_next)
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
        length = request.headers.get("content-length", "")
        if length.isdigit() and int(length) > max_body:
            return PlainTextResponse(f"413: the request is {int(length) / 2**20:.1f} MiB; the "
                                     f"limit is {max_body / 2**20:.1f} MiB", status_code=413)
        csrf = request.cookies.get(CSRF_COOKIE)
        fresh = csrf is None or len(csrf) != 43
        request.state.csrf = secrets.token_urlsafe(32) if fresh else csrf
        response = await call_next(request)
        if fresh:
            response.set_cookie(CSRF_COOKIE, request.state.csrf, httponly=True, samesite="strict")
        return response

    return middleware


def check_csrf(request: Request, form: FormData) -> None:
    """A POST must carry the session's CSRF token in its form (403 otherwise)."""
    cookie = request.cookies.get(CSRF_COOKIE, "")
    field = form.get(CSRF_FIELD)
    if not cookie or not isinstance(field, str) or not same(field, cookie):
        raise HTTPException(403, "403: this form is stale or did not come from this site (CSRF "
                            "check failed); reload the page and submit it again")
