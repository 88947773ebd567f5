"""EPCIS XML binding: GS1 examples against their JSON twins, round trips, XSD validity and bad input.

How an XML example is compared with its JSON twin (`comparable`):
- numbers compare numerically (XML `200` and JSON `200.0` are equal), timestamps as instants
  (`2005-04-05T02:33:31.116Z` equals `2005-04-04T20:33:31.116-06:00`), hexBinary case-insensitively;
- the JSON twins carry computed event hashes as `eventID` where the XML has none: a JSON eventID is only
  compared when the XML event has one;
- GS1 terms compare in their bare form (`gs1:Angle` is `Angle`, `cbv:Comp-x` is `x`, `cbv:BizStep-receiving`
  is `receiving`), which is the form the reader produces;
- `@context` is checked separately (`test_twin_context`): every prefix the XML reading declares is declared
  by the twin for the same namespace, modulo a trailing `/` that the twins add;
- known content differences between a pair (the GS1 twins are not always exact) are listed per pair in
  TWINS with the reason, and those fields are removed from both sides before comparing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from lotline.epcis.timefmt import parse_time
from lotline.epcis.vocab import short_cbv
from lotline.epcis.xml import parse_xml_document, render_xml_document
from lotline.epcis.xml_read import SENSOR_VOCABULARIES, STANDARD_PREFIXES
from lotline.errors import DocumentError
from tests.conftest import GS1, HASH_VECTORS

XSD = GS1 / "XSD"
GS1_XML = sorted((GS1 / "XML").rglob("*.xml"))
CAPTURE_JOBS = [p for p in GS1_XML if p.parent.name == "CaptureJob"]  # job status bodies, not documents
GS1_DOCUMENTS = [p for p in GS1_XML if p not in CAPTURE_JOBS]
HASH_XML = sorted(HASH_VECTORS.glob("*/*.xml"))
JSON_EXAMPLES = sorted(
    [*(GS1 / "JSON").rglob("*.jsonld"), *HASH_VECTORS.glob("*/*.jsonld"), *HASH_VECTORS.glob("*/*.json")]
)
SHARED = GS1.parent
TIMES = frozenset({"eventTime", "recordTime", "declarationTime", "time", "startTime", "endTime"})
STANDARD_CONTEXT = "https://ref.gs1.org/standards/epcis/epcis-context.jsonld"


def _name(path: Path) -> str:
    return str(path.relative_to(SHARED))


def _load_json(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def events_of(doc: dict[str, Any]) -> list[dict[str, Any]]:
    body = doc["epcisBody"]
    found: list[dict[str, Any]] = (
        body["queryResults"]["resultsBody"]["eventList"] if "queryResults" in body else body["eventList"]
    )
    return found


@cache
def schema(name: str) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(XSD / name)))


def assert_valid(xml: bytes) -> None:
    root = etree.fromstring(xml)
    name = "EPCglobal-epcis-query-2_0.xsd" if "QueryDocument" in root.tag else "EPCglobal-epcis-2_0.xsd"
    xsd = schema(name)
    assert xsd.validate(root), str(xsd.error_log)


# --- normalisation ----------------------------------------------------------------------------------------


def comparable(value: Any, key: str | None = None, *, in_extension: bool = False) -> Any:
    """See the module docstring. `in_extension`: values under a `prefix:name` key compare as the XML text
    they become (2 -> "2", True -> "true", a one-item list -> the item), for JSON -> XML -> JSON."""
    if isinstance(value, dict):
        return {
            k: comparable(v, k, in_extension=in_extension or (":" in k and not k.startswith("@")))
            for k, v in value.items()
        }
    if isinstance(value, list):
        items = [comparable(v, key, in_extension=in_extension) for v in value]
        return items[0] if in_extension and len(items) == 1 else items
    if in_extension and not isinstance(value, str) and value is not None:
        return json.dumps(value)
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float):
        return float(value)
    if key in TIMES:
        return parse_time(value)
    if key == "hexBinaryValue":
        return value.lower()
    if key in VOCABULARIES:
        return short_cbv(VOCABULARIES[key], value)
    return value


VOCABULARIES = {
    "bizStep": "bizStep",
    "disposition": "disposition",
    "reason": "errorReason",
} | SENSOR_VOCABULARIES


def without(events: list[dict[str, Any]], paths: tuple[str, ...]) -> list[dict[str, Any]]:
    """Remove `event/key/key...` paths (event index or `*`, `*` for any list index) from a copy."""
    events = json.loads(json.dumps(events))

    def drop(node: Any, parts: list[str]) -> None:
        head, rest = parts[0], parts[1:]
        if isinstance(node, list):
            targets = range(len(node)) if head == "*" else [int(head)] if int(head) < len(node) else []
            for i in reversed(targets):
                if rest:
                    drop(node[i], rest)
                else:
                    del node[i]
        elif isinstance(node, dict) and head in node:
            if rest:
                drop(node[head], rest)
            else:
                del node[head]

    for path in paths:
        drop(events, path.split("/"))
    return events


def strip_extensions(value: Any) -> Any:
    """Only the standard (unprefixed) fields."""
    if isinstance(value, dict):
        return {k: strip_extensions(v) for k, v in value.items() if ":" not in k}
    if isinstance(value, list):
        return [strip_extensions(v) for v in value]
    return value


# --- XML / JSON twins -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Twin:
    xml: str  # relative to the shared data folder
    json: tuple[str, ...]  # their events concatenated
    xml_events: tuple[int, ...] | None = None  # which XML events the JSON files hold (default: all)
    ignore: tuple[str, ...] = ()  # known differences (see `why`)
    standard_only: bool = False  # compare only unprefixed fields (extension layouts differ)
    why: str = ""

    @property
    def id(self) -> str:
        return self.json[0].rsplit("/", 1)[-1] if len(self.json) == 1 else self.xml.rsplit("/", 1)[-1]


_GX, _GJ, _HV = "gs1/XML/", "gs1/JSON/", "hash-vectors/tests/examples/"
_FULL = "WithFullCombinationOfFields/"
_SENSOR_XML = _GX + "WithSensorData/SensorDataExamples.xml"
_NOT_IN_XML = ("*/certificationInfo", "*/errorDeclaration")
_FULL_WHY = (
    "The JSON twin has certificationInfo and errorDeclaration the XML lacks, and nests its ext1/ext2 "
    "extension objects one level deeper than the XML; standard fields are compared."
)


def _sensor(json_name: str, index: int, ignore: tuple[str, ...] = (), why: str = "") -> Twin:
    return Twin(_SENSOR_XML, (f"{_GJ}WithSensorData/{json_name}",), (index,), ignore, why=why)


TWINS = [
    Twin(
        _GX + "AssociationEvent/AssociationEventExamples.xml",
        tuple(f"{_GJ}AssociationEvent/AssociationEvent-{c}.jsonld" for c in "abcdefgh"),
        ignore=("6/errorDeclaration/correctiveEventIDs",),
        why="event g: the XML corrective event id is a urn:uuid, the JSON one an event hash",
    ),
    Twin(
        _GX + "Example-PersistentDisposition.xml",
        (_GJ + "PersistentDisposition-example.jsonld",),
        ignore=("*/type", "*/parentID", "*/childEPCs", "*/epcList", "1/action", "1/bizStep"),
        why="the XML has AggregationEvents (parentID + childEPCs), the JSON ObjectEvents over the same "
        "EPCs; the second JSON event is an OBSERVE/inspecting instead of DELETE/unpacking",
    ),
    Twin(
        _GX + "Example-TransactionEvent-2020_07_03y.xml",
        (_GJ + "Example-TransactionEvents-2020_07_03y.jsonld",),
        ignore=("1/rail:vehicle/1/rail:vehicleMasterGIAI", "1/rail:vehicle/2/rail:vehicleUniquelyIdentified"),
        why="the XML has an empty vehicleMasterGIAI the JSON omits; the JSON types vehicleUniquelyIdentified "
        "as a boolean through its @context, the XML has the text 'true'",
    ),
    Twin(_GX + "Example_9.6.1-ObjectEvent-2020_06_18a.xml", (_GJ + "Example_9.6.1-ObjectEvent.jsonld",)),
    Twin(
        _GX + "WithErrorDeclaration/ErrorDeclarationAndCorrectiveEvent.xml",
        (_GJ + "WithErrorDeclaration/ErrorDeclarationAndCorrectiveEvent.jsonld",),
        ignore=("*/readPoint", "*/inputQuantityList/*/quantity", "*/inputQuantityList/*/uom"),
        why="different readPoint ids; the JSON adds quantity 500 KGM to the input class",
    ),
    Twin(
        _GX + _FULL + "aggregation_event_all_possible_fields.xml",
        (_GJ + _FULL + "aggregation_event_all_possible_fields.jsonld",),
        ignore=(*_NOT_IN_XML, "0/sensorElementList/0/sensorReport/0/component"),
        standard_only=True,
        why=_FULL_WHY + " The sensor component is example:x in XML and cbv:Comp-latitude in JSON.",
    ),
    Twin(
        _GX + _FULL + "association_event_all_possible_fields.xml",
        (_GJ + _FULL + "association_event_all_possible_fields.jsonld",),
        ignore=_NOT_IN_XML,
        standard_only=True,
        why=_FULL_WHY,
    ),
    Twin(
        _GX + _FULL + "object_event_all_possible_fields.xml",
        (_GJ + _FULL + "object_event_all_possible_fields.jsonld",),
        ignore=(*_NOT_IN_XML, "0/action", "0/ilmd"),
        standard_only=True,
        why=_FULL_WHY + " The JSON also has action ADD (XML: OBSERVE) and an ilmd the XML lacks.",
    ),
    Twin(
        _GX + _FULL + "transaction_event_all_possible_fields.xml",
        (_GJ + _FULL + "transaction_event_all_possible_fields.jsonld",),
        ignore=_NOT_IN_XML,
        standard_only=True,
        why=_FULL_WHY,
    ),
    Twin(
        _GX + _FULL + "transformation_event_all_possible_fields.xml",
        (_GJ + _FULL + "transformation_event_all_possible_fields.jsonld",),
        ignore=_NOT_IN_XML,
        standard_only=True,
        why=_FULL_WHY + " The XML weights carry measurementUnitCode attributes the JSON drops.",
    ),
    # GS1 sensor examples: one XML file, one JSON file per event (13 and 17 have no XML counterpart).
    _sensor("SensorDataExample1.jsonld", 0),
    _sensor("SensorDataExample1b.jsonld", 0, ("0/epcList",), "1b is example 1 without the EPC, on purpose"),
    _sensor("SensorDataExample2.jsonld", 1),
    _sensor("SensorDataExample3.jsonld", 2),
    _sensor(
        "SensorDataExample4.jsonld",
        3,
        ("0/sensorElementList/0/sensorReport/*/rawData",),
        "the JSON gives each sensor its own rawData URL",
    ),
    _sensor("SensorDataExample5.jsonld", 4),
    _sensor(
        "SensorDataExample6.jsonld",
        5,
        ("0/epcList", "0/quantityList", "0/sensorElementList/0/example:furtherSensorData"),
        "the JSON adds an EPC and a quantity, and writes furtherSensorData as a list of one-key objects",
    ),
    _sensor("SensorDataExample7.jsonld", 6),
    _sensor(
        "SensorDataExample8.jsonld",
        7,
        (
            "0/childEPCs",
            "0/sensorElementList/0/sensorReport/1/type",
            "0/sensorElementList/0/sensorReport/2/type",
            "0/sensorElementList/1/example:furtherSensorData",
        ),
        "the XML has an empty childEPCs and the old type Molar_concentration (JSON: "
        "AmountOfSubstancePerUnitVolume); furtherSensorData is a list in the JSON",
    ),
    _sensor(
        "SensorDataExample9.jsonld",
        8,
        ("0/sensorElementList/0/sensorReport/*/type",),
        "the JSON adds measurement types to the two alert reports",
    ),
    _sensor(
        "SensorDataExample10.jsonld",
        9,
        ("0/sensorElementList/0/sensorReport/*/component", "0/sensorElementList/0/sensorReport/*/ex:feature"),
        "components are example:x/y/z in XML and x/y/z in JSON; the JSON adds ex:feature",
    ),
    _sensor(
        "SensorDataExample11.jsonld",
        10,
        ("0/sensorElementList/0/sensorReport/0/type",),
        "EffectiveDoseRate in XML, DoseEquivalentRate in JSON",
    ),
    _sensor(
        "SensorDataExample12.jsonld",
        11,
        (
            "0/readPoint/example:gs1ES",
            "0/bizLocation/example:gs1ES",
            "0/errorDeclaration/example:field",
            "0/example2:furtherData",
        ),
        "the JSON drops the gs1ES and furtherData extensions and has a different errorDeclaration field",
    ),
    _sensor(
        "SensorDataExample14.jsonld",
        12,
        ("0/bizStep",),
        "the XML bizStep is a misspelt Web URI (Bizstep-sensor_reporting), kept as is",
    ),
    _sensor("SensorDataExample15.jsonld", 13, ("0/bizStep",), "as for example 14"),
    _sensor(
        "SensorDataExample16.jsonld",
        12,
        ("0/bizStep", "0/readPoint", "0/sensorElementList"),
        "16 is example 14 with a geo: readPoint instead of the sensor readings",
    ),
    # Hash-vector examples with a JSON twin. epcisXml(Query)DocHavingEventWithIgnoreFields.xml are not
    # twins of epcis(Query)DocHavingEventWithIgnoreFields.jsonld (different events) and are left out.
    *(
        Twin(_HV + f"{name}.xml", (_HV + f"{name}.jsonld",))
        for name in (
            "CertificationInfoAndSensorReportWithCRS",
            "ReferenceEventHashAlgorithm",
            "ReferenceEventHashAlgorithm2",
            "ReferenceEventHashAlgorithm3",
            "epcisDocWithSensorComponent",
            "epcisDocWithShippingAndTransportingEvent",
            "epcisDocWithVariousEventTypes",
            "epcisDocWithXMLstartTagAndErrorDeclaration",
            "epcisEventWithCURIEs",
            "epcisQueryDocument",
            "persistentDisposition",
        )
    ),
]


def _twin_events(twin: Twin) -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]:
    doc = parse_xml_document((SHARED / twin.xml).read_bytes())
    xml_events = events_of(doc)
    if twin.xml_events is not None:
        xml_events = [xml_events[i] for i in twin.xml_events]
    json_events = [e for name in twin.json for e in events_of(_load_json(SHARED / name))]
    return doc, xml_events, json_events


def _mda_as_in_json(doc: dict[str, Any], events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """GS1's XML examples write CBV master data in the namespace `urn:epcglobal:cbv:mda` and their JSON
    twins in `urn:epcglobal:cbv:mda:` (the JSON-LD `cbvmda` prefix). lotline keeps the namespace as
    written (the CBV 2.0 hash, and so the reference vectors, tell the two apart); compare them as one."""
    prefixes = [
        f"{p}:"
        for entry in doc["@context"]
        if isinstance(entry, dict)
        for p, ns in entry.items()
        if ns == "urn:epcglobal:cbv:mda"
    ]

    def rename(node: Any) -> Any:
        if isinstance(node, dict):
            out = {}
            for k, v in node.items():
                for p in prefixes:
                    if k.startswith(p):
                        k = "cbvmda:" + k[len(p) :]
                out[k] = rename(v)
            return out
        if isinstance(node, list):
            return [rename(v) for v in node]
        return node

    return [rename(e) for e in events]


@pytest.mark.parametrize("twin", TWINS, ids=lambda t: t.id)
def test_xml_reads_as_its_json_twin(twin: Twin) -> None:
    doc, xml_events, json_events = _twin_events(twin)
    xml_events = _mda_as_in_json(doc, xml_events)
    assert len(xml_events) == len(json_events)
    json_events = [
        {k: v for k, v in j.items() if k != "eventID" or "eventID" in x}
        for x, j in zip(xml_events, json_events, strict=True)
    ]
    got, want = without(xml_events, twin.ignore), without(json_events, twin.ignore)
    if twin.standard_only:
        # The extension fields the XML has are there in the JSON too (their layout differs, see `why`).
        for x, j in zip(got, want, strict=True):
            assert {k for k in x if ":" in k} <= {k for k in j if ":" in k}
        got, want = strip_extensions(got), strip_extensions(want)
    assert comparable(got) == comparable(want), twin.why


def test_persistent_disposition_twin_lists_the_same_objects() -> None:
    """The pair differs in event type (see TWINS); the objects correspond: childEPCs vs epcList."""
    (twin,) = [t for t in TWINS if t.xml.endswith("Example-PersistentDisposition.xml")]
    _, xml_events, json_events = _twin_events(twin)
    assert [x["childEPCs"] for x in xml_events] == [j["epcList"] for j in json_events]


def _context_map(context: Any) -> dict[str, str]:
    items = context if isinstance(context, list) else [context]
    return {k: v for item in items if isinstance(item, dict) for k, v in item.items() if isinstance(v, str)}


@pytest.mark.parametrize("twin", [t for t in TWINS if t.xml_events is None], ids=lambda t: t.id)
def test_twin_context(twin: Twin) -> None:
    """Whole-document twins: the namespaces the XML reading declares are the twin's (they may differ by a
    trailing slash, which the JSON twins add), under the twin's prefix unless the XML's spelling of CBV
    master data (`urn:epcglobal:cbv:mda`, see `_mda_as_in_json`) took that name first."""
    doc, _, _ = _twin_events(twin)
    assert doc["@context"][0] == STANDARD_CONTEXT
    ours = _context_map(doc["@context"])
    theirs = _context_map(_load_json(SHARED / twin.json[0]).get("@context"))
    renumbered = any(ns == "urn:epcglobal:cbv:mda" for ns in ours.values())
    for prefix, namespace in ours.items():
        if namespace == "urn:epcglobal:cbv:mda":
            continue
        if prefix in theirs or not renumbered:
            assert prefix in theirs, f"{prefix} is not declared by the JSON twin"
            assert namespace.rstrip("/") == theirs[prefix].rstrip("/")
        else:
            assert namespace.rstrip("/") in {ns.rstrip("/") for ns in theirs.values()}


def test_the_twins_cover_the_examples() -> None:
    paired = {t.xml for t in TWINS}
    assert len(TWINS) >= 35
    for twin in TWINS:
        assert (SHARED / twin.xml).is_file() and all((SHARED / j).is_file() for j in twin.json)
    # every GS1 XML file with events either has a twin or is listed here as having none
    no_twin = {"CBV", "Mimasu", "WithEventHashID", "WithExtension"}
    for path in GS1_DOCUMENTS:
        name = _name(path)
        assert name in paired or path.parent.name in no_twin or "masterdata" in path.name, name


# --- every example parses ---------------------------------------------------------------------------------

EVENT_TYPES = {
    "ObjectEvent",
    "AggregationEvent",
    "TransactionEvent",
    "TransformationEvent",
    "AssociationEvent",
}


def assert_document_shape(doc: dict[str, Any]) -> None:
    assert doc["type"] in ("EPCISDocument", "EPCISQueryDocument")
    assert doc["@context"][0] == STANDARD_CONTEXT
    assert isinstance(doc["creationDate"], str) and doc["schemaVersion"] == "2.0"
    for event in events_of(doc):
        assert event["type"] in EVENT_TYPES
        assert parse_time(event["eventTime"]) > 0
        for key in event:
            assert ":" not in key or key.split(":", 1)[0] in _context_map(doc["@context"]) | STANDARD_PREFIXES


@pytest.mark.parametrize("path", GS1_DOCUMENTS, ids=_name)
def test_every_gs1_xml_example_parses(path: Path) -> None:
    assert_document_shape(parse_xml_document(path.read_bytes()))


@pytest.mark.parametrize("path", HASH_XML, ids=_name)
def test_every_hash_vector_xml_parses(path: Path) -> None:
    doc = parse_xml_document(path.read_bytes())
    assert_document_shape(doc)
    assert events_of(doc)


@pytest.mark.parametrize("path", CAPTURE_JOBS, ids=_name)
def test_a_capture_job_is_not_a_document(path: Path) -> None:
    with pytest.raises(DocumentError, match=r"line \d+: <EPCISCaptureJob> is a capture job status"):
        parse_xml_document(path.read_bytes())


def test_the_examples_were_found() -> None:
    assert (len(GS1_DOCUMENTS), len(CAPTURE_JOBS), len(HASH_XML)) == (33, 4, 27)
    assert len(JSON_EXAMPLES) >= 70


def test_masterdata_document_becomes_header_master_data() -> None:
    doc = parse_xml_document((GS1 / "XML/CBV/CBV-11.4-2020-06-16a.xml").read_bytes())
    assert doc["epcisBody"] == {"eventList": []}
    vocabulary = doc["epcisHeader"]["epcisMasterData"]["vocabularyList"][0]
    assert vocabulary["type"] == "urn:epcglobal:epcis:vtype:ReadPoint"
    second = vocabulary["vocabularyElementList"][1]
    assert second == {
        "id": "urn:epc:id:sgln:0614141.00300.1",
        "attributes": [
            {"id": "urn:epcglobal:cbv:mda:site", "attribute": "0614141003006"},
            {"id": "urn:epcglobal:cbv:mda:ssd", "attribute": "Line #1 at Manufacturing Plant 1"},
        ],
    }


def test_header_master_data_with_nested_attributes() -> None:
    doc = parse_xml_document((GS1 / "XML" / _FULL / "masterdata_all_possible_fields.xml").read_bytes())
    element = doc["epcisHeader"]["epcisMasterData"]["vocabularyList"][0]["vocabularyElementList"][0]
    attributes = element["attributes"]
    assert attributes[0] == {"id": "http://example.com/ext1#string", "attribute": "stringValue"}
    assert attributes[3]["attribute"] == {
        "ext1:object2": {"inner1": "val1", "inner2": "val2"},
        "ext1:string": "string",
    }


def test_query_document() -> None:
    doc = parse_xml_document((HASH_VECTORS / "examples/epcisQueryDocument.xml").read_bytes())
    assert doc["type"] == "EPCISQueryDocument"
    results = doc["epcisBody"]["queryResults"]
    assert results["queryName"] == "SimpleEventQuery"
    assert results["subscriptionID"] == "32d2aec1-a6d2-46d9-900a-24124288cce1"
    assert [e["bizStep"] for e in results["resultsBody"]["eventList"]] == ["shipping", "receiving"]


# --- the mapping in detail --------------------------------------------------------------------------------


def document(events: str, namespaces: str = "", root: str = "epcis:EPCISDocument") -> bytes:
    prefix = root.split(":", 1)[0]
    uri = "urn:epcglobal:epcis-query:xsd:2" if "Query" in root else "urn:epcglobal:epcis:xsd:2"
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<{root} xmlns:{prefix}="{uri}" {namespaces}\n'
        f'  schemaVersion="2.0" creationDate="2024-05-01T10:00:00Z">\n<EPCISBody>\n<EventList>\n'
        f"{events}\n</EventList>\n</EPCISBody>\n</{root}>\n"
    ).encode()


def one_event(xml: str, namespaces: str = "") -> tuple[dict[str, Any], list[Any]]:
    doc = parse_xml_document(document(xml, namespaces))
    (event,) = events_of(doc)
    return event, doc["@context"]


HEAD = "<eventTime>2024-05-01T10:00:00.000+02:00</eventTime><eventTimeZoneOffset>+02:00</eventTimeZoneOffset>"


def test_standard_fields_and_cbv_values() -> None:
    event, context = one_event(
        f"""<ObjectEvent>{HEAD}
        <epcList><epc> urn:epc:id:sgtin:0614141.107346.2017 </epc></epcList>
        <action>OBSERVE</action>
        <bizStep>urn:epcglobal:cbv:bizstep:shipping</bizStep>
        <disposition>https://ns.example.com/disp/custom</disposition>
        <readPoint><id>urn:epc:id:sgln:0614141.07346.1234</id></readPoint>
        <bizTransactionList>
          <bizTransaction type="urn:epcglobal:cbv:btt:po">urn:epc:id:gdti:0614141.00001.1618034</bizTransaction>
          <bizTransaction>http://transaction.acme.com/po/1</bizTransaction>
        </bizTransactionList>
        <quantityList><quantityElement><epcClass>urn:epc:class:lgtin:4012345.012345.998877</epcClass>
          <quantity>200</quantity><uom>KGM</uom></quantityElement>
          <quantityElement><epcClass>urn:epc:class:lgtin:4012345.012345.1</epcClass><quantity>2.5</quantity>
          </quantityElement></quantityList>
        <sourceList><source type="urn:epcglobal:cbv:sdt:owning_party">urn:epc:id:pgln:4012345.00225</source>
        </sourceList>
        <destinationList><destination type="urn:epcglobal:cbv:sdt:location">urn:epc:id:sgln:0614141.00777.0
        </destination></destinationList>
        <persistentDisposition><unset>urn:epcglobal:cbv:disp:completeness_inferred</unset>
          <set>urn:epcglobal:cbv:disp:completeness_verified</set></persistentDisposition>
        </ObjectEvent>"""
    )
    assert context == [STANDARD_CONTEXT]
    assert event == {
        "type": "ObjectEvent",
        "eventTime": "2024-05-01T10:00:00.000+02:00",
        "eventTimeZoneOffset": "+02:00",
        "epcList": ["urn:epc:id:sgtin:0614141.107346.2017"],
        "action": "OBSERVE",
        "bizStep": "shipping",
        "disposition": "https://ns.example.com/disp/custom",
        "readPoint": {"id": "urn:epc:id:sgln:0614141.07346.1234"},
        "bizTransactionList": [
            {"type": "po", "bizTransaction": "urn:epc:id:gdti:0614141.00001.1618034"},
            {"bizTransaction": "http://transaction.acme.com/po/1"},
        ],
        "quantityList": [
            {"epcClass": "urn:epc:class:lgtin:4012345.012345.998877", "quantity": 200, "uom": "KGM"},
            {"epcClass": "urn:epc:class:lgtin:4012345.012345.1", "quantity": 2.5},
        ],
        "sourceList": [{"type": "owning_party", "source": "urn:epc:id:pgln:4012345.00225"}],
        "destinationList": [{"type": "location", "destination": "urn:epc:id:sgln:0614141.00777.0"}],
        "persistentDisposition": {"unset": ["completeness_inferred"], "set": ["completeness_verified"]},
    }
    assert isinstance(event["quantityList"][0]["quantity"], int)


def test_epcis_1x_extension_wrappers_are_unwrapped() -> None:
    doc = parse_xml_document(
        b"""<epcis:EPCISDocument xmlns:epcis="urn:epcglobal:epcis:xsd:1" xmlns:ex="http://ns.example.com/"
            schemaVersion="1.2" creationDate="2019-10-21T14:59:02.099+02:00"><EPCISBody><EventList>
        <ObjectEvent><eventTime>2019-10-21T14:58:56.591+02:00</eventTime>
          <eventTimeZoneOffset>+02:00</eventTimeZoneOffset>
          <baseExtension><eventID>urn:uuid:1</eventID>
            <errorDeclaration><declarationTime>2019-10-22T10:00:00Z</declarationTime>
              <reason>urn:epcglobal:cbv:er:incorrect_data</reason>
              <correctiveEventIDs><correctiveEventID>urn:uuid:2</correctiveEventID></correctiveEventIDs>
            </errorDeclaration></baseExtension>
          <epcList/><action>ADD</action>
          <extension><quantityList><quantityElement><epcClass>urn:epc:class:lgtin:4012345.012345.1</epcClass>
            <quantity>10</quantity></quantityElement></quantityList>
            <ilmd><ex:lot>A1</ex:lot></ilmd></extension>
        </ObjectEvent>
        <extension><TransformationEvent><eventTime>2019-10-21T14:58:56.591+02:00</eventTime>
          <eventTimeZoneOffset>+02:00</eventTimeZoneOffset>
          <outputEPCList><epc>urn:epc:id:sgtin:4012345.077889.25</epc></outputEPCList>
        </TransformationEvent></extension>
        </EventList></EPCISBody></epcis:EPCISDocument>"""
    )
    first, second = events_of(doc)
    assert first["eventID"] == "urn:uuid:1"
    assert first["errorDeclaration"] == {
        "declarationTime": "2019-10-22T10:00:00Z",
        "reason": "incorrect_data",
        "correctiveEventIDs": ["urn:uuid:2"],
    }
    assert first["epcList"] == []
    assert first["quantityList"] == [{"epcClass": "urn:epc:class:lgtin:4012345.012345.1", "quantity": 10}]
    assert first["ilmd"] == {"ex:lot": "A1"}
    assert second["type"] == "TransformationEvent"
    assert second["outputEPCList"] == ["urn:epc:id:sgtin:4012345.077889.25"]
    assert doc["schemaVersion"] == "1.2"


def test_user_extensions() -> None:
    event, context = one_event(
        f"""<ObjectEvent ex:flag="yes">{HEAD}<action>OBSERVE</action>
        <readPoint><id>urn:epc:id:sgln:0614141.07346.1234</id><ex:dock>7</ex:dock></readPoint>
        <ex:myField>Example of a vendor/user extension</ex:myField>
        <ex:nested><ex:a xsi:type="xsd:integer">1</ex:a><ex:a>2</ex:a><plain>x</plain><ex:none xsi:nil="true"/>
          <ex:empty/></ex:nested>
        <ex:weight unit="KGM">3.5</ex:weight>
        <other:thing xmlns:other="urn:example:other">t</other:thing>
        <thing xmlns="urn:example:default">d</thing>
        <extension><ex:wrapped>w</ex:wrapped></extension>
        </ObjectEvent>""",
        'xmlns:ex="http://ns.example.com/epcis/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'xmlns:xsd="http://www.w3.org/2001/XMLSchema"',
    )
    assert context == [
        STANDARD_CONTEXT,
        {"ex": "http://ns.example.com/epcis/"},
        {"ns": "urn:example:default"},
        {"other": "urn:example:other"},
    ]
    assert event["ex:flag"] == "yes"
    assert event["readPoint"] == {"id": "urn:epc:id:sgln:0614141.07346.1234", "ex:dock": "7"}
    assert event["ex:myField"] == "Example of a vendor/user extension"
    assert event["ex:nested"] == {"ex:a": ["1", "2"], "plain": "x", "ex:none": None, "ex:empty": ""}
    assert event["ex:weight"] == {"unit": "KGM", "#text": "3.5"}
    assert event["other:thing"] == "t" and event["ns:thing"] == "d" and event["ex:wrapped"] == "w"


def test_standard_namespaces_use_the_standard_prefixes() -> None:
    event, context = one_event(
        f"""<TransformationEvent>{HEAD}<ilmd><md:lotNumber>L1</md:lotNumber><voc:x>1</voc:x></ilmd>
        </TransformationEvent>""",
        'xmlns:md="urn:epcglobal:cbv:mda:" xmlns:voc="https://gs1.org/voc/" xmlns:cbvmda="http://other/"',
    )
    assert event["ilmd"] == {"cbvmda:lotNumber": "L1", "gs1:x": "1"}
    assert context == [STANDARD_CONTEXT]  # both are in the standard context already


def test_near_miss_namespaces_are_kept_as_written() -> None:
    """`urn:epcglobal:cbv:mda` (no trailing colon) is not the JSON-LD `cbvmda` namespace: the CBV 2.0 hash
    tells them apart (the reference vectors do), so the event keeps it and hashes as the reference does."""
    event, context = one_event(
        f"""<TransformationEvent>{HEAD}<ilmd><cbvmda:lotNumber>L1</cbvmda:lotNumber></ilmd>
        </TransformationEvent>""",
        'xmlns:cbvmda="urn:epcglobal:cbv:mda"',
    )
    assert event["ilmd"] == {"cbvmda2:lotNumber": "L1"}
    assert context == [STANDARD_CONTEXT, {"cbvmda2": "urn:epcglobal:cbv:mda"}]


def test_sensor_values_are_typed() -> None:
    event, _ = one_event(
        f"""<ObjectEvent>{HEAD}<action>OBSERVE</action><sensorElementList><sensorElement>
        <sensorMetadata time="2019-04-02T14:05:00.000+01:00" ex:batch="b1"/>
        <sensorReport type="gs1:Temperature" value="26.0" minValue="-3" uom="CEL" booleanValue="true"
            component="cbv:Comp-x" exception="gs1:ALARM_CONDITION" hexBinaryValue="f0f0"/>
        <sensorReport type="gs1:MT-Temperature" value="1.5e2" component="example:x"/>
        <ex:note>n</ex:note>
        </sensorElement></sensorElementList></ObjectEvent>""",
        'xmlns:ex="http://ns.example.com/epcis/"',
    )
    (element,) = event["sensorElementList"]
    assert element["sensorMetadata"] == {"time": "2019-04-02T14:05:00.000+01:00", "ex:batch": "b1"}
    first, second = element["sensorReport"]
    assert first == {
        "type": "Temperature",
        "value": 26.0,
        "minValue": -3,
        "uom": "CEL",
        "booleanValue": True,
        "component": "x",
        "exception": "ALARM_CONDITION",
        "hexBinaryValue": "f0f0",
    }
    assert second == {"type": "gs1:MT-Temperature", "value": 150.0, "component": "example:x"}
    assert element["ex:note"] == "n"


def test_cbv_curie_and_web_uri_forms_read_as_bare_words() -> None:
    event, _ = one_event(
        f"""<ObjectEvent>{HEAD}<action>OBSERVE</action><bizStep>cbv:BizStep-receiving</bizStep>
        <disposition>https://ref.gs1.org/cbv/Disp-in_progress</disposition>
        <bizTransactionList><bizTransaction type="cbv:BTT-desadv">urn:x:1</bizTransaction></bizTransactionList>
        </ObjectEvent>"""
    )
    assert (event["bizStep"], event["disposition"]) == ("receiving", "in_progress")
    assert event["bizTransactionList"] == [{"type": "desadv", "bizTransaction": "urn:x:1"}]


def test_comments_processing_instructions_and_declaration_are_ignored() -> None:
    event, _ = one_event(
        f"""<!-- a comment --><?pi something?><ObjectEvent><!-- c -->{HEAD}<action><!-- c -->ADD</action>
        </ObjectEvent>"""
    )
    assert event == {
        "type": "ObjectEvent",
        "eventTime": "2024-05-01T10:00:00.000+02:00",
        "eventTimeZoneOffset": "+02:00",
        "action": "ADD",
    }


def test_bare_event_list_and_body() -> None:
    for root in ("EventList", "EPCISBody"):
        inner = f"<ObjectEvent>{HEAD}<action>ADD</action></ObjectEvent>"
        xml = (
            f"<{root}>{inner}</{root}>"
            if root == "EventList"
            else f"<EPCISBody><EventList>{inner}</EventList></EPCISBody>"
        )
        doc = parse_xml_document(xml.encode())
        assert doc["type"] == "EPCISDocument"
        assert [e["action"] for e in events_of(doc)] == ["ADD"]


def test_core_elements_in_the_epcis_namespace_are_read_as_unqualified() -> None:
    doc = parse_xml_document(
        b"""<EPCISDocument xmlns="urn:epcglobal:epcis:xsd:2" schemaVersion="2.0" creationDate="2024-05-01T10:00:00Z">
        <EPCISBody><EventList><ObjectEvent><eventTime>2024-05-01T10:00:00Z</eventTime>
        <eventTimeZoneOffset>+00:00</eventTimeZoneOffset><action>ADD</action><x:y xmlns:x="urn:x:">1</x:y>
        </ObjectEvent></EventList></EPCISBody></EPCISDocument>"""
    )
    (event,) = events_of(doc)
    assert event["action"] == "ADD" and event["x:y"] == "1"
    assert doc["@context"] == [STANDARD_CONTEXT, {"x": "urn:x:"}]


SBDH_DOCUMENT = b"""<?xml version="1.0" encoding="UTF-8"?>
<epcis:EPCISDocument xmlns:epcis="urn:epcglobal:epcis:xsd:2"
    xmlns:sbdh="http://www.unece.org/cefact/namespaces/StandardBusinessDocumentHeader"
    xmlns:ex="http://ns.example.com/epcis/" schemaVersion="2.0" creationDate="2024-05-01T10:00:00Z" bogus="1">
  <EPCISHeader>
    <sbdh:StandardBusinessDocumentHeader>
      <sbdh:HeaderVersion>1.0</sbdh:HeaderVersion>
      <sbdh:Sender><sbdh:Identifier Authority="GS1">0353579000019</sbdh:Identifier></sbdh:Sender>
      <sbdh:Receiver><sbdh:Identifier Authority="GS1">5012345000016</sbdh:Identifier></sbdh:Receiver>
      <sbdh:DocumentIdentification>
        <sbdh:Standard>EPCglobal</sbdh:Standard><sbdh:TypeVersion>2.0</sbdh:TypeVersion>
        <sbdh:InstanceIdentifier>1234567890</sbdh:InstanceIdentifier><sbdh:Type>Events</sbdh:Type>
        <sbdh:CreationDateAndTime>2024-05-01T10:00:00Z</sbdh:CreationDateAndTime>
      </sbdh:DocumentIdentification>
    </sbdh:StandardBusinessDocumentHeader>
    <extension><EPCISMasterData><VocabularyList>
      <Vocabulary type="urn:epcglobal:epcis:vtype:BusinessLocation"><VocabularyElementList>
        <VocabularyElement id="urn:epc:id:sgln:0614141.00001.0">
          <attribute id="urn:epcglobal:cbv:mda#name">Plant 1</attribute>
          <children><id>urn:epc:id:sgln:0614141.00001.1</id></children>
        </VocabularyElement>
      </VocabularyElementList></Vocabulary>
    </VocabularyList></EPCISMasterData></extension>
  </EPCISHeader>
  <EPCISBody><EventList/><ex:batchNote>night shift</ex:batchNote></EPCISBody>
</epcis:EPCISDocument>"""


def test_header_with_sbdh_and_master_data_round_trips() -> None:
    doc = parse_xml_document(SBDH_DOCUMENT)
    header = doc["epcisHeader"]
    sbdh = header["sbdh:StandardBusinessDocumentHeader"]
    assert sbdh["sbdh:Sender"] == {"sbdh:Identifier": {"Authority": "GS1", "#text": "0353579000019"}}
    assert header["epcisMasterData"]["vocabularyList"][0]["vocabularyElementList"] == [
        {
            "id": "urn:epc:id:sgln:0614141.00001.0",
            "attributes": [{"id": "urn:epcglobal:cbv:mda#name", "attribute": "Plant 1"}],
            "children": ["urn:epc:id:sgln:0614141.00001.1"],
        }
    ]
    assert doc["epcisBody"] == {"eventList": [], "ex:batchNote": "night shift"}
    assert "bogus" not in doc  # unqualified attributes of standard elements mean nothing in JSON
    xml = render_xml_document(doc)
    assert_valid(xml)
    assert parse_xml_document(xml) == doc


def test_read_document_dispatches_xml() -> None:
    from lotline.epcis.document import document_events, read_document

    doc = read_document(
        (GS1 / "XML/Example_9.6.1-ObjectEvent-2020_06_18a.xml").read_bytes(), "application/xml"
    )
    assert [e["bizStep"] for e in document_events(doc)] == ["shipping", "receiving"]


# --- bad input --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("xml", "message"),
    [
        (b"<a>\n<b>\n</a>", r"line 3: the body is not well-formed XML: Opening and ending tag mismatch"),
        (b"", r"line 1: the body is not well-formed XML"),
        (b"<a>&undefined;</a>", r"line 1"),
        (
            b'<?xml version="1.0"?>\n<!DOCTYPE lolz [\n<!ENTITY lol "lol">\n]>\n<EventList>&lol;</EventList>',
            r"line 2: document type declarations",
        ),
        (
            b'<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n<EventList>&xxe;</EventList>',
            r"line 1: document type declarations",
        ),
        (b'\n<!DOCTYPE EventList SYSTEM "http://example.com/x.dtd">\n<EventList/>', r"line 2: document type"),
        (b'<epcis:Other xmlns:epcis="urn:epcglobal:epcis:xsd:2"/>', r"line 1: unknown root element <epcis:Other>"),
        (document("<QuantityEvent/>"), r"line 6: unknown event type <QuantityEvent>"),
        (document(f"<ObjectEvent>{HEAD}\n<color>red</color></ObjectEvent>"), r"line 7: unknown element <color>"),
        (
            document(
                f"<ObjectEvent>{HEAD}<quantityList><quantityElement><epcClass>urn:x</epcClass>\n"
                "<quantity>ten</quantity></quantityElement></quantityList></ObjectEvent>"
            ),
            r"line 7: quantity 'ten' is not a number",
        ),
        (
            document(f"<ObjectEvent>{HEAD}<quantityList><quantityElement><epcClass>urn:x</epcClass>\n<quantity/>"
                     "</quantityElement></quantityList></ObjectEvent>"),
            r"line 7: quantity '' is not a number",
        ),
        (
            document(f"<ObjectEvent>{HEAD}<sensorElementList><sensorElement>\n"
                     '<sensorReport type="gs1:Temperature" value="warm"/></sensorElement></sensorElementList>'
                     "</ObjectEvent>"),
            r"line 7: sensorReport value 'warm' is not a number",
        ),
        (
            document(f"<ObjectEvent>{HEAD}<sensorElementList><sensorElement>\n"
                     '<sensorReport booleanValue="yes"/></sensorElement></sensorElementList></ObjectEvent>'),
            r"line 7: sensorReport booleanValue 'yes' is not a boolean",
        ),
        (document("", root="epcisq:EPCISQueryDocument"), r"line \d+: the query document body holds"),
        (
            document(f"<ObjectEvent>{HEAD}<epcList>\n<id>urn:x</id></epcList></ObjectEvent>"),
            r"line 7: unexpected element <id> in <epcList>, expected <epc>",
        ),
    ],
    ids=[
        "malformed", "empty", "undefined-entity", "dtd-entity", "xxe", "external-dtd", "unknown-root",
        "unknown-event", "unknown-element", "non-numeric-quantity", "empty-quantity", "non-numeric-sensor",
        "non-boolean", "query-without-results", "wrong-list-item",
    ],
)  # fmt: skip
def test_bad_input_names_the_line(xml: bytes, message: str) -> None:
    with pytest.raises(DocumentError, match=message):
        parse_xml_document(xml)


def test_entities_are_never_expanded() -> None:
    laughs = b'<!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]><EventList>&b;</EventList>'
    with pytest.raises(DocumentError, match="line 1"):
        parse_xml_document(laughs)


def test_a_bare_doctype_without_declarations_is_tolerated() -> None:
    # WithFullCombinationOfFields/*.xml start with `<!DOCTYPE project>`: it declares nothing.
    doc = parse_xml_document(b"<!DOCTYPE EventList>\n<EventList/>")
    assert events_of(doc) == []


# --- round trips and XSD validity -------------------------------------------------------------------------


@pytest.mark.parametrize("path", GS1_DOCUMENTS + HASH_XML, ids=_name)
def test_xml_round_trip_is_lossless_and_valid(path: Path) -> None:
    doc = parse_xml_document(path.read_bytes())
    xml = render_xml_document(doc)
    assert_valid(xml)
    assert parse_xml_document(xml) == doc


# JSON examples whose events come back different after JSON -> XML -> JSON, beyond `comparable`.
JSON_XML_JSON_DIFFERENCES = {
    # the JSON redefines the standard prefix cbvmda as http://example.com/cbvmda/; read back it is `cbvmda2`
    "transformation_event_all_possible_fields.jsonld": (
        *(f"0/ilmd/cbvmda:{k}" for k in ("countryOfExport", "countryOfOrigin", "drainedWeight")),
        *(f"0/ilmd/cbvmda:{k}" for k in ("grossWeight", "lotNumber", "netWeight")),
        *(f"0/ilmd/cbvmda2:{k}" for k in ("countryOfExport", "countryOfOrigin", "drainedWeight")),
        *(f"0/ilmd/cbvmda2:{k}" for k in ("grossWeight", "lotNumber", "netWeight")),
    ),
    # `sdo` and `schema` are two prefixes for one namespace: XML keeps one of them
    "ralfsChaosExample.jsonld": ("0/sdo:nsn", "0/schema:nsn"),
}


@pytest.mark.parametrize("path", JSON_EXAMPLES, ids=_name)
def test_json_renders_valid_xml_that_reads_back(path: Path) -> None:
    original = _load_json(path)
    xml = render_xml_document(original)
    assert_valid(xml)
    back = parse_xml_document(xml)
    assert back["type"] == original["type"]
    ignore = JSON_XML_JSON_DIFFERENCES.get(path.name, ())
    assert comparable(without(events_of(back), ignore)) == comparable(without(events_of(original), ignore))


def test_render_details() -> None:
    doc = {
        "@context": [STANDARD_CONTEXT, {"ex": "http://ns.example.com/epcis/"}],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2024-05-01T10:00:00Z",
        "epcisBody": {
            "eventList": [
                {
                    "@context": [STANDARD_CONTEXT, {"own": "urn:example:own:"}],
                    "type": "ObjectEvent",
                    "eventTime": "2024-05-01T10:00:00.000+02:00",
                    "eventTimeZoneOffset": "+02:00",
                    "action": "OBSERVE",
                    "bizStep": "shipping",
                    "disposition": "urn:example:disp:custom",
                    "quantityList": [{"epcClass": "urn:epc:class:lgtin:4012345.012345.1", "quantity": 1e-05}],
                    "ex:a": 1,
                    "own:b": {"own:c": [True, None]},
                }
            ]
        },
    }
    xml = render_xml_document(doc)
    assert_valid(xml)
    text = xml.decode()
    assert "<bizStep>urn:epcglobal:cbv:bizstep:shipping</bizStep>" in text
    assert "<disposition>urn:example:disp:custom</disposition>" in text
    assert "<quantity>0.00001</quantity>" in text
    assert "@context" not in text and 'xmlns:own="urn:example:own:"' in text
    (event,) = events_of(parse_xml_document(xml))
    assert event["own:b"] == {"own:c": ["true", None]} and event["ex:a"] == "1"


def test_render_declares_only_usable_prefixes() -> None:
    context = [STANDARD_CONTEXT, {"Temperature": "gs1:Temperature", "1bad": "urn:bad:", "ex": "urn:ex:"}]
    doc = _minimal(
        {"type": "ObjectEvent", "action": "ADD", "1bad:x": "1", "ex:y": "2", "gs1:z": "3"}, context
    )
    xml = render_xml_document(doc)
    assert b'xmlns:ex="urn:ex:"' in xml and b"xmlns:Temperature" not in xml
    assert_valid(xml)
    (event,) = events_of(parse_xml_document(xml))
    assert event["ex:y"] == "2" and event["gs1:z"] == "3"
    assert [v for k, v in event.items() if k.endswith(":x")] == ["1"]  # under a generated prefix


def test_query_document_renders_with_query_results() -> None:
    original = _load_json(GS1 / "JSON/EPCISQueryDocument.jsonld")
    xml = render_xml_document(original)
    root = etree.fromstring(xml)
    assert root.tag == "{urn:epcglobal:epcis-query:xsd:2}EPCISQueryDocument"
    name = root.find("EPCISBody/{urn:epcglobal:epcis-query:xsd:2}QueryResults/queryName")
    assert name is not None and name.text == "SimpleEventQuery"
    assert_valid(xml)


def _minimal(event: dict[str, Any], context: list[Any] | None = None) -> dict[str, Any]:
    return {
        "@context": context or [STANDARD_CONTEXT],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2024-05-01T10:00:00Z",
        "epcisBody": {
            "eventList": [{"eventTime": "2024-05-01T10:00:00Z", "eventTimeZoneOffset": "+00:00", **event}]
        },
    }


@pytest.mark.parametrize(
    ("event", "message"),
    [
        ({"type": "QuantityEvent"}, r"event 0: unknown event type 'QuantityEvent'"),
        ({"type": "ObjectEvent", "action": "ADD", "nope:x": 1}, r"prefix of 'nope:x' is not declared"),
        ({"type": "ObjectEvent", "action": "ADD", "color": "red"}, r"'color' is not a field of ObjectEvent"),
        (
            {"type": "AggregationEvent", "action": "ADD", "ilmd": {}},
            r"'ilmd' is not a field of AggregationEvent",
        ),
        (
            {
                "type": "ObjectEvent",
                "action": "ADD",
                "quantityList": [{"epcClass": "urn:x", "quantity": "ten"}],
            },
            r"quantity must be a finite number",
        ),
        ({"type": "ObjectEvent", "action": "ADD", "epcList": "urn:x"}, r"epcList must be an array"),
    ],
    ids=["event-type", "prefix", "unknown-field", "misplaced-field", "quantity", "shape"],
)
def test_render_rejects_what_xml_cannot_carry(event: dict[str, Any], message: str) -> None:
    with pytest.raises(DocumentError, match=message):
        render_xml_document(_minimal(event))


def test_render_rejects_a_non_document() -> None:
    with pytest.raises(DocumentError, match="type must be EPCISDocument or EPCISQueryDocument"):
        render_xml_document({"type": "ObjectEvent"})


# --- size -------------------------------------------------------------------------------------------------


def test_a_large_document_parses_completely() -> None:
    """Throughput is measured by benchmarks, not here: this only checks a 5,000-event document is read whole."""
    n = 5000
    event = (
        "<ObjectEvent><eventTime>2024-05-01T10:00:00.000+02:00</eventTime><eventTimeZoneOffset>+02:00"
        "</eventTimeZoneOffset><epcList><epc>urn:epc:id:sgtin:0614141.107346.{i}</epc></epcList>"
        "<action>OBSERVE</action><bizStep>urn:epcglobal:cbv:bizstep:shipping</bizStep>"
        "<readPoint><id>urn:epc:id:sgln:0614141.07346.1234</id></readPoint></ObjectEvent>"
    )
    doc = parse_xml_document(document("".join(event.format(i=i) for i in range(n))))
    assert len(events_of(doc)) == n
    assert events_of(doc)[-1]["epcList"] == [f"urn:epc:id:sgtin:0614141.107346.{n - 1}"]
