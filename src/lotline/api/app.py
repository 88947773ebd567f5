"""The HTTP application: EPCIS 2.0 at /epcis, health at /health, problem+json for every error."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy import Engine, text
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from lotline import __version__
from lotline.api import completeness, dlq, epcis, epcis_queries, operational, recall, trace
from lotline.api.auth import AuthMiddleware
from lotline.api.problems import (
    IMPLEMENTATION,
    METHOD_NOT_ALLOWED,
    NO_SUCH_RESOURCE,
    QUERY_PARAMETER,
    SECURITY,
    problem,
)
from lotline.api.settings import Settings
from lotline.errors import AuthError, NotFound, ScopeError
from lotline.store import checkpoint
from lotline.ui import install as _install_ui


def _lifespan(engine: Engine) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """While the app serves, SQLite's WAL is checkpointed in the background, never inside a request's
    commit (lotline.store.checkpoint); with `Settings.warm_trace_index` the trace index is built in the
    background as it starts."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        release = checkpoint.hold(engine)
        if app.state.settings.warm_trace_index:
            trace.warm(app)
        try:
            yield
        finally:
            release()
            index = getattr(app.state, "trace_index", None)
            if index is not None:
                index.close()

    return lifespan


def create_app(engine: Engine, settings: Settings | None = None) -> FastAPI:
    """The ASGI app over an opened (migrated) engine."""
    app = FastAPI(
        title="lotline",
        version=__version__,
        summary="Manufacturing integration hub with end-to-end traceability (GS1 EPCIS 2.0)",
        lifespan=_lifespan(engine),
    )
    app.state.engine = engine
    app.state.settings = settings or Settings()
    app.include_router(epcis.router)
    app.include_router(epcis_queries.router)  # /epcis/queries: named queries and subscriptions
    app.include_router(trace.router)
    app.include_router(completeness.router)
    app.include_router(recall.router)
    app.include_router(dlq.router)
    app.include_router(operational.router)  # /api/v1/operational-events, /api/v1/events/{id}/provenance
    app.add_api_route("/health", health, methods=["GET"], summary="Liveness and readiness (no auth)")
    _install_ui(app)  # the control tower at /ui (lotline.ui)
    app.add_middleware(AuthMiddleware, engine=engine)
    _error_handlers(app)
    return app


async def health(request: Request) -> Response:
    engine: Engine = request.app.state.engine
    try:
        await run_in_threadpool(_ping, engine)
    except Exception as exc:  # the database is down: not ready
        return problem(503, IMPLEMENTATION, "Not ready", f"the database is unreachable: {type(exc).__name__}")
    index = trace.index_state(request.app)
    runtime = getattr(request.app.state, "runtime", None)  # set by `serve --config` (lotline.api.service)
    if runtime is None:
        body = {"status": "ok", "database": "ok", "trace_index": index}
        return Response(orjson.dumps(body), media_type="application/json")
    ready, report = await runtime.health()
    degraded = any(not c["ok"] for c in report["connectors"].values()) or any(
        state == "open" for state in report.get("outbound", {}).get("routes", {}).values()
    )
    body = {"status": "degraded" if ready and degraded else "ok" if ready else "not ready", "database": "ok"}
    return Response(
        orjson.dumps({**body, "trace_index": index, **report}),
        status_code=200 if ready else 503,
        media_type="application/json",
    )


def _ping(engine: Engine) -> None:
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))


def _error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ScopeError)
    async def _scope(_: Request, exc: ScopeError) -> Response:
        return problem(403, SECURITY, "Forbidden", str(exc))

    @app.exception_handler(AuthError)
    async def _auth(_: Request, exc: AuthError) -> Response:
        return problem(401, SECURITY, "Unauthorized", str(exc), headers={"WWW-Authenticate": "Bearer"})

    @app.exception_handler(NotFound)
    async def _not_found(_: Request, exc: NotFound) -> Response:
        return problem(404, NO_SUCH_RESOURCE, "Not found", str(exc))

    @app.exception_handler(RequestValidationError)
    async def _request(_: Request, exc: RequestValidationError) -> Response:
        errors = [
            {"path": "/".join(str(p) for p in e.get("loc", ())), "message": str(e.get("msg", ""))}
            for e in exc.errors()
        ]
        detail = "; ".join(f"{e['path']}: {e['message']}" for e in errors)
        return problem(400, QUERY_PARAMETER, "Bad request", detail, errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 404:
            return problem(404, NO_SUCH_RESOURCE, "Not found", f"no resource at {request.url.path}")
        if exc.status_code == 405:
            return problem(
                405, METHOD_NOT_ALLOWED, "Method not allowed", f"{request.method} is not allowed here"
            )
        return problem(exc.status_code, "about:blank", str(exc.detail))

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> Response:
        logging.getLogger("lotline.api").exception("unexpected error")
        return problem(500, IMPLEMENTATION, "Internal error", f"{type(exc).__name__}; see the server log")


def log_to_console() -> None:
    """Show lotline's own messages (the trace index build, the runner, connectors reconnecting) on stderr
    at INFO, next to uvicorn's and in its format, unless the program configured the `lotline` logger."""
    logger = logging.getLogger("lotline")
    if logger.handlers:
        return
    from uvicorn.logging import DefaultFormatter

    handler = logging.StreamHandler()
    handler.setFormatter(DefaultFormatter("%(levelprefix)s %(message)s"))
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)


def serve(engine: Engine, host: str, port: int, **kwargs: Any) -> None:
    import uvicorn

    log_to_console()
    app = create_app(engine, Settings(warm_trace_index=True))
    uvicorn.run(app, host=host, port=port, log_level="info", **kwargs)
