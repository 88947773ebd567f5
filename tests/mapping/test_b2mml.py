"""B2MML and other XML for mappings: what a document is, the document as JSON, XML payloads in the mapper,
and the B2MML templates beyond the golden cases (a produced lot, MESA's real examples)."""

from __future__ import annotations

from pathlib import Path

import pytest

from lotline.connectors.base import Message
from lotline.epcis.validation import validate_event
from lotline.errors import MappingError
from lotline.mapping import load_mapping
from lotline.mapping.b2mml import B2mmlKind, b2mml_kind, is_xml, parse_xml, xml_to_dict

XML = {"content-type": "application/xml"}
V0401 = "http://www.wbf.org/xml/B2MML-V0401"


def message(payload: bytes, **headers: str) -> Message:
    return Message(source="mes", message_id="m1", payload=payload, headers={**XML, **headers}, received_at=1)


def test_xml_to_dict_strips_namespaces_and_makes_lists_of_repeats() -> None:
    doc = (
        b'<?xml version="1.0"?><x:Root xmlns:x="urn:a" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        b'<x:Description x:languageID="F">Final</x:Description><x:Empty/>'
        b"<x:Value><x:ID>1</x:ID></x:Value><x:Value><x:ID>2</x:ID></x:Value><x:One><x:ID>3</x:ID></x:One>"
        b"<!-- a comment --></x:Root>"
    )
    assert xml_to_dict(doc, lists={"One"}) == {
        "Root": {
            "Description": {"@languageID": "F", "#text": "Final"},
            "Empty": "",
            "Value": [{"ID": "1"}, {"ID": "2"}],
            "One": [{"ID": "3"}],
        }
    }


def test_external_entities_are_never_resolved(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("password")
    doc = f'<!DOCTYPE r [<!ENTITY e SYSTEM "file://{secret}">]><r><a>&e;</a></r>'.encode()
    assert "password" not in str(xml_to_dict(doc))


@pytest.mark.parametrize(
    ("root", "kind"),
    [
        (
            f'<SyncProductionPerformance xmlns="{V0401}"/>',
            B2mmlKind("ProductionPerformance", "Sync", "V0401"),
        ),
        (
            '<ProcessMaterialLot xmlns="http://www.mesa.org/xml/B2MML-V0600"/>',
            B2mmlKind("MaterialLot", "Process", "V0600"),
        ),
        (
            '<OperationsPerformance xmlns="http://www.mesa.org/xml/B2MML"/>',
            B2mmlKind("OperationsPerformance", None, None),
        ),
        ('<Syncopation xmlns="http://www.mesa.org/xml/B2MML"/>', B2mmlKind("Syncopation", None, None)),
        ("<SyncProductionPerformance/>", None),
    ],
)
def test_b2mml_kind(root: str, kind: B2mmlKind | None) -> None:
    assert b2mml_kind(parse_xml(root.encode())) == kind


def test_content_types_that_are_xml() -> None:
    assert is_xml("application/xml") and is_xml("text/xml; charset=utf-8") and is_xml("application/epcis+xml")
    assert not is_xml("application/json") and not is_xml(None)


def test_the_mapper_reads_xml_payloads_and_reports_bad_ones() -> None:
    mapper = load_mapping("template:b2mml-production-performance")
    with pytest.raises(MappingError, match="is not well-formed XML"):
        mapper(message(b"<SyncProductionPerformance>", **{"b2mml-type": "ProductionPerformance"}))
    assert not mapper.matches(message(f'<SyncMaterialInformation xmlns="{V0401}"/>'.encode()))


def test_produced_lots_are_outputs(shared_dir: Path) -> None:
    example = shared_dir / "data" / "b2mml" / "examples-V0401" / "PES-20121229115825-53107.xml"
    produced = (
        b"<MaterialActual><MaterialDefinitionID>SO1215</MaterialDefinitionID>"
        b"<MaterialLotID>SO1215-L7</MaterialLotID><MaterialUse>Produced</MaterialUse>"
        b"<Quantity><QuantityString>1.000</QuantityString><UnitOfMeasure>KG</UnitOfMeasure></Quantity>"
        b"</MaterialActual><ActualEndTime>2012-11-29T12:10:00+01:00</ActualEndTime></SegmentResponse>"
    )
    payload = example.read_bytes().replace(b"</SegmentResponse>", produced, 1)
    mapper = load_mapping("template:b2mml-production-performance")
    [event] = mapper(message(payload, **{"b2mml-type": "ProductionPerformance"}))
    assert event["inputQuantityList"] == [
        {"epcClass": "urn:lotline:lot:CRBN0001:CRBN0001_LOT01", "quantity": 0.41, "uom": "KGM"}
    ]
    assert event["outputQuantityList"] == [
        {"epcClass": "urn:lotline:lot:SO1215:SO1215-L7", "quantity": 1, "uom": "KGM"}
    ]
    assert (event["eventTime"], event["eventTimeZoneOffset"]) == ("2012-11-29T12:10:00+01:00", "+01:00")
    assert validate_event(event) == []
