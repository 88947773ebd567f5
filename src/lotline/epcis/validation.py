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

import difflib
import functools
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from importlib.abc import Traversable
from typing import Any

import jsonschema_rs

from lotline.epcis.timefmt import parse_time
from lotline.errors import IdentifierError, Issue

__all__ = ["MAX_ISSUES", "validate_document", "validate_event", "validate_events"]

MAX_ISSUES = 10
"""At most this many issues are reported per event (or per document envelope)."""

_UNEXPLAINED = "does not match the GS1 EPCIS schema: "
_MAX_SCHEMA_ERRORS = 50  # schema errors read per event before translating; enough for 10 good issues
_ROOT_FILE = "EPCIS-JSON-Schema.json"  # GS1's single-file (inlined) schema, the one its validators use
_GS1_SITE = "https://gs1.github.io/EPCIS/"
# GS1's modular schema names its root .../JSON-Schema/EPCIS-JSON-Schema.json; in the bundle that file is
# EPCIS-JSON-Schema-root.json because the inlined schema holds the plain name.
_ALIASES = {"JSON-Schema/EPCIS-JSON-Schema.json": "EPCIS-JSON-Schema-root.json"}

_ACTIONS = ("ADD", "OBSERVE", "DELETE")
_QUANTITY_LISTS = ("quantityList", "childQuantityList", "inputQuantityList", "outputQuantityList")
_Kind = jsonschema_rs.ValidationErrorKind
_TIME_EXAMPLE = "expected e.g. 2024-05-01T10:00:00.000+02:00"
_URI_EXAMPLE = (
    "an absolute URI without spaces, e.g. urn:epc:id:sgtin:4012345.011111.1001 "
    "or https://id.gs1.org/01/04012345111118/21/1001"
)
_RESERVED_VOCABULARY = re.compile(r"urn:epcglobal:cbv|https?://(ns\.gs1\.org/cbv/|(www\.)?gs1\.org/voc/)")


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

_REQUIRED_HINTS = {
    "type": "the event type, e.g. ObjectEvent",
    "eventTime": f"when it happened, {_TIME_EXAMPLE.removeprefix('expected ')}",
    "eventTimeZoneOffset": "the local time zone where it happened, e.g. +02:00",
    "action": "ADD, OBSERVE or DELETE",
    "parentID": "the parent or container, e.g. urn:epc:id:sscc:4012345.0000000001",
    "bizTransactionList": 'e.g. [{"type": "po", "bizTransaction": "urn:epcglobal:cbv:bt:4012345000009:P1"}]',
    "declarationTime": "when the error was declared, e.g. 2024-05-02T09:00:00.000+02:00",
    "epcClass": "the product class or lot, e.g. urn:epc:class:lgtin:4012345.011111.LOT42",
    "bizTransaction": "the transaction's URI, e.g. urn:epcglobal:cbv:bt:4012345000009:PO-1",
    "id": "e.g. urn:epc:id:sgln:4012345.00001.0",
    "source": "a party or location URI, e.g. urn:epc:id:pgln:4012345.00000",
    "destination": "a party or location URI, e.g. urn:epc:id:pgln:4012345.00000",
    "sensorReport": 'a list of readings, e.g. [{"type": "Temperature", "value": 4.5, "uom": "CEL"}]',
    "@context": 'e.g. "https://ref.gs1.org/standards/epcis/epcis-context.jsonld"',
    "schemaVersion": 'e.g. "2.0"',
    "creationDate": f"when the document was created, {_TIME_EXAMPLE.removeprefix('expected ')}",
    "epcisBody": 'e.g. {"eventList": [...]}',
    "eventList": "the list of events",
}

# "CBV word or URI" definitions: what the value is, and typical words.
_VOCABULARIES = {
    "bizStep": ("a CBV business step", "shipping, receiving, commissioning"),
    "disposition": ("a CBV disposition", "active, in_transit, recalled"),
    "bizTransaction-type": ("a CBV business transaction type", "po, desadv, inv, prodorder"),
    "source-dest-type": ("a CBV source/destination type", "owning_party, possessing_party, location"),
    "error-reason": ("a CBV error reason", "did_not_occur, incorrect_data"),
    "measurementType": ("a GS1 measurement type", "Temperature, RelativeHumidity, Mass"),
    "sensorAlertType": ("a GS1 sensor alert type", "ALARM_CONDITION, ERROR_CONDITION"),
    "component": ("a CBV component", "x, y, latitude, longitude"),
}

_FIXED_MESSAGES = {
    "/definitions/ObjectEvent/allOf/2/anyOf": "an ObjectEvent must name the objects it is about: epcList, "
    "a non-empty quantityList, or a sensorElementList together with readPoint",
    "/definitions/TransformationEvent/allOf/2/anyOf": "a TransformationEvent needs at least one input "
    "(inputEPCList or inputQuantityList) and one output (outputEPCList or outputQuantityList); only with a "
    "transformationID may one side be left out",
    "/definitions/persistentDisposition/allOf/1/anyOf": "persistentDisposition needs a non-empty set or "
    "unset list of dispositions",
    "/definitions/@context/anyOf": "expected a context URI, a context object, or a list of them without "
    "repeats",
    "/definitions/certificationInfo/anyOf": "expected a certification URI or a list of them",
    "/definitions/attribute/properties/attribute/anyOf": "expected a number, text or an object",
}

_EVENT_TYPE_MESSAGE = (
    "{value} is not an EPCIS event type: use ObjectEvent, AggregationEvent, TransactionEvent, "
    "TransformationEvent or AssociationEvent (an extension event type must be a URI, e.g. example:MyEvent)"
)

_CHILDREN = {"AggregationEvent": "children", "AssociationEvent": "children", "TransactionEvent": "objects"}
_CHILD_LISTS = {
    "AggregationEvent": "a non-empty childEPCs or childQuantityList",
    "AssociationEvent": "a non-empty childEPCs or childQuantityList",
    "TransactionEvent": "epcList or a non-empty quantityList",
}

_PATTERNS = {
    "/definitions/Event/properties/eventTimeZoneOffset/pattern": "is not a valid time zone offset (expected "
    "[+-]HH:MM between -14:00 and +14:00, e.g. +02:00)",
    "/definitions/uom/pattern": "is not a UN/ECE Recommendation 20 unit code (2 or 3 capital letters or "
    "digits, e.g. KGM for kilogram, LTR for litre)",
    "/definitions/version/pattern": 'is not a version number (expected e.g. "2.0")',
    "/definitions/hexBinary/pattern": "is not hexadecimal (only 0-9 and A-F)",
}

_OBJECT_NAMES = {
    "quantityElement": "a quantity entry",
    "bizTransaction": "a business transaction entry",
    "source": "a source entry",
    "destination": "a destination entry",
    "persistentDisposition": "persistentDisposition",
}

_TYPE_WORDS = {
    "string": "text",
    "number": "a number",
    "integer": "a whole number",
    "boolean": "true or false",
    "array": "a list [...]",
    "object": "an object {...}",
    "null": "null",
}


def _schema_issues(validator: jsonschema_rs.Validator, instance: Any) -> list[Issue]:
    errors: list[jsonschema_rs.ValidationError] = []
    for error in validator.iter_errors(instance):
        errors.append(error)
        if len(errors) >= _MAX_SCHEMA_ERRORS:
            break
    reported = {(tuple(e.instance_path), e.message) for e in errors}
    issues: list[Issue] = []
    for error in errors:
        issue = _translate(error, instance, reported)
        if issue is not None:
            issues.append(issue)
    if not issues and errors:
        # Only when no rule covers it either (see _finish): never let an invalid input pass silently.
        issues.append(Issue(_pointer(errors[0].instance_path), _UNEXPLAINED + errors[0].message[:300]))
    return _merge(issues, [])


def _translate(error: jsonschema_rs.ValidationError, instance: Any, reported: set[Any]) -> Issue | None:
    path = _pointer(error.instance_path)
    where = _fragment(error.absolute_keyword_location)
    kind = error.kind
    value = error.instance
    if isinstance(kind, _Kind.Required):
        hint = _REQUIRED_HINTS.get(kind.property)
        return Issue(
            f"{path}/{_escape(kind.property)}", "required field is missing" + (f" ({hint})" if hint else "")
        )
    if isinstance(kind, _Kind.Type):
        return Issue(path, _type_message(kind.types, value, path))
    if isinstance(kind, _Kind.Format):
        if path == "/type" and where == "/definitions/vocab-uri/format":
            return Issue(path, _EVENT_TYPE_MESSAGE.format(value=_show(value)))
        return Issue(path, _format_message(kind.format, value))
    if isinstance(kind, _Kind.Pattern):
        return Issue(
            path, f"{_show(value)} {_PATTERNS.get(where, f'does not have the expected form {kind.pattern}')}"
        )
    if isinstance(kind, _Kind.Enum):
        if where == "/definitions/action/enum":
            shown = _show(value) if isinstance(value, str) else _json_type(value)
            return Issue(
                path,
                f"{shown} is not a valid action: use ADD (objects created or added), OBSERVE "
                "(seen, unchanged) or DELETE (removed, decommissioned)",
            )
        return Issue(path, f"{_show(value)} is not allowed here; use one of {_choices(kind.options)}")
    if isinstance(kind, _Kind.MinItems):
        return Issue(path, "must not be empty" if kind.limit == 1 else f"needs at least {kind.limit} entries")
    if isinstance(kind, _Kind.UniqueItems):
        return Issue(
            path, f"lists {_show(_first_duplicate(value))} more than once; each entry may appear once"
        )
    if isinstance(kind, _Kind.AdditionalProperties):
        return _unexpected_fields(path, where, kind.unexpected)
    if isinstance(kind, _Kind.PropertyNames):
        return _unknown_field(path, where, kind.error.instance, instance)
    if isinstance(kind, _Kind.AnyOf):
        return _any_of(path, where, value, kind.context, instance, reported)
    return Issue(path, error.message[:300])


def _type_message(types: list[str], value: Any, path: str) -> str:
    expected = " or ".join(_TYPE_WORDS.get(t, t) for t in types)
    message = f"expected {expected}, got {_json_type(value)}"
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        message += f" {_show(value)}"
    if path.endswith(("/readPoint", "/bizLocation")) and isinstance(value, str):
        message += f' (write {{"id": {json.dumps(value)}}})'
    return message


def _format_message(fmt: str, value: Any) -> str:
    if fmt == "date-time":
        return f"{_show(value)} is not a valid date-time ({_TIME_EXAMPLE})"
    if fmt == "uri":
        return f"{_show(value)} is not a valid URI (expected {_URI_EXAMPLE})"
    return f"{_show(value)} is not a valid {fmt}"


def _unexpected_fields(path: str, where: str, names: list[str]) -> Issue:
    node = _schema_node(where.removesuffix("/additionalProperties"))
    allowed = ", ".join(node.get("properties", {})) if isinstance(node, dict) else ""
    definition = where.split("/")[2] if where.startswith("/definitions/") else ""
    what = _OBJECT_NAMES.get(definition, "this object")
    field = names[0] if names else ""
    listed = ", ".join(repr(n) for n in names)
    return Issue(
        f"{path}/{_escape(field)}",
        f"{listed} {'is' if len(names) == 1 else 'are'} not allowed in {what}"
        + (f"; allowed fields: {allowed}" if allowed else ""),
    )


def _unknown_field(path: str, where: str, name: Any, instance: Any) -> Issue:
    name = str(name)
    full = f"{path}/{_escape(name)}"
    prefixed = f"'example:{name}'"
    if where == "/definitions/ilmd/propertyNames":
        return Issue(
            full, f"ilmd field {name!r} needs a namespace prefix declared in @context, e.g. {prefixed}"
        )
    owner = instance.get("type") if not path and isinstance(instance, dict) else None
    if name == "ilmd" and owner:
        return Issue(
            full,
            "ilmd (instance/lot master data) is only allowed in an ObjectEvent with action ADD or in a "
            f"TransformationEvent, not in {_a(owner)}",
        )
    if name == "persistentDisposition" and owner:
        return Issue(
            full,
            "persistentDisposition is only allowed in an ObjectEvent or a TransformationEvent, not in "
            f"{_a(owner)} (EPCIS 2.0 §7.3.6.2.2)",
        )
    what = _a(owner) if owner else (path.rsplit("/", 1)[-1] or "this object")
    close = difflib.get_close_matches(name, _allowed_names(where), n=1, cutoff=0.75)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return Issue(
        full,
        f"{name!r} is not a field of {what}{hint}; extension fields need a namespace prefix declared "
        f"in @context, e.g. {prefixed}",
    )


def _any_of(
    path: str,
    where: str,
    value: Any,
    branches: list[list[jsonschema_rs.ValidationError]],
    instance: Any,
    reported: set[Any],
) -> Issue | None:
    definition = where.split("/")[2] if where.startswith("/definitions/") else ""
    if definition in _VOCABULARIES and where == f"/definitions/{definition}/anyOf":
        return Issue(path, _vocabulary_message(definition, value))
    # A branch whose only failures are reported on their own adds nothing (e.g. a bad EPC in epcList).
    if any(all(_is_reported(e, reported) for e in branch) for branch in branches):
        return None
    if where in _FIXED_MESSAGES:
        return Issue(path, _FIXED_MESSAGES[where])
    event = instance if isinstance(instance, dict) else {}
    action = event.get("action")
    if where == "/definitions/ObjectEvent/allOf/3/anyOf":
        return None  # ilmd with OBSERVE/DELETE: reported by the ilmd rule, or the action itself is wrong
    if definition in _CHILD_LISTS and where == f"/definitions/{definition}/allOf/2/anyOf":
        if action not in _ACTIONS:
            return None  # the action is reported as invalid
        return Issue(
            path,
            f"{_a(definition)} with action {action} must list its {_CHILDREN[definition]}: "
            f"{_CHILD_LISTS[definition]} (only DELETE may leave both out)",
        )
    messages: list[str] = []
    for branch in branches:
        for error in branch[:1]:
            issue = _translate(error, instance, reported)
            if issue is not None and issue.message not in messages:
                messages.append(issue.message)
    return Issue(path, " or ".join(messages) if messages else f"{_show(value)} is not an accepted value")


def _is_reported(error: jsonschema_rs.ValidationError, reported: set[Any]) -> bool:
    # A nested anyOf repeats its parent's message word for word, so it never counts as reported.
    return not isinstance(error.kind, _Kind.AnyOf) and (tuple(error.instance_path), error.message) in reported


def _vocabulary_message(definition: str, value: Any) -> str:
    what, examples = _VOCABULARIES[definition]
    if not isinstance(value, str):
        return f"expected text ({what} or a URI), got {_json_type(value)}"
    words = _vocabulary_words(definition)
    short = re.split(r"[:/]", value)[-1]
    short = short.split("-", 1)[1] if "-" in short and short.split("-", 1)[1] in words else short
    if short in words and short != value:
        return (
            f"write the bare word {short!r} instead of {_show(value)}: EPCIS 2.0 JSON uses {what} as a word"
        )
    for word in words:
        if word.lower() == value.lower():
            return f"{_show(value)} is not {what}; mind the case: {word!r}"
    if _RESERVED_VOCABULARY.match(value):
        return (
            f"{_show(value)} is in the reserved GS1 namespace but is not {what}; use a bare word "
            f"(e.g. {examples}) or a URI in your own namespace"
        )
    return f"{_show(value)} is neither {what} (e.g. {examples}) nor a URI for your own value"


@functools.cache
def _vocabulary_words(definition: str) -> frozenset[str]:
    return frozenset(_enum_strings(_schema_node(f"/definitions/{definition}")))


@functools.cache
def _allowed_names(where: str) -> tuple[str, ...]:
    return tuple(sorted(set(_enum_strings(_schema_node(where)))))


def _enum_strings(node: Any, depth: int = 0) -> Iterator[str]:
    """Every string listed in an `enum` under `node`, following local $refs (for field-name hints)."""
    if depth > 8:
        return
    if isinstance(node, dict):
        for key, child in node.items():
            if key == "enum" and isinstance(child, list):
                yield from (item for item in child if isinstance(item, str))
            elif key == "$ref" and isinstance(child, str) and child.startswith("#"):
                yield from _enum_strings(_schema_node(child[1:]), depth + 1)
            else:
                yield from _enum_strings(child, depth + 1)
    elif isinstance(node, list):
        for child in node:
            yield from _enum_strings(child, depth + 1)


def _schema_node(fragment: str) -> Any:
    node: Any = _validators().schema
    for raw in fragment.strip("/").split("/"):
        part = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return None
    return node


# --- small helpers -------------------------------------------------------------------------------------


def _finish(schema_issues: list[Issue], rule_issues: list[Issue]) -> list[Issue]:
    """Merge, drop the raw fallback when a rule explains the same failure, cap at MAX_ISSUES."""
    merged = _merge(schema_issues, rule_issues)
    explained = [issue for issue in merged if not issue.message.startswith(_UNEXPLAINED)]
    return (explained or merged)[:MAX_ISSUES]


def _merge(schema_issues: list[Issue], rule_issues: list[Issue]) -> list[Issue]:
    """Schema issues in their order, no repeats; a rule's issue replaces the schema's at the same path
    (the rule knows more, e.g. why ilmd is not allowed), other rule issues follow."""
    rule_at: dict[str, Issue] = {}
    for issue in rule_issues:
        rule_at.setdefault(issue.path, issue)
    merged: list[Issue] = []
    for issue in [*schema_issues, *rule_issues]:
        issue = rule_at.get(issue.path, issue)
        if issue not in merged:
            merged.append(issue)
    return merged


def _without_events(doc: Mapping[str, Any], list_path: tuple[str, ...]) -> tuple[dict[str, Any], list[Any]]:
    """A shallow copy of `doc` whose event list is empty, and the events taken out."""
    top = dict(doc)
    node: dict[str, Any] = top
    for key in list_path[:-1]:
        child = node.get(key)
        if not isinstance(child, Mapping):
            return top, []
        node[key] = node = dict(child)
    events = node.get(list_path[-1])
    if not isinstance(events, list):
        return top, []
    node[list_path[-1]] = []
    return top, events


def _check(validator: jsonschema_rs.Validator, value: Any) -> tuple[Any, bool, str]:
    """(the value as plain JSON data, whether the schema accepts it, "" or why it is not JSON data)."""
    if type(value) is dict:
        try:
            return value, validator.is_valid(value), ""
        except ValueError:
            pass  # something inside is not plain JSON data (a mapping proxy, bytes, ...): convert below
    try:
        instance = _to_json_data(value)
        return instance, validator.is_valid(instance), ""
    except (TypeError, ValueError) as exc:
        return value, False, f"not JSON data: {exc}"


def _to_json_data(value: Any) -> Any:
    if isinstance(value, Mapping):
        out = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"field names must be text, got {key!r}")
            out[key] = _to_json_data(item)
        return out
    if isinstance(value, list | tuple):
        return [_to_json_data(item) for item in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    raise TypeError(f"{type(value).__name__} values cannot appear in an EPCIS event")


def _pointer(parts: Sequence[str | int]) -> str:
    return "".join(f"/{_escape(str(part))}" for part in parts)


def _escape(part: str) -> str:
    return part.replace("~", "~0").replace("/", "~1")


def _fragment(location: str | None) -> str:
    return location.split("#", 1)[1].replace("%40", "@") if location and "#" in location else ""


def _show(value: Any) -> str:
    text = repr(value) if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= 80 else text[:77] + "..."


def _choices(options: list[Any]) -> str:
    shown = ", ".join(str(option) for option in options[:10])
    return shown + (f" (or {len(options) - 10} more)" if len(options) > 10 else "")


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, Mapping):
        return "an object"
    return type(value).__name__


def _first_duplicate(values: Any) -> Any:
    seen: set[str] = set()
    for item in values if isinstance(values, list) else []:
        key = json.dumps(item, sort_keys=True)
        if key in seen:
            return item
        seen.add(key)
    return values


def _a(kind: Any) -> str:
    if not kind:
        return "this event"
    word = str(kind)
    return f"{'an' if word[:1] in 'AEIOUaeiou' else 'a'} {word}"
