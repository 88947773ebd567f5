"""Recall workbench: suspect lots in, the impact out (customers, shipments, quantities by location and
disposition, suppliers), and the FDA FSMA 204 spreadsheet as a download."""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Literal

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from lotline.api.recall import MAX_IDS
from lotline.api.recall import _spreadsheet as spreadsheet
from lotline.api.trace import index_of
from lotline.errors import IdentifierError
from lotline.trace.recall import RecallReport, recall_impact
from lotline.ui.render import need, page

router = APIRouter(prefix="/ui", include_in_schema=False)


def suspects_of(text: str) -> list[str]:
    """One identifier per line (or separated by commas or spaces), in order, without repeats."""
    parts = [p.strip() for line in text.splitlines() for p in line.replace(",", " ").split()]
    return list(dict.fromkeys(p for p in parts if p))


def customers(report: dict[str, Any]) -> list[dict[str, Any]]:
    """Who got affected product: the destination parties of deliveries, with what and when."""
    found: dict[str, dict[str, Any]] = {}
    for shipment in report["shipments"]:
        if shipment["kind"] != "delivery":
            continue
        for party in shipment["to"]["parties"] or ["(no party named)"]:
            row = found.setdefault(
                party,
                {
                    "party": party,
                    "shipments": 0,
                    "items": set(),
                    "quantities": defaultdict(float),
                    "first": None,
                    "last": None,
                    "locations": set(),
                },
            )
            row["shipments"] += 1
            row["locations"].update(shipment["to"]["locations"])
            row["first"] = min(filter(None, [row["first"], shipment["time"]]))
            row["last"] = max(filter(None, [row["last"], shipment["time"]]))
            for item in shipment["items"]:
                row["items"].add(item["id"])
                if item["quantity"] is not None:
                    row["quantities"][item["uom"] or "EA"] += item["quantity"]
    return [
        {
            **row,
            "items": len(row["items"]),
            "locations": sorted(row["locations"]),
            "quantities": ", ".join(f"{q:,.6g} {u}" for u, q in sorted(row["quantities"].items())),
        }
        for row in sorted(found.values(), key=lambda r: r["party"])
    ]


def _recall(request: Request, ids: list[str], spreadsheet: bool = False) -> RecallReport:
    return recall_impact(index_of(request.app), ids, spreadsheet=spreadsheet)


@router.get("/recall")
async def recall_page(request: Request, ids: str = "") -> Response:
    need(request, "trace")
    suspects = suspects_of(ids)
    context: dict[str, Any] = {
        "title": "Recall workbench",
        "ids": "\n".join(suspects),
        "report": None,
        "error": None,
    }
    status = 200
    if len(suspects) > MAX_IDS:
        context["error"], status = f"At most {MAX_IDS} suspects at a time; got {len(suspects)}.", 400
    elif suspects:
        try:
            report = await run_in_threadpool(_recall, request, suspects)
        except IdentifierError as exc:
            context["error"], status = f"Not an identifier lotline can read: {exc}", 400
        else:
            data = report.as_json()
            if not report.found:
                context["error"], status = "No stored event names any of these identifiers.", 404
            else:
                context.update(report=data, customers=customers(data), query=request.url.query)
    return page(request, "recall.html", context, status_code=status)


@router.get("/recall/download")
async def recall_download(request: Request, ids: str, format: Literal["csv", "xlsx"] = "xlsx") -> Response:
    """The FSMA 204 sortable spreadsheet of the suspects (the same file as POST /api/v1/recalls?format=)."""
    need(request, "trace")
    suspects = suspects_of(ids)[:MAX_IDS]
    try:
        report = await run_in_threadpool(_recall, request, suspects, True)
    except IdentifierError as exc:
        return Response(f"Not an identifier lotline can read: {exc}", status_code=400)
    if not report.found:
        return Response("No stored event names any of these identifiers.", status_code=404)
    return spreadsheet(report, format)
