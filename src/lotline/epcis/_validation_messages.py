"""Turning jsonschema-rs errors into issues a plant engineer can act on, for `lotline.epcis.validation`."""

from __future__ import annotations

import difflib
import functools
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import jsonschema_rs

from lotline.errors import Issue

MAX_ISSUES = 10
"""At most this many issues are reported per event (or per document envelope)."""

_UNEXPLAINED = "does not match the GS1 EPCIS schema: "
_MAX_SCHEMA_ERRORS = 50  # schema errors read per event before translating; enough for 10 good issues
# GS1's modular schema names its root .../JSON-Schema/EPCIS-JSON-Schema.json; in the bundle that file is
# EPCIS-JSON-Schema-root.json because the inlined schema holds the plain name.
_ACTIONS = ("ADD", "OBSERVE", "DELETE")
_QUANTITY_LISTS = ("quantityList", "childQuantityList", "inputQuantityList", "outputQuantityList")
_Kind = jsonschema_rs.ValidationErrorKind
_TIME_EXAMPLE = "expected e.g. 2024-05-01T10:00:00.000+02:00"
_URI_EXAMPLE = (
    "an absolute URI without spaces, e.g. urn:epc:id:sgtin:4012345.011111.1001 "
    "or https://id.gs1.org/01/04012345111118/21/1001"
)
_RESERVED_VOCABULARY = re.compile(r"urn:epcglobal:cbv|https?://(ns\.gs1\.org/cbv/|(www\.)?gs1\.org/voc/)")


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
    from lotline.epcis.validation import _validators  # the schema lives there; imported late (cycle)

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
