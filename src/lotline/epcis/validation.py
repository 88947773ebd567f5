"""Validation of EPCIS 2.0 events and documents: the GS1 JSON schema, then the rules it cannot express.

How it works, and why this way:

- The fast path *is* the full GS1 EPCIS 2.0 JSON schema (bundled, draft-07), compiled once by jsonschema-rs
  (Rust) with format checking on, so `date-time` (RFC 3339) and `uri` (RFC 3986) are really checked.
  Measured on one core (`python benchmarks/validation.py`): ~290,000 typical events/s for the schema alone,
  ~180,000 with the rules below, against ~12,500 for fastjsonschema on the same events. That is well
  above the 60,000 events/s budget, so there is no separate hand-written fast path that could drift
  from the schema: the schema alone decides what the schema accepts.
- Only when `is_valid` says no do we walk `iter_errors` and translate each error into an `Issue` whose
  message says what to fix in plant words, not a schema dump.
- Then the rules the schema cannot express (each cites the EPCIS 2.0 section it comes from) run on every
  event. They are a few dictionary look-ups on a typical event.

`validate_document` checks the envelope only; the events inside are checked with `validate_events`, so
the capture service can accept or reject each event on its own.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from importlib.abc import Traversable
from typing import Any

import jsonschema_rs

from lotline.epcis._validation_messages import (
    _QUANTITY_LISTS,
    _REQUIRED_HINTS,
    _TIME_EXAMPLE,
    MAX_ISSUES,
    _a,
    _check,
    _finish,
    _json_type,
    _schema_issues,
    _show,
    _without_events,
)
from lotline.epcis.timefmt import parse_time
from lotline.errors import IdentifierError, Issue

__all__ = ["MAX_ISSUES", "validate_document", "validate_event", "validate_events"]

_ROOT_FILE = "EPCIS-JSON-Schema.json"  # GS1's single-file (inlined) schema, the one its validators use
_GS1_SITE = "https://gs1.github.io/EPCIS/"
_ALIASES = {"JSON-Schema/EPCIS-JSON-Schema.json": "EPCIS-JSON-Schema-root.json"}


# --- the bundled schema and the compiled validators (built once) -------------------------------------


def _schema_dir() -> Traversable:
    return resources.files("lotline.epcis").joinpath("schema")


def _load(relative: str) -> dict[str, Any]:
    node = _schema_dir()
    for part in relative.split("/"):
        if part in ("", ".", ".."):
            raise ValueError(f"bad schema path {relative!r}")
        node = node.joinpath(part)
    loaded: dict[str, Any] = json.loads(node.read_text(encoding="utf-8"))
    return loaded


def _bundled_schema(uri: str) -> dict[str, Any]:
    """Retriever for jsonschema-rs: GS1 schema URLs are served from the copy bundled in the package.

    Any other URL is refused, so building a validator never touches the network.
    """
    if uri.startswith(_GS1_SITE):
        relative = uri[len(_GS1_SITE) :].split("#", 1)[0]
        relative = _ALIASES.get(relative, relative.removeprefix("JSON-Schema/"))
        try:
            return _load(relative)
        except (OSError, ValueError):
            pass
    raise ValueError(
        f"schema {uri} is not bundled with lotline, and schemas are never fetched over the network"
    )


@dataclass(frozen=True, slots=True)
class _Validators:
    schema: dict[str, Any]
    event: jsonschema_rs.Validator
    document: jsonschema_rs.Validator
    query_document: jsonschema_rs.Validator


def _compile(schema: dict[str, Any], definition: str) -> jsonschema_rs.Validator:
    """A validator for one definition of the GS1 schema, keeping its $id so that references resolve."""
    wrapper = {key: schema[key] for key in ("$id", "$schema", "definitions")}
    wrapper["allOf"] = [{"$ref": f"#/definitions/{definition}"}]
    return jsonschema_rs.validator_for(wrapper, validate_formats=True, retriever=_bundled_schema)


def _align_with_xsd(schema: dict[str, Any]) -> dict[str, Any]:
    """Where GS1's JSON schema and the EPCIS 2.0 XSD disagree, and GS1's own examples follow the XSD.

    - A sensorReport that reports an alert (`exception`) may omit the measurement `type`: the XSD makes
      `type` optional and GS1's SensorDataExamples.xml and the Mimasu example use alert-only reports.
      A report with neither `type` nor `exception` is still rejected.
    Deliberately not relaxed: persistentDisposition outside ObjectEvent and TransformationEvent, which
    EPCIS 2.0 §7.3.6.2.2 rules out (gs1/EPCIS issues #395 and #440) although the XSD still allows it.
    """
    report = schema["definitions"]["sensorReport"]
    report["required"] = [name for name in report.get("required", []) if name != "type"]
    report["anyOf"] = [{"required": ["type"]}, {"required": ["exception"]}]
    return schema


@functools.cache
def _validators() -> _Validators:
    schema = _align_with_xsd(_load(_ROOT_FILE))
    return _Validators(
        schema=schema,
        # How the GS1 schema validates each entry of an eventList (events there carry no @context).
        event=_compile(schema, "EPCIS-Document-Event"),
        document=_compile(schema, "epcisDocument"),
        query_document=_compile(schema, "epcisQueryDocument"),
    )


# --- public API --------------------------------------------------------------------------------------


def validate_event(event: Mapping[str, Any]) -> list[Issue]:
    """Issues of one event against the GS1 schema and the EPCIS/CBV rules; [] if valid.

    The event is judged as an entry of an EPCISDocument's eventList (the GS1 schema's
    EPCIS-Document-Event): an @context is allowed, not required. Paths are JSON pointers inside the
    event (`/eventTime`, `/epcList/2`); "" is the event as a whole. At most MAX_ISSUES issues.
    """
    validators = _validators()
    instance, valid, problem = _check(validators.event, event)
    if problem:
        return [Issue("", problem)]
    if valid:
        return _rules(instance) if type(instance) is dict else []
    if type(instance) is not dict or not isinstance(instance.get("type"), str):
        # Without a type string the schema applies every event type at once; only the type is worth saying.
        if type(instance) is dict and "type" not in instance:
            return [Issue("/type", f"required field is missing ({_REQUIRED_HINTS['type']})")]
        return _schema_issues(validators.event, instance)[:MAX_ISSUES]
    return _finish(_schema_issues(validators.event, instance), _rules(instance))


def validate_events(events: Sequence[Mapping[str, Any]]) -> list[list[Issue]]:
    """`validate_event` for each event, in order: one list per event."""
    return [validate_event(event) for event in events]


def validate_document(doc: Mapping[str, Any]) -> list[Issue]:
    """Issues of the document envelope; [] if valid.

    Checks type (EPCISDocument or EPCISQueryDocument), schemaVersion, creationDate, @context, the
    epcisHeader and the shape of epcisBody, and that each eventList entry is an object. The events
    themselves are NOT checked here: use `validate_events` on them (their issue paths start at the
    event; prefix them with `/epcisBody/eventList/<n>` to point into the document).
    """
    body: object = doc  # callers pass whatever JSON they read
    if not isinstance(body, Mapping):
        return [Issue("", f"expected an EPCIS document (a JSON object), got {_json_type(body)}")]
    kind = doc.get("type")
    validators = _validators()
    list_path: tuple[str, ...]
    if kind == "EPCISDocument":
        validator, list_path = validators.document, ("epcisBody", "eventList")
    elif kind == "EPCISQueryDocument":
        validator = validators.query_document
        list_path = ("epcisBody", "queryResults", "resultsBody", "eventList")
    elif "type" not in doc:
        return [Issue("/type", "required field is missing (use EPCISDocument)")]
    else:
        return [
            Issue(
                "/type",
                f"{_show(kind)} is not an EPCIS document type (use EPCISDocument; "
                "single events must be sent inside an EPCISDocument's epcisBody.eventList)",
            )
        ]
    envelope, events = _without_events(doc, list_path)
    instance, valid, problem = _check(validator, envelope)
    if problem:
        return [Issue("", problem)]
    issues = [] if valid else _schema_issues(validator, instance)
    rules: list[Issue] = []
    if "creationDate" in doc:
        _check_time(doc["creationDate"], "/creationDate", rules)
    list_pointer = "/" + "/".join(list_path)
    for index, event in enumerate(events):
        if not isinstance(event, Mapping):
            rules.append(
                Issue(f"{list_pointer}/{index}", f"expected an event object, got {_json_type(event)}")
            )
    return _finish(issues, rules)


# --- EPCIS 2.0 / CBV 2.0 rules the schema cannot express -----------------------------------------------


def _rules(event: dict[str, Any]) -> list[Issue]:
    issues: list[Issue] = []
    kind = event.get("type")
    action = event.get("action")
    # EPCIS 2.0 §7.4.1 (EPCISEvent): eventTime, recordTime and errorDeclaration.declarationTime are
    # timestamps (xsd:dateTimeStamp): a real instant with a time zone, seconds below 60, a year from 1 on
    # and an offset within -14:00..+14:00. RFC 3339 (the schema's `date-time`) lets leap seconds, year 0000
    # and offsets up to 23:59 through; the store could not order such times.
    if "eventTime" in event:
        _check_time(event["eventTime"], "/eventTime", issues)
    if "recordTime" in event:
        _check_time(event["recordTime"], "/recordTime", issues)
    declaration = event.get("errorDeclaration")
    if isinstance(declaration, dict) and "declarationTime" in declaration:
        _check_time(declaration["declarationTime"], "/errorDeclaration/declarationTime", issues)
    # EPCIS 2.0 §7.3.6 (ILMD) and §7.4.2 (ObjectEvent): instance/lot master data describes objects as they
    # come into being, so it appears only in an ObjectEvent with action ADD or in a TransformationEvent.
    # (Extension event types, whose type is a URI, define their own fields.)
    if "ilmd" in event:
        if kind == "ObjectEvent":
            if action in ("OBSERVE", "DELETE"):
                issues.append(
                    Issue(
                        "/ilmd",
                        f"ilmd (instance/lot master data) is only allowed when action is ADD, i.e. when the "
                        f"objects are created; this ObjectEvent has action {action} (send the lot data "
                        "with the commissioning event, or drop it here)",
                    )
                )
        elif kind in ("AggregationEvent", "TransactionEvent", "AssociationEvent"):
            issues.append(
                Issue(
                    "/ilmd",
                    "ilmd (instance/lot master data) is only allowed in an ObjectEvent with action ADD "
                    f"or in a TransformationEvent, not in {_a(kind)}",
                )
            )
    # EPCIS 2.0 §7.3.3.3 (QuantityElement): quantity says how many or how much of a class took part in
    # the event; a negative amount has no meaning (objects leave with action DELETE or by a transformation).
    for name in _QUANTITY_LISTS:
        entries = event.get(name)
        if isinstance(entries, list):
            for index, entry in enumerate(entries):
                if isinstance(entry, dict):
                    quantity = entry.get("quantity")
                    if isinstance(quantity, int | float) and not isinstance(quantity, bool) and quantity < 0:
                        issues.append(
                            Issue(
                                f"/{name}/{index}/quantity",
                                f"{quantity} is negative; a quantity is how many or how much took part "
                                "(use action DELETE, or an errorDeclaration to correct an earlier event)",
                            )
                        )
    # EPCIS 2.0 §7.4.3 (AggregationEvent): parentID is required when action is ADD or DELETE, optional
    # only for OBSERVE (the parent may not be seen during an intermediate observation).
    if kind == "AggregationEvent" and action in ("ADD", "DELETE") and "parentID" not in event:
        issues.append(
            Issue(
                "/parentID",
                f"required when action is {action}: the container the children are "
                f"{'packed into' if action == 'ADD' else 'taken out of'}, "
                "e.g. urn:epc:id:sscc:4012345.0000000001",
            )
        )
    return issues


def _check_time(value: Any, path: str, issues: list[Issue]) -> None:
    if not isinstance(value, str):
        return  # the schema reports the wrong type
    try:
        parse_time(value)
    except IdentifierError as exc:
        # "has no timezone offset" helps for 2024-05-01T10:00:00, not for a bare date like 2024-05-01.
        with_time = "T" in value.upper()
        issues.append(
            Issue(
                path, str(exc) if with_time else f"{_show(value)} is not a valid date-time ({_TIME_EXAMPLE})"
            )
        )
        return
    sign, hours, colon, minutes = value[-6:-5], value[-5:-3], value[-3:-2], value[-2:]
    # Two-digit strings compare like numbers; parse_time has already checked they are digits.
    if sign in ("+", "-") and colon == ":" and (hours > "14" or (hours == "14" and minutes != "00")):
        issues.append(Issue(path, f"{_show(value)} has a time zone offset beyond ±14:00 ({_TIME_EXAMPLE})"))


# --- schema errors -> issues -----------------------------------------------------------------------------
