"""Templates, the session's CSRF token and the scope check that answers with a page rather than JSON."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from fastapi import Request
from fastapi.templating import Jinja2Templates
from starlette.responses import Response

from lotline.api.auth import UI_COOKIE, current_key
from lotline.store.keys import ApiKey

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")

# The pages, in menu order: (path, title, scope needed to open it)
PAGES = (
    ("/ui/", "Overview", "query"),
    ("/ui/trace", "Trace explorer", "trace"),
    ("/ui/recall", "Recall workbench", "trace"),
    ("/ui/events", "Events", "query"),
    ("/ui/exceptions", "Exceptions", "trace"),
)


class Forbidden(Exception):
    """The signed-in key lacks the scope a page needs (rendered as a 403 page)."""

    def __init__(self, scope: str, key: ApiKey) -> None:
        super().__init__(scope)
        self.scope = scope
        self.key = key


def need(request: Request, scope: str) -> ApiKey:
    key = current_key(request)
    if scope not in key.scopes:
        raise Forbidden(scope, key)
    return key


def csrf_token(request: Request) -> str:
    """Bound to the session's key: an HMAC of a fixed label under the key, so no server state is needed."""
    secret = request.cookies.get(UI_COOKIE, "")
    return hmac.new(secret.encode(), b"lotline-ui-csrf", hashlib.sha256).hexdigest()[:32]


def check_csrf(request: Request, token: str | None) -> bool:
    """A POST is ours when it carries this session's token and, if the browser says, comes from our origin."""
    origin = request.headers.get("origin")
    if origin and origin.rstrip("/") != f"{request.url.scheme}://{request.url.netloc}":
        return False
    return bool(token) and hmac.compare_digest(str(token), csrf_token(request))


def micros(value: int | None) -> str:
    if value is None:
        return ""
    return datetime.fromtimestamp(value / 1e6, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    for limit, unit in ((86400, "d"), (3600, "h"), (60, "min")):
        if abs(seconds) >= limit:
            return f"{seconds / limit:.1f} {unit}"
    return f"{seconds:.1f} s"


def short(uri: str | None) -> str:
    """A CBV URI without its vocabulary prefix (`urn:epcglobal:cbv:bizstep:shipping` -> `shipping`)."""
    if not uri:
        return ""
    for prefix in (
        "urn:epcglobal:cbv:bizstep:",
        "urn:epcglobal:cbv:disp:",
        "https://ref.gs1.org/cbv/BizStep-",
        "https://ref.gs1.org/cbv/Disp-",
    ):
        if uri.startswith(prefix):
            return uri[len(prefix) :]
    return uri


templates.env.filters["micros"] = micros
templates.env.filters["duration"] = duration
templates.env.filters["short"] = short


def script_json(value: Any) -> str:
    """JSON to embed in a <script type="application/json"> element (no `</` can end the element early)."""
    return orjson.dumps(value).decode().replace("</", "<\\/")


def page(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> Response:
    key: ApiKey | None = request.scope.get("state", {}).get("api_key")
    base = {
        "request": request,
        "key": key,
        "nav_pages": [(p, t, s, key is not None and s in key.scopes) for p, t, s in PAGES],
        "path": request.url.path,
        "csrf": csrf_token(request),
    }
    return templates.TemplateResponse(request, name, {**base, **context}, status_code=status_code)
