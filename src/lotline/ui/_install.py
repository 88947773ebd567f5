"""Mount the control tower on the app: pages, static assets, `/` -> `/ui/`, and the 403 page."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.staticfiles import StaticFiles
from starlette.responses import RedirectResponse, Response

from lotline.ui import events, exceptions, explorer, overview, recall, session
from lotline.ui.render import HERE, Forbidden, page


def install(app: FastAPI) -> None:
    for module in (session, overview, explorer, recall, events, exceptions):
        app.include_router(module.router)
    app.mount("/ui/static", StaticFiles(directory=HERE / "static"), name="ui-static")
    app.add_api_route("/", _home, methods=["GET"], include_in_schema=False)

    @app.exception_handler(Forbidden)
    async def _forbidden(request: Request, exc: Forbidden) -> Response:
        context = {"scope": exc.scope, "scopes": sorted(exc.key.scopes), "title": "Not allowed"}
        return page(request, "forbidden.html", context, status_code=403)


def _home() -> Response:
    return RedirectResponse("/ui/", status_code=307)
