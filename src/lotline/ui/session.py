"""Sign in with an API key (kept in an HttpOnly, SameSite=Strict cookie) and sign out."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from lotline.api.auth import UI_COOKIE, UI_PREFIX
from lotline.errors import AuthError
from lotline.store.keys import verify_token
from lotline.ui.overview import warm_up
from lotline.ui.render import check_csrf, page

router = APIRouter(prefix="/ui", include_in_schema=False)
_SESSION_SECONDS = 12 * 3600


def _safe_next(target: str | None) -> str:
    """Only our own pages: never an absolute URL or a protocol-relative one (open redirect)."""
    if target and target.startswith("/ui") and not target.startswith("//"):
        return target
    return "/ui/"


@router.get("/login")
def login_form(request: Request, next: str | None = None, reason: str | None = None) -> Response:
    warm_up(request.app)
    message = f"Your session ended: {reason}. Sign in again." if reason else None
    return page(request, "login.html", {"title": "Sign in", "next": _safe_next(next), "error": message})


@router.post("/login")
async def login(
    request: Request, api_key: Annotated[str, Form()] = "", next: Annotated[str, Form()] = "/ui/"
) -> Response:
    origin = request.headers.get("origin")
    if origin and origin.rstrip("/") != f"{request.url.scheme}://{request.url.netloc}":
        return page(
            request,
            "login.html",
            {"title": "Sign in", "next": "/ui/", "error": "Cross-site sign-in refused."},
            status_code=403,
        )
    token = api_key.strip()
    try:
        if not token:
            raise AuthError("enter an API key")
        await run_in_threadpool(verify_token, request.app.state.engine, token)
    except AuthError as exc:
        context = {"title": "Sign in", "next": _safe_next(next), "error": f"That key was refused: {exc}."}
        return page(request, "login.html", context, status_code=401)
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(
        UI_COOKIE,
        token,
        max_age=_SESSION_SECONDS,
        path=UI_PREFIX,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response


@router.post("/logout")
async def logout(request: Request, csrf: Annotated[str, Form()] = "") -> Response:
    if not check_csrf(request, csrf):
        return Response("Sign-out refused: the form is stale or from another site.", status_code=403)
    response = RedirectResponse("/ui/login", status_code=303)
    response.delete_cookie(UI_COOKIE, path=UI_PREFIX)
    return response
