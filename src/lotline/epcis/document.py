"""Reading request bodies into EPCIS documents, and finding the events inside them."""

from __future__ import annotations

from typing import Any

import orjson

from lotline.errors import DocumentError

STANDARD_CONTEXT = "https://ref.gs1.org/standards/epcis/epcis-context.jsonld"
STANDARD_CONTEXTS = frozenset(
    {STANDARD_CONTEXT, "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"}
)

JSON_TYPES = frozenset({"application/json", "application/ld+json"})
XML_TYPES = frozenset({"application/xml", "text/xml"})


def media_type(content_type: str | None) -> str:
    """`application/ld+json; charset=utf-8` -> `application/ld+json`."""
    return (content_type or "").split(";", 1)[0].strip().lower()


def read_document(data: bytes, content_type: str | None = None) -> dict[str, Any]:
    """Parse a JSON-LD or XML body into the JSON-LD shaped document dict.

    Without a content type the first non-blank byte decides (`<` for XML).
    """
    kind = media_type(content_type)
    if kind in XML_TYPES or (not kind and data.lstrip()[:1] == b"<"):
        from lotline.epcis.xml import parse_xml_document

        return parse_xml_document(data)
    try:
        doc = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise DocumentError(f"the body is not valid JSON: {exc}") from None
    if not isinstance(doc, dict):
        raise DocumentError(f"expected a JSON object (an EPCISDocument), got a JSON {type(doc).__name__}")
    return doc


def document_events(doc: dict[str, Any]) -> list[Any]:
    """The event list of an EPCISDocument or EPCISQueryDocument (not checked further here)."""
    kind = doc.get("type")
    body = doc.get("epcisBody")
    if not isinstance(body, dict):
        raise DocumentError("the document has no epcisBody object")
    if kind == "EPCISQueryDocument":
        results = body.get("queryResults")
        events = (
            (results or {}).get("resultsBody", {}).get("eventList") if isinstance(results, dict) else None
        )
    elif kind == "EPCISDocument":
        events = body.get("eventList")
    else:
        raise DocumentError(f"type must be EPCISDocument or EPCISQueryDocument, got {kind!r}")
    if events is None:
        return []
    if not isinstance(events, list):
        raise DocumentError("epcisBody.eventList must be an array of events")
    return events


def extra_context(context: Any) -> list[Any]:
    """The parts of a document's @context beyond the standard GS1 context (extension prefixes)."""
    items = context if isinstance(context, list) else [context]
    return [c for c in items if c and not (isinstance(c, str) and c in STANDARD_CONTEXTS)]
