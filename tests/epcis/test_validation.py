"""Validation against the GS1 EPCIS 2.0 JSON schema (formats on) and the EPCIS/CBV rules it cannot express."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from pathlib import Path
from types import MappingProxyType
from typing import Any

import fastjsonschema
import jsonschema_rs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lotline.epcis import _validation_messages, validation
from lotline.epcis.document import document_events
from lotline.epcis.validation import MAX_ISSUES, validate_document, validate_event, validate_events
from lotline.errors import Issue
from tests.conftest import GS1

# --- corpus ----------------------------------------------------------------------------------------------


def _gs1_documents() -> list[Path]:
    found = []
    for path in sorted((GS1 / "JSON").rglob("*")):
        if path.suffix in (".json", ".jsonld"):
            doc = json.loads(path.read_text(encoding="utf-8"))
            if isinstance(doc, dict) and doc.get("type") in ("EPCISDocument", "EPCISQueryDocument"):
                found.append(path)
    return found


GS1_DOCUMENTS = _gs1_documents() if GS1.is_dir() else []
GS1_EVENTS = [e for p in GS1_DOCUMENTS for e in document_events(json.loads(p.read_text(encoding="utf-8")))]
# GS1's own schema test events (standalone, with @context), including an extension event type.
GS1_SCHEMA_TEST_EVENTS = sorted((GS1 / "JSON-Schema" / "test").glob("*.json")) if GS1.is_dir() else []

OBJECT_EVENT: dict[str, Any] = {
    "type": "ObjectEvent",
    "eventTime": "2024-05-01T10:00:00.000+02:00",
    "eventTimeZoneOffset": "+02:00",
    "eventID": "ni:///sha-256;df7bb3c352fef055578554f09f5e2aa41782150ced7bd0b8af24dd3ccb30ba69?ver=CBV2.0",
    "epcList": [f"urn:epc:id:sgtin:4012345.011111.{i}" for i in range(5)],
    "action": "ADD",
    "bizStep": "commissioning",
    "disposition": "active",
    "readPoint": {"id": "urn:epc:id:sgln:4012345.00001.0"},
    "bizLocation": {"id": "urn:epc:id:sgln:4012345.00002.0"},
    "bizTransactionList": [
        {"type": "po", "bizTransaction": "urn:epcglobal:cbv:bt:4012345000009:PO-1234"},
        {"type": "prodorder", "bizTransaction": "urn:epcglobal:cbv:bt:4012345000009:MO-77"},
    ],
    "ilmd": {"example:bestBeforeDate": "2025-05-01", "example:lot": "L-2024-05-01"},
}
AGGREGATION_EVENT: dict[str, Any] = {
    "type": "AggregationEvent",
    "eventTime": "2024-05-01T11:00:00Z",
    "eventTimeZoneOffset": "+02:00",
    "parentID": "urn:epc:id:sscc:4012345.0000000001",
    "childEPCs": ["urn:epc:id:sgtin:4012345.011111.1", "urn:epc:id:sgtin:4012345.011111.2"],
    "action": "ADD",
    "bizStep": "packing",
}
TRANSFORMATION_EVENT: dict[str, Any] = {
    "type": "TransformationEvent",
    "eventTime": "2024-05-01T09:00:00+02:00",
    "eventTimeZoneOffset": "+02:00",
    "inputQuantityList": [
        {"epcClass": "urn:epc:class:lgtin:4012345.099999.FLOUR-7", "quantity": 250.5, "uom": "KGM"}
    ],
    "outputEPCList": ["urn:epc:id:sgtin:4012345.011111.1"],
    "bizStep": "commissioning",
}
ASSOCIATION_EVENT: dict[str, Any] = {
    "type": "AssociationEvent",
    "eventTime": "2024-05-01T12:00:00Z",
    "eventTimeZoneOffset": "+00:00",
    "parentID": "urn:epc:id:grai:4012345.55555.1",
    "childEPCs": ["urn:epc:id:giai:4000001.12345"],
    "action": "ADD",
}
TRANSACTION_EVENT: dict[str, Any] = {
    "type": "TransactionEvent",
    "eventTime": "2024-05-01T13:00:00Z",
    "eventTimeZoneOffset": "+00:00",
    "bizTransactionList": [{"type": "po", "bizTransaction": "urn:epcglobal:cbv:bt:4012345000009:PO-1234"}],
    "epcList": ["urn:epc:id:sgtin:4012345.011111.1"],
    "action": "ADD",
}
OWN_EVENTS = [OBJECT_EVENT, AGGREGATION_EVENT, TRANSFORMATION_EVENT, ASSOCIATION_EVENT, TRANSACTION_EVENT]
CORPUS = GS1_EVENTS + OWN_EVENTS
DROP = object()


def changed(base: dict[str, Any], **changes: Any) -> dict[str, Any]:
    event = copy.deepcopy(base)
    for key, value in changes.items():
        key = key.replace("_at_", "@")
        if value is DROP:
            event.pop(key, None)
        else:
            event[key] = value
    return event


def _document(events: list[Any], **changes: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "@context": [
            "https://ref.gs1.org/standards/epcis/epcis-context.jsonld",
            {"example": "https://ex.com/"},
        ],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2024-05-01T10:00:00Z",
        "epcisBody": {"eventList": events},
    }
    return changed(doc, **changes)


# --- the GS1 examples are valid --------------------------------------------------------------------------


def test_corpus_is_there() -> None:
    assert len(GS1_DOCUMENTS) >= 40, f"GS1 JSON examples missing under {GS1}"
    assert len(GS1_EVENTS) >= 50


@pytest.mark.parametrize("path", GS1_DOCUMENTS, ids=lambda p: str(p.relative_to(GS1 / "JSON")))
def test_gs1_example_documents_are_valid(path: Path) -> None:
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert validate_document(doc) == []
    events = document_events(doc)
    assert validate_events(events) == [[] for _ in events]


@pytest.mark.parametrize("path", GS1_SCHEMA_TEST_EVENTS, ids=lambda p: p.name)
def test_gs1_schema_test_events_are_valid(path: Path) -> None:
    assert validate_event(json.loads(path.read_text(encoding="utf-8"))) == []


@pytest.mark.parametrize("event", OWN_EVENTS, ids=lambda e: e["type"])
def test_typical_events_are_valid(event: dict[str, Any]) -> None:
    assert validate_event(event) == []


def test_the_rules_accept_what_the_standard_allows() -> None:
    assert validate_event(changed(AGGREGATION_EVENT, action="OBSERVE", parentID=DROP)) == []
    assert validate_event(changed(AGGREGATION_EVENT, action="DELETE", childEPCs=DROP)) == []
    assert validate_event(changed(OBJECT_EVENT, action="OBSERVE", ilmd=DROP)) == []
    assert validate_event(changed(TRANSFORMATION_EVENT, ilmd={"example:lot": "L1"})) == []
    assert validate_event(changed(OBJECT_EVENT, eventTime="2024-05-01T10:00:00-14:00")) == []
    assert validate_event(changed(OBJECT_EVENT, epcList=[])) == []  # the schema allows an empty epcList
    assert validate_event(changed(OBJECT_EVENT, **{"example:note": "x", "repository-x:id": "y"})) == []


# --- invalid events: each rejected with a message naming the field --------------------------------------

INVALID_EVENTS: list[tuple[str, dict[str, Any], str, str]] = [
    # (case, event, path of the issue, a word the message must contain)
    (
        "eventTime month 13",
        changed(OBJECT_EVENT, eventTime="2020-13-45T99:00:00Z"),
        "/eventTime",
        "date-time",
    ),
    ("eventTime not a date", changed(OBJECT_EVENT, eventTime="not-a-date"), "/eventTime", "date-time"),
    ("eventTime without offset", changed(OBJECT_EVENT, eventTime="2024-05-01T10:00:00"), "/eventTime", "Z"),
    ("eventTime 30 February", changed(OBJECT_EVENT, eventTime="2024-02-30T10:00:00Z"), "/eventTime", "valid"),
    ("eventTime leap second", changed(OBJECT_EVENT, eventTime="2016-12-31T23:59:60Z"), "/eventTime", "valid"),
    (
        "eventTime offset +23:00",
        changed(OBJECT_EVENT, eventTime="2024-05-01T10:00:00+23:00"),
        "/eventTime",
        "14:00",
    ),
    ("eventTime a number", changed(OBJECT_EVENT, eventTime=1714550400), "/eventTime", "text"),
    ("eventTime missing", changed(OBJECT_EVENT, eventTime=DROP), "/eventTime", "missing"),
    ("recordTime bad", changed(OBJECT_EVENT, recordTime="yesterday"), "/recordTime", "date-time"),
    ("offset +15:00", changed(OBJECT_EVENT, eventTimeZoneOffset="+15:00"), "/eventTimeZoneOffset", "14:00"),
    ("offset 0200", changed(OBJECT_EVENT, eventTimeZoneOffset="0200"), "/eventTimeZoneOffset", "+02:00"),
    (
        "offset newline",
        changed(OBJECT_EVENT, eventTimeZoneOffset="+02:00\n"),
        "/eventTimeZoneOffset",
        "offset",
    ),
    ("offset missing", changed(OBJECT_EVENT, eventTimeZoneOffset=DROP), "/eventTimeZoneOffset", "missing"),
    (
        "bizStep with spaces",
        changed(OBJECT_EVENT, bizStep="not a uri with spaces"),
        "/bizStep",
        "business step",
    ),
    (
        "bizStep CBV URN",
        changed(OBJECT_EVENT, bizStep="urn:epcglobal:cbv:bizstep:shipping"),
        "/bizStep",
        "'shipping'",
    ),
    ("bizStep upper case", changed(OBJECT_EVENT, bizStep="SHIPPING"), "/bizStep", "'shipping'"),
    ("disposition a number", changed(OBJECT_EVENT, disposition=7), "/disposition", "disposition"),
    ("epc ::", changed(OBJECT_EVENT, epcList=["::"]), "/epcList/0", "URI"),
    (
        "epc with space",
        changed(OBJECT_EVENT, epcList=["urn:epc:id:sgtin:4012345.011111 1"]),
        "/epcList/0",
        "URI",
    ),
    ("epc twice", changed(OBJECT_EVENT, epcList=["urn:x:1", "urn:x:1"]), "/epcList", "more than once"),
    ("epcList a string", changed(OBJECT_EVENT, epcList="urn:x:1"), "/epcList", "list"),
    ("unknown action", changed(OBJECT_EVENT, action="UPDATE"), "/action", "ADD"),
    ("action missing", changed(OBJECT_EVENT, action=DROP), "/action", "missing"),
    ("ilmd on OBSERVE", changed(OBJECT_EVENT, action="OBSERVE"), "/ilmd", "ADD"),
    ("ilmd on DELETE", changed(OBJECT_EVENT, action="DELETE"), "/ilmd", "ADD"),
    ("ilmd without prefix", changed(OBJECT_EVENT, ilmd={"lot": "L1"}), "/ilmd/lot", "prefix"),
    ("ilmd on AggregationEvent", changed(AGGREGATION_EVENT, ilmd={"example:x": 1}), "/ilmd", "ilmd"),
    ("unknown top-level key", changed(OBJECT_EVENT, lotNumber="L1"), "/lotNumber", "namespace prefix"),
    ("typo in field name", changed(OBJECT_EVENT, bizstep="shipping"), "/bizstep", "'bizStep'"),
    ("type unknown", changed(OBJECT_EVENT, type="ObjektEvent"), "/type", "ObjectEvent"),
    ("type missing", changed(OBJECT_EVENT, type=DROP), "/type", "missing"),
    ("no objects", changed(OBJECT_EVENT, epcList=DROP), "", "epcList"),
    (
        "negative quantity",
        changed(
            OBJECT_EVENT,
            epcList=DROP,
            quantityList=[{"epcClass": "urn:epc:class:lgtin:4012345.011111.L1", "quantity": -5}],
        ),
        "/quantityList/0/quantity",
        "negative",
    ),
    (
        "quantity as text",
        changed(
            OBJECT_EVENT,
            epcList=DROP,
            quantityList=[{"epcClass": "urn:epc:class:lgtin:4012345.011111.L1", "quantity": "5"}],
        ),
        "/quantityList/0/quantity",
        "number",
    ),
    (
        "uom lower case",
        changed(
            TRANSFORMATION_EVENT, inputQuantityList=[{"epcClass": "urn:x:1", "quantity": 1, "uom": "kg"}]
        ),
        "/inputQuantityList/0/uom",
        "KGM",
    ),
    (
        "quantity entry extra field",
        changed(TRANSFORMATION_EVENT, inputQuantityList=[{"epcClass": "urn:x:1", "qty": 1}]),
        "/inputQuantityList/0/qty",
        "epcClass, quantity, uom",
    ),
    (
        "readPoint as text",
        changed(OBJECT_EVENT, readPoint="urn:epc:id:sgln:4012345.00001.0"),
        "/readPoint",
        '"id"',
    ),
    ("readPoint without id", changed(OBJECT_EVENT, readPoint={}), "/readPoint/id", "missing"),
    (
        "bizTransaction without id",
        changed(OBJECT_EVENT, bizTransactionList=[{"type": "po"}]),
        "/bizTransactionList/0/bizTransaction",
        "missing",
    ),
    (
        "bizTransaction type unknown",
        changed(OBJECT_EVENT, bizTransactionList=[{"type": "purchase order", "bizTransaction": "urn:x:1"}]),
        "/bizTransactionList/0/type",
        "transaction type",
    ),
    ("eventID not a URI", changed(OBJECT_EVENT, eventID="event 42"), "/eventID", "URI"),
    ("AggregationEvent ADD without parentID", changed(AGGREGATION_EVENT, parentID=DROP), "/parentID", "ADD"),
    (
        "AggregationEvent DELETE without parentID",
        changed(AGGREGATION_EVENT, action="DELETE", parentID=DROP),
        "/parentID",
        "DELETE",
    ),
    ("AggregationEvent ADD without children", changed(AGGREGATION_EVENT, childEPCs=DROP), "", "childEPCs"),
    ("AssociationEvent without parentID", changed(ASSOCIATION_EVENT, parentID=DROP), "/parentID", "missing"),
    (
        "TransactionEvent without bizTransactionList",
        changed(TRANSACTION_EVENT, bizTransactionList=DROP),
        "/bizTransactionList",
        "missing",
    ),
    ("TransformationEvent without output", changed(TRANSFORMATION_EVENT, outputEPCList=DROP), "", "output"),
    (
        "TransformationEvent without anything",
        changed(
            TRANSFORMATION_EVENT, outputEPCList=DROP, inputQuantityList=DROP, transformationID="urn:x:t1"
        ),
        "",
        "input",
    ),
    (
        "TransformationEvent with action",
        changed(TRANSFORMATION_EVENT, action="ADD"),
        "/action",
        "TransformationEvent",
    ),
    (
        "errorDeclaration without time",
        changed(OBJECT_EVENT, errorDeclaration={"reason": "incorrect_data"}),
        "/errorDeclaration/declarationTime",
        "missing",
    ),
    (
        "errorDeclaration bad time",
        changed(OBJECT_EVENT, errorDeclaration={"declarationTime": "2024-05-01"}),
        "/errorDeclaration/declarationTime",
        "date-time",
    ),
    (
        "errorDeclaration unknown reason",
        changed(OBJECT_EVENT, errorDeclaration={"declarationTime": "2024-05-02T10:00:00Z", "reason": "oops"}),
        "/errorDeclaration/reason",
        "error reason",
    ),
    (
        "persistentDisposition empty",
        changed(OBJECT_EVENT, persistentDisposition={}),
        "/persistentDisposition",
        "set",
    ),
    (
        "persistentDisposition bad word",
        changed(OBJECT_EVENT, persistentDisposition={"set": ["on hold"]}),
        "/persistentDisposition/set/0",
        "disposition",
    ),
    (
        "persistentDisposition CBV URN",
        changed(OBJECT_EVENT, persistentDisposition={"unset": ["urn:epcglobal:cbv:disp:recalled"]}),
        "/persistentDisposition/unset/0",
        "'recalled'",
    ),
    (
        "sensor report type unknown",
        changed(OBJECT_EVENT, sensorElementList=[{"sensorReport": [{"type": "Temp", "value": 4.0}]}]),
        "/sensorElementList/0/sensorReport/0/type",
        "measurement type",
    ),
    ("certificationInfo a number", changed(OBJECT_EVENT, certificationInfo=5), "/certificationInfo", "URI"),
    ("@context a number", changed(OBJECT_EVENT, _at_context=5), "/@context", "context"),
]


def test_enough_invalid_cases() -> None:
    assert len(INVALID_EVENTS) >= 25


@pytest.mark.parametrize(
    ("case", "event", "path", "word"), INVALID_EVENTS, ids=[c[0] for c in INVALID_EVENTS]
)
def test_invalid_event_is_rejected_with_a_useful_message(case: str, event: Any, path: str, word: str) -> None:
    issues = validate_event(event)
    assert issues, f"{case}: accepted"
    assert 1 <= len(issues) <= MAX_ISSUES
    matching = [i for i in issues if i.path == path]
    assert matching, f"{case}: no issue at {path!r}: {[str(i) for i in issues]}"
    issue = matching[0]
    assert word in issue.message, str(issue)
    field = path.rsplit("/", 1)[-1]
    if field and not field.isdigit():
        assert field in str(issue)
    _assert_plain_words(issue)


def _assert_plain_words(issue: Issue) -> None:
    # the offending value is quoted in the message (and in a suggested fix, as JSON) and may contain anything:
    # judge the words around it
    words = re.sub(r'"[^"]*"', '""', re.sub(r"'[^']*'", "''", issue.message))
    for jargon in ("anyOf", "allOf", "is not valid under any of", "propertyName", "definitions/", "^"):
        assert jargon not in words, str(issue)


def test_format_checks_really_happen() -> None:
    issue = validate_event(changed(OBJECT_EVENT, eventTime="2020-13-45T99:00:00Z"))
    assert [str(i) for i in issue] == [
        "/eventTime: '2020-13-45T99:00:00Z' is not a valid date-time "
        "(expected e.g. 2024-05-01T10:00:00.000+02:00)"
    ]
    assert validate_event(changed(OBJECT_EVENT, eventTime="not-a-date"))
    assert validate_event(changed(OBJECT_EVENT, bizStep="not a uri with spaces"))
    assert validate_event(changed(OBJECT_EVENT, epcList=["::"]))


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("urn:epc:id:sgtin:0614141.107346.2017", True),
        ("https://id.gs1.org/01/09521141123454/21/1", True),
        ("ni:///sha-256;df7bb3c3?ver=CBV2.0", True),
        ("repository-x:hash", True),  # RFC 3986 schemes may contain '-', '+', '.'
        ("urn:x:%41", True),
        ("::", False),
        ("not a uri with spaces", False),
        ("sgtin", False),  # no scheme
        ("urn:x:%zz", False),  # broken percent-encoding
        ("https://example.com/a#b#c", False),
        ("http://x/\u00e9", False),  # an IRI, not a URI: percent-encode it
        ("urn:x:<1>", False),
    ],
)
def test_uri_format_is_rfc_3986(value: str, valid: bool) -> None:
    assert (validate_event(changed(OBJECT_EVENT, epcList=[value])) == []) is valid


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("2024-05-01T10:00:00Z", True),
        ("2024-05-01T10:00:00.123456+14:00", True),
        ("2024-02-29T10:00:00-03:30", True),
        ("2024-05-01T10:00:00", False),
        ("2024-05-01 10:00:00Z", False),
        ("2023-02-29T10:00:00Z", False),
        ("2024-05-01T10:00:00+0200", False),
        ("2024-05-01T10:00Z", False),
        ("\uff12\uff10\uff12\uff14-05-01T10:00:00Z", False),  # full-width digits
        ("0000-01-01T00:00:00Z", False),  # year 0 is no real time (xsd:dateTime)
        ("2024-05-01T10:00:00+14:01", False),
    ],
)
def test_date_time_is_a_real_timestamp_with_offset(value: str, valid: bool) -> None:
    assert (validate_event(changed(OBJECT_EVENT, eventTime=value)) == []) is valid
    assert (validate_event(changed(OBJECT_EVENT, recordTime=value)) == []) is valid
    declared = changed(OBJECT_EVENT, errorDeclaration={"declarationTime": value})
    assert (validate_event(declared) == []) is valid


def test_issues_are_capped() -> None:
    event = changed(OBJECT_EVENT, epcList=[f"bad epc {i}" for i in range(200)])
    issues = validate_event(event)
    assert len(issues) == MAX_ISSUES
    assert issues[0].path == "/epcList/0"


def test_several_problems_are_reported_at_once() -> None:
    event = changed(AGGREGATION_EVENT, parentID=DROP, eventTime="2024-05-01T10:00:00", bizStep="pack it")
    assert {i.path for i in validate_event(event)} == {"/parentID", "/eventTime", "/bizStep"}


def test_paths_escape_json_pointer_characters() -> None:
    issues = validate_event(changed(OBJECT_EVENT, ilmd={"lot/batch": 1}))
    assert [i.path for i in issues] == ["/ilmd/lot~1batch"]


INT_KEY_EVENT: dict[Any, Any] = {**OBJECT_EVENT}
INT_KEY_EVENT[7] = "x"


@pytest.mark.parametrize(
    "event",
    [
        "not an event",
        [OBJECT_EVENT],
        None,
        MappingProxyType({"type": "ObjectEvent"}),
        {**OBJECT_EVENT, "readPoint": {"id": b"urn:x:1"}},
        INT_KEY_EVENT,
    ],
    ids=["text", "list", "null", "mapping-proxy", "bytes", "int-key"],
)
def test_input_that_is_not_an_event_gives_issues_not_exceptions(event: Any) -> None:
    issues = validate_event(event)
    assert issues
    assert all(isinstance(i, Issue) for i in issues)


def test_any_mapping_is_accepted() -> None:
    frozen = MappingProxyType({**OBJECT_EVENT, "readPoint": MappingProxyType({"id": "urn:x:1"})})
    assert validate_event(frozen) == []


def test_validate_events_returns_one_list_per_event() -> None:
    result = validate_events([OBJECT_EVENT, changed(OBJECT_EVENT, action="UPDATE"), AGGREGATION_EVENT])
    assert [len(r) > 0 for r in result] == [False, True, False]


# --- documents: the envelope only ------------------------------------------------------------------------

INVALID_DOCUMENTS: list[tuple[str, Any, str, str]] = [
    ("type missing", _document([], type=DROP), "/type", "EPCISDocument"),
    ("type is an event", _document([], type="ObjectEvent"), "/type", "EPCISDocument"),
    ("schemaVersion words", _document([], schemaVersion="two"), "/schemaVersion", "2.0"),
    ("schemaVersion number", _document([], schemaVersion=2.0), "/schemaVersion", "text"),
    ("schemaVersion missing", _document([], schemaVersion=DROP), "/schemaVersion", "missing"),
    ("creationDate bad", _document([], creationDate="01.05.2024"), "/creationDate", "date-time"),
    (
        "creationDate leap second",
        _document([], creationDate="2016-12-31T23:59:60Z"),
        "/creationDate",
        "valid",
    ),
    ("creationDate missing", _document([], creationDate=DROP), "/creationDate", "missing"),
    ("@context missing", _document([], _at_context=DROP), "/@context", "missing"),
    ("@context repeated", _document([], _at_context=["urn:x:c", "urn:x:c"]), "/@context", "context"),
    ("epcisBody missing", _document([], epcisBody=DROP), "/epcisBody", "missing"),
    ("eventList missing", _document([], epcisBody={}), "/epcisBody/eventList", "missing"),
    ("eventList not a list", _document([], epcisBody={"eventList": {}}), "/epcisBody/eventList", "list"),
    ("event not an object", _document([OBJECT_EVENT, "event"]), "/epcisBody/eventList/1", "event object"),
    ("unknown field", _document([], sourceSystem="MES"), "/sourceSystem", "prefix"),
    ("id not a URI", _document([], id="doc 1"), "/id", "URI"),
    (
        "header master data",
        _document([], epcisHeader={"epcisMasterData": {"vocabularyList": [{}]}}),
        "/epcisHeader/epcisMasterData/vocabularyList/0/type",
        "missing",
    ),
]


@pytest.mark.parametrize(
    ("case", "doc", "path", "word"), INVALID_DOCUMENTS, ids=[c[0] for c in INVALID_DOCUMENTS]
)
def test_invalid_document_envelope(case: str, doc: Any, path: str, word: str) -> None:
    issues = validate_document(doc)
    matching = [i for i in issues if i.path == path]
    assert matching, f"{case}: no issue at {path!r}: {[str(i) for i in issues]}"
    assert word in matching[0].message, str(matching[0])
    _assert_plain_words(matching[0])


def test_document_does_not_validate_the_events() -> None:
    doc = _document([changed(OBJECT_EVENT, eventTime="soon"), changed(OBJECT_EVENT, action="UPDATE")])
    assert validate_document(doc) == []
    assert [len(issues) for issues in validate_events(document_events(doc))] == [1, 1]


def test_document_that_is_not_an_object() -> None:
    not_a_document: Any = [1, 2]
    expected = Issue("", "expected an EPCIS document (a JSON object), got a list")
    assert validate_document(not_a_document) == [expected]


def test_query_document_envelope() -> None:
    doc: dict[str, Any] = {
        "@context": "https://ref.gs1.org/standards/epcis/epcis-context.jsonld",
        "type": "EPCISQueryDocument",
        "schemaVersion": "2.0",
        "creationDate": "2024-05-01T10:00:00Z",
        "epcisBody": {"queryResults": {"queryName": "SimpleEventQuery", "resultsBody": {"eventList": ["x"]}}},
    }
    assert [i.path for i in validate_document(doc)] == ["/epcisBody/queryResults/resultsBody/eventList/0"]
    del doc["epcisBody"]["queryResults"]["queryName"]
    assert "/epcisBody/queryResults/queryName" in [i.path for i in validate_document(doc)]


# --- built once, never from the network ---------------------------------------------------------------


def test_validators_are_built_once() -> None:
    for _ in range(100):
        validate_event(OBJECT_EVENT)
        validate_document(_document([]))
    assert validation._validators() is validation._validators()
    assert validation._validators.cache_info().currsize == 1


def test_schema_references_never_go_to_the_network() -> None:
    with pytest.raises(ValueError, match="never fetched"):
        validation._bundled_schema("https://example.com/schema.json")
    with pytest.raises(ValueError, match="never fetched"):
        validation._bundled_schema("https://gs1.github.io/EPCIS/JSON-Schema/../../etc/passwd")
    served = validation._bundled_schema(
        "https://gs1.github.io/EPCIS/JSON-Schema/schemas/ObjectEvent-JSON-Schema.json"
    )
    assert served["$id"] == "https://gs1.github.io/EPCIS/JSON-Schema/schemas/ObjectEvent-JSON-Schema.json"


def test_inlined_schema_agrees_with_gs1_modular_sources() -> None:
    """GS1's modular schema (root + schemas/, resolved from the bundle by URL) judges like the inlined one."""
    modular_root = validation._bundled_schema(
        "https://gs1.github.io/EPCIS/JSON-Schema/EPCIS-JSON-Schema.json"
    )
    modular = jsonschema_rs.validator_for(
        modular_root, validate_formats=True, retriever=validation._bundled_schema
    )
    inlined = jsonschema_rs.validator_for(validation._load(validation._ROOT_FILE), validate_formats=True)
    cases = [e for _, e, _, _ in INVALID_EVENTS if isinstance(e, dict)] + CORPUS
    for event in cases:
        doc = _document([event])
        assert modular.is_valid(doc) == inlined.is_valid(doc), event


# --- property tests: the fast path is the full GS1 schema, judged like an independent engine does --------

_SCHEMA_FORMAT = {
    name: jsonschema_rs.validator_for({"type": "string", "format": name}, validate_formats=True).is_valid
    for name in ("uri", "date-time")
}


@pytest.fixture(scope="module")
def reference() -> Callable[[Any], bool]:
    """fastjsonschema compiled from the same GS1 definition, with the same format predicates, so that only
    the evaluation of the schema's structure (if/then, anyOf, propertyNames, patterns) is compared. Both use
    the schema as lotline aligns it with the XSD (alert-only sensor reports)."""
    schema = validation._align_with_xsd(validation._load(validation._ROOT_FILE))
    wrapper = {key: schema[key] for key in ("$id", "$schema", "definitions")}
    wrapper["allOf"] = [{"$ref": "#/definitions/EPCIS-Document-Event"}]
    compiled = fastjsonschema.compile(wrapper, formats=_SCHEMA_FORMAT)

    def accepts(event: Any) -> bool:
        try:
            compiled(event)
        except fastjsonschema.JsonSchemaValueException:
            return False
        return True

    return accepts


_WORDS = [
    "ADD", "OBSERVE", "DELETE", "shipping", "commissioning", "active", "po", "KGM", "kg", "2.0",
    "Temperature", "ObjectEvent", "AggregationEvent", "TransformationEvent", "TransactionEvent",
    "AssociationEvent",
    "example:CustomEvent", "urn:epcglobal:cbv:bizstep:shipping", "urn:epc:id:sgtin:4012345.011111.9",
    "urn:epc:class:lgtin:4012345.011111.L1", "https://id.gs1.org/01/04012345111118/21/9", "::", "not a uri",
    "2024-05-01T10:00:00Z", "2020-13-45T99:00:00Z", "2016-12-31T23:59:60Z", "+02:00", "+15:00", "", "ilmd",
]  # fmt: skip
_KEYS = [
    "type", "action", "eventTime", "eventTimeZoneOffset", "recordTime", "epcList", "quantityList", "parentID",
    "childEPCs", "ilmd", "readPoint", "bizStep", "disposition", "errorDeclaration", "declarationTime", "set",
    "quantity", "uom", "epcClass", "id", "transformationID", "outputEPCList", "sensorElementList", "foo",
    "example:x",
]  # fmt: skip
# No booleans inside lists (fastjsonschema treats true and 1 as equal in uniqueItems), and no text ending
# in a newline (Python's `$` matches before it; JSON Schema patterns are ECMA 262, where it does not).
_text = st.sampled_from(_WORDS) | st.text(max_size=6).filter(lambda s: not s.endswith("\n"))
_leaf = _text | st.integers(-3, 3) | st.floats(-10, 10, allow_nan=False) | st.none()
_value = (
    _leaf
    | st.booleans()
    | st.lists(_text, max_size=3)
    | st.dictionaries(st.sampled_from(_KEYS), _leaf, max_size=3)
    | st.lists(st.dictionaries(st.sampled_from(_KEYS), _leaf, max_size=3), max_size=2)
)


def _locations(node: Any, out: list[tuple[Any, Any]]) -> list[tuple[Any, Any]]:
    if isinstance(node, dict):
        for key, child in node.items():
            out.append((node, key))
            _locations(child, out)
    elif isinstance(node, list):
        for index, child in enumerate(node):
            out.append((node, index))
            _locations(child, out)
    return out


@st.composite
def mutated_events(draw: st.DrawFn) -> dict[str, Any]:
    event: dict[str, Any] = copy.deepcopy(draw(st.sampled_from(CORPUS)))
    for _ in range(draw(st.integers(1, 3))):
        container, key = draw(st.sampled_from(_locations(event, [(event, None)])))
        operation = draw(st.sampled_from(["drop", "replace", "add"]))
        if key is None or operation == "add":
            target = container if isinstance(container, dict) else event
            target[draw(st.sampled_from(_KEYS))] = draw(_value)
        elif operation == "drop":
            del container[key]
        else:
            container[key] = draw(_value)
    return event


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(event=mutated_events())
def test_schema_judged_like_an_independent_engine(
    reference: Callable[[Any], bool], event: dict[str, Any]
) -> None:
    assert validation._validators().event.is_valid(event) == reference(event)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(event=mutated_events())
def test_every_rejection_is_explained(reference: Callable[[Any], bool], event: dict[str, Any]) -> None:
    issues = validate_event(event)
    assert len(issues) <= MAX_ISSUES
    if not reference(event):
        assert issues, "the schema rejects this event but validate_event accepted it"
    for issue in issues:
        assert issue.message and not issue.message.startswith(_validation_messages._UNEXPLAINED), str(issue)
        _assert_plain_words(issue)


def test_an_alert_only_sensor_report_is_valid_but_a_report_needs_a_type_or_an_alert() -> None:
    event = {
        "type": "ObjectEvent",
        "eventTime": "2024-05-01T10:00:00.000+02:00",
        "eventTimeZoneOffset": "+02:00",
        "action": "OBSERVE",
        "epcList": ["urn:epc:id:sgtin:4012345.011111.1"],
        "sensorElementList": [{"sensorReport": [{"exception": "ALARM_CONDITION", "booleanValue": True}]}],
    }
    assert validate_event(event) == []
    event["sensorElementList"] = [{"sensorReport": [{"value": 4.2, "uom": "CEL"}]}]
    issues = validate_event(event)
    assert issues and issues[0].path.startswith("/sensorElementList/0/sensorReport/0")


def test_persistent_disposition_is_refused_outside_object_and_transformation_events() -> None:
    event = {
        "type": "AggregationEvent",
        "eventTime": "2024-05-01T10:00:00.000+02:00",
        "eventTimeZoneOffset": "+02:00",
        "action": "OBSERVE",
        "parentID": "urn:epc:id:sscc:4012345.0000000001",
        "childEPCs": ["urn:epc:id:sgtin:4012345.011111.1"],
        "persistentDisposition": {"set": ["completeness_verified"]},
    }
    (issue,) = validate_event(event)
    assert issue.path == "/persistentDisposition"
    assert "only allowed in an ObjectEvent or a TransformationEvent" in issue.message
