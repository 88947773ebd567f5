"""Bearer API keys on every path but /health, checked before routing (so unknown paths leak nothing).

The control tower (`/ui/...`, `lotline.ui`) also takes the key from its HttpOnly session cookie; its sign-in
page and static assets are public, and a browser without a valid key is sent to the sign-in page.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from sqlalchemy import Engine
from starlette.responses import RedirectResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from lotline.api.problems import SECURITY, problem
from lotline.errors import AuthError, ScopeError
from lotline.store.keys import ApiKey, verify_token

PUBLIC_PATHS = frozenset({"/health", "/", "/ui/login"})
PUBLIC_PREFIXES = ("/ui/static/",)
UI_PREFIX = "/ui"  # pages that accept the session cookie instead of a bearer header
UI_COOKIE = "lotline_key"
UI_LOGIN = "/ui/login"
_CACHE_SECONDS = 5.0  # a revoked key stops working within this time


class AuthMiddleware:
    def __init__(self, app: ASGIApp, engine: Engine) -> None:
        self.app = app
        self.engine = engine
        self._cache: dict[str, tuple[float, ApiKey]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope["path"] if scope["type"] == "http" else ""
        if scope["type"] != "http" or path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES):
            await self.app(scope, receive, send)
            return
        header = dict(scope["headers"]).get(b"authorization", b"").decode("latin-1")
        scheme, _, token = header.partition(" ")
        ui = not header and (path == UI_PREFIX or path.startswith(UI_PREFIX + "/"))
        if ui:
            scheme, token = "bearer", _cookie(scope, UI_COOKIE)
        try:
            if scheme.lower() != "bearer" or not token.strip():
                raise AuthError(
                    "send an API key as `Authorization: Bearer <key>` (create one with `lotline keys create`)"
                )
            key = self._verify(token.strip())
        except AuthError as exc:
            if ui:  # a browser: to the sign-in page, saying why
                await _to_login(scope, str(exc) if token else "")(scope, receive, send)
                return
            response = problem(
                401, SECURITY, "Unauthorized", str(exc), headers={"WWW-Authenticate": "Bearer"}
            )
            await response(scope, receive, send)
            return
        scope.setdefault("state", {})["api_key"] = key
        await self.app(scope, receive, send)

    def _verify(self, token: str) -> ApiKey:
        now = time.monotonic()
        cached = self._cache.get(token)
        if cached and now - cached[0] < _CACHE_SECONDS:
            return cached[1]
        key = verify_token(self.engine, token)  # blocking, but a single indexed lookup
        if len(self._cache) > 10_000:
            self._cache.clear()
        self._cache[token] = (now, key)
        return key


def _cookie(scope: Scope, name: str) -> str:
    for key, value in scope["headers"]:
        if key == b"cookie":
            for part in bytes(value).decode("latin-1").split(";"):
                cookie_name, _, cookie_value = part.strip().partition("=")
                if cookie_name == name:
                    return cookie_value
    return ""


def _to_login(scope: Scope, reason: str) -> Response:
    target = scope["path"] + (f"?{scope['query_string'].decode('latin-1')}" if scope["query_string"] else "")
    query = urlencode({"next": target, **({"reason": reason} if reason else {})})
    response = RedirectResponse(f"{UI_LOGIN}?{query}", status_code=303)
    if reason:
        response.delete_cookie(UI_COOKIE, path=UI_PREFIX)
    return response


def current_key(request: Request) -> ApiKey:
    key: Any = request.scope.get("state", {}).get("api_key")
    if not isinstance(key, ApiKey):  # pragma: no cover - the middleware always sets it
        raise AuthError("not authenticated")
    return key


def require(request: Request, scope_name: str) -> ApiKey:
    key = current_key(request)
    if scope_name not in key.scopes:
        raise ScopeError(
            f"this API key lacks the {scope_name!r} scope (it has: {', '.join(sorted(key.scopes))})"
        )
    return key
