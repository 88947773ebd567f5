"""/api/v1/dlq: list, inspect, replay and discard dead letters (scope `admin`; every change audited)."""

from __future__ import annotations

from typing import Annotated, Literal

import orjson
from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from lotline.api.auth import require
from lotline.api.problems import problem
from lotline.errors import StateConflict
from lotline.store.dlq import LetterState, discard, get_letter, list_letters, replay
from lotline.store.keys import ApiKey

router = APIRouter(prefix="/api/v1/dlq", tags=["Dead letters"])

CONFLICT = "https://lotline.dev/problems/conflict"
BAD_REQUEST = "https://lotline.dev/problems/bad-request"


class ReplayRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    ids: list[int] = Field(min_length=1, max_length=10_000, description="Dead letter ids to replay.")


class DiscardRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, description="Why the letters are discarded (kept in the audit log).")
    ids: list[int] = Field(default_factory=list, max_length=10_000, description="Dead letter ids to discard.")


class DiscardOneRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, description="Why the letter is discarded (kept in the audit log).")


def _actor(key: ApiKey) -> str:
    return f"key:{key.name} ({key.id})"


def _json(doc: object, status: int = 200) -> Response:
    return Response(orjson.dumps(doc), status_code=status, media_type="application/json")


@router.get("", summary="Dead letters, newest first, with filters")
async def list_dead_letters(
    request: Request,
    source: Annotated[str | None, Query(description="Only this source (connector name)")] = None,
    stage: Annotated[str | None, Query(description="Only this stage: map, validate, store, send")] = None,
    state: Annotated[
        Literal["open", "replayed", "discarded", "all"], Query(description="Which letters")
    ] = "open",
    limit: Annotated[int, Query(ge=1, le=1000, description="Page size")] = 100,
    before: Annotated[int | None, Query(ge=1, description="Page: letters with a smaller id")] = None,
) -> Response:
    require(request, "admin")
    chosen = None if state == "all" else LetterState(state)
    letters = await run_in_threadpool(
        list_letters,
        request.app.state.engine,
        source=source,
        stage=stage,
        state=chosen,
        before_id=before,
        limit=limit,
    )
    doc: dict[str, object] = {"deadLetters": [r.to_json(payload=False) for r in letters]}
    if len(letters) == limit:
        doc["next"] = str(request.url.include_query_params(before=letters[-1].id))
    return _json(doc)


@router.get("/{letter_id}", summary="One dead letter with its original payload")
async def get_dead_letter(request: Request, letter_id: int) -> Response:
    require(request, "admin")
    letter = await run_in_threadpool(get_letter, request.app.state.engine, letter_id)
    return _json(letter.to_json(payload=True))


@router.post("/replay", summary="Replay many dead letters (all or nothing)")
async def replay_many(request: Request, body: ReplayRequest) -> Response:
    key = require(request, "admin")
    return await _replay(request, body.ids, key)


@router.post("/{letter_id}/replay", summary="Replay one dead letter")
async def replay_one(request: Request, letter_id: int) -> Response:
    key = require(request, "admin")
    return await _replay(request, [letter_id], key)


@router.post("/discard", summary="Discard many dead letters with a reason (all or nothing)")
async def discard_many(request: Request, body: DiscardRequest) -> Response:
    key = require(request, "admin")
    if not body.ids:
        return problem(400, BAD_REQUEST, "Nothing to discard", "ids: give at least one dead letter id")
    return await _discard(request, body.ids, body.reason, key)


@router.post("/{letter_id}/discard", summary="Discard one dead letter with a reason")
async def discard_one(request: Request, letter_id: int, body: DiscardOneRequest) -> Response:
    key = require(request, "admin")
    return await _discard(request, [letter_id], body.reason, key)


async def _replay(request: Request, ids: list[int], key: ApiKey) -> Response:
    try:
        done = await run_in_threadpool(replay, request.app.state.engine, ids, _actor(key))
    except StateConflict as exc:
        return problem(409, CONFLICT, "Cannot replay", f"{exc}; nothing was replayed")
    return _json({"replayed": [r.to_json(payload=False) for r in done]})


async def _discard(request: Request, ids: list[int], reason: str, key: ApiKey) -> Response:
    try:
        done = await run_in_threadpool(discard, request.app.state.engine, ids, _actor(key), reason)
    except StateConflict as exc:
        return problem(409, CONFLICT, "Cannot discard", f"{exc}; nothing was discarded")
    except ValueError as exc:
        return problem(400, BAD_REQUEST, "Bad discard", str(exc))
    return _json({"discarded": [r.to_json(payload=False) for r in done]})
