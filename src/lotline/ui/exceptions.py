"""Exceptions: the dead letters (filter, inspect payload and error, replay, discard with a reason) and the
completeness findings (the genealogy gaps a recall falls into)."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from lotline.errors import IdentifierError, LotlineError, NotFound
from lotline.trace.completeness import RULES, CompletenessReport
from lotline.ui import dlq, scores
from lotline.ui.render import check_csrf, need, page

router = APIRouter(prefix="/ui", include_in_schema=False)
FINDINGS_PAGE = 100
_WAIT_SECONDS = 3.0


def _findings(report: CompletenessReport, plant: str, rule: str, severity: str) -> tuple[Any, str | None]:
    try:
        filtered = report.filtered(plant=plant or None, rule=rule if rule in RULES else None)
    except (IdentifierError, KeyError) as exc:
        return report.findings[:0], str(exc.args[0] if exc.args else exc)
    found = [f for f in filtered.findings if not severity or f.severity == severity]
    return found, None


@router.get("/exceptions")
async def exceptions_page(
    request: Request,
    plant: str = "",
    rule: str = "",
    severity: str = "",
    page_no: int = 1,
    source: str = "",
    stage: str = "",
    state: str = "open",
    before: int | None = None,
    done: str = "",
) -> Response:
    key = need(request, "trace")
    engine = request.app.state.engine
    report, state_ = await run_in_threadpool(scores.latest, request.app, _WAIT_SECONDS)
    context: dict[str, Any] = {
        "title": "Exceptions",
        "report": report,
        "score_error": state_.error,
        "rules": RULES,
        "filters": {"plant": plant, "rule": rule, "severity": severity},
        "done": done,
        "dlq_available": dlq.store() is not None,
        "dlq_allowed": "query" in key.scopes,
        "dlq_filters": {"source": source, "stage": stage, "state": state},
        "dlq_states": dlq.states(),
    }
    if report is not None:
        found, problem = _findings(report, plant, rule, severity)
        start = (max(page_no, 1) - 1) * FINDINGS_PAGE
        context.update(
            findings=found[start : start + FINDINGS_PAGE],
            findings_total=len(found),
            filter_error=problem,
            page_no=max(page_no, 1),
            pages=max(1, -(-len(found) // FINDINGS_PAGE)),
            page_url=lambda n: "/ui/exceptions?" + urlencode({**context["filters"], "page_no": n}),
        )
    if context["dlq_available"] and context["dlq_allowed"]:
        wanted = state if state in dlq.states() else None
        rows = await run_in_threadpool(dlq.letters, engine, source or None, stage or None, wanted, before)
        context["letters"] = rows[: dlq.PAGE]
        if len(rows) > dlq.PAGE:
            more = {**context["dlq_filters"], "before": rows[dlq.PAGE - 1].id}
            context["letters_next"] = "/ui/exceptions?" + urlencode(more) + "#dlq"
    return page(request, "exceptions.html", context)


@router.get("/exceptions/dlq/{letter_id}")
async def letter_page(request: Request, letter_id: int, error: str = "") -> Response:
    key = need(request, "query")
    if dlq.store() is None:
        return page(request, "letter.html", {"title": "Dead letter", "letter": None, "missing": True}, 404)
    try:
        found = await run_in_threadpool(dlq.letter, request.app.state.engine, letter_id)
    except NotFound as exc:
        return page(request, "letter.html", {"title": "Dead letter", "letter": None, "error": str(exc)}, 404)
    try:
        payload, binary = found.payload.decode("utf-8"), False
    except UnicodeDecodeError:
        payload, binary = found.payload.hex(" ", 16), True
    context = {
        "title": f"Dead letter {letter_id}",
        "letter": found,
        "payload": payload,
        "binary": binary,
        "error": error,
        "can_act": "admin" in key.scopes,
    }
    return page(request, "letter.html", context)


async def _act(request: Request, letter_id: int, csrf: str, action: str, reason: str = "") -> Response:
    key = need(request, "admin")
    back = f"/ui/exceptions/dlq/{letter_id}"
    if not check_csrf(request, csrf):
        return RedirectResponse(back + "?" + urlencode({"error": "The form was stale; try again."}), 303)
    engine, actor = request.app.state.engine, f"ui:{key.name}"
    try:
        if action == "replay":
            await run_in_threadpool(dlq.replay, engine, letter_id, actor)
        else:
            await run_in_threadpool(dlq.discard, engine, letter_id, actor, reason)
    except (LotlineError, ValueError) as exc:
        return RedirectResponse(back + "?" + urlencode({"error": str(exc)}), 303)
    verb = "replayed" if action == "replay" else "discarded"
    return RedirectResponse(
        f"/ui/exceptions?{urlencode({'done': f'Dead letter {letter_id} {verb}.'})}#dlq", 303
    )


@router.post("/exceptions/dlq/{letter_id}/replay")
async def replay_letter(request: Request, letter_id: int, csrf: Annotated[str, Form()] = "") -> Response:
    return await _act(request, letter_id, csrf, "replay")


@router.post("/exceptions/dlq/{letter_id}/discard")
async def discard_letter(
    request: Request, letter_id: int, csrf: Annotated[str, Form()] = "", reason: Annotated[str, Form()] = ""
) -> Response:
    return await _act(request, letter_id, csrf, "discard", reason)
