"""GET /epcis/events with EPCIS 2.0 SimpleEventQuery parameters: exactly which events each one selects.

One hand-built history (12 events, all five types, URN and GS1 Digital Link forms of the same objects) is
captured once per database in two captures (so recordTime has two values); every case names the events it
expects by their `ex:tag` extension field.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlencode

import orjson
import pytest

from lotline.store.engine import open_engine
from tests.api.conftest import Api, make_api
from tests.conftest import _postgres_schema_url

CONTEXT = ["https://ref.gs1.org/standards/epcis/epcis-context.jsonld", {"ex": "https://example.com/lotline/"}]
GTIN_A, GTIN_B = "04012345111118", "04012345222227"  # 4012345.011111 and 4012345.022222
SGTIN_A1, SGTIN_A1_DL = "urn:epc:id:sgtin:4012345.011111.1001", f"https://id.gs1.org/01/{GTIN_A}/21/1001"
SGTIN_A2, SGTIN_A2_DL = "urn:epc:id:sgtin:4012345.011111.1002", f"https://id.gs1.org/01/{GTIN_A}/21/1002"
SGTIN_B1, SGTIN_B1_DL = "urn:epc:id:sgtin:4012345.022222.2001", f"https://id.gs1.org/01/{GTIN_B}/21/2001"
SGTIN_B2, SGTIN_B2_DL = "urn:epc:id:sgtin:4012345.022222.2002", f"https://id.gs1.org/01/{GTIN_B}/21/2002"
SSCC_1, SSCC_1_DL = "urn:epc:id:sscc:4012345.1234567890", "https://id.gs1.org/00/140123452345678902"
SSCC_2, SSCC_2_DL = "urn:epc:id:sscc:4012345.0234567890", "https://id.gs1.org/00/040123452345678905"
LOT1, LOT1_DL = "urn:epc:class:lgtin:4012345.011111.LOT1", f"https://id.gs1.org/01/{GTIN_A}/10/LOT1"
LOT2, LOT2_DL = "urn:epc:class:lgtin:4012345.011111.LOT2", f"https://id.gs1.org/01/{GTIN_A}/10/LOT2"
LOT9, LOT9_DL = "urn:epc:class:lgtin:4012345.022222.LOT9", f"https://id.gs1.org/01/{GTIN_B}/10/LOT9"
GRAI = "urn:epc:id:grai:4012345.55555.7"
PLANT, DOCK, SITE = (f"urn:epc:id:sgln:4012345.0000{n}.0" for n in (1, 2, 3))
US, CUSTOMER = "urn:epc:id:pgln:4012345.00000", "urn:epc:id:pgln:4012345.99999"
PO_100, PO_101 = "urn:epcglobal:cbv:bt:4012345000009:PO-100", "urn:epcglobal:cbv:bt:4012345000009:PO-101"
ASN_200, ASN_201 = "urn:epcglobal:cbv:bt:4012345000009:ASN-200", "urn:epcglobal:cbv:bt:4012345000009:ASN-201"
BOL_300 = "http://transport.example.com/bol/300"  # a private URL, not a GS1 identifier
TRANSFORMATION = "urn:uuid:6c1f3a9e-4b1d-4f7a-9a55-2f0d3c6e7b01"
ERROR_EVENT_ID = "urn:uuid:0b7e5c2a-8d4f-4e21-b3a9-7f1c2d3e4f50"


def event(tag: str, kind: str, when: str, **fields: Any) -> dict[str, Any]:
    offset = "+00:00" if when.endswith("Z") else when[-6:]
    return {"type": kind, "eventTime": when, "eventTimeZoneOffset": offset, **fields, "ex:tag": tag}


def qty(epc_class: str, quantity: float) -> dict[str, Any]:
    return {"epcClass": epc_class, "quantity": quantity, "uom": "KGM"}


def bt(kind: str, value: str) -> dict[str, str]:
    return {"type": kind, "bizTransaction": value}


def src(kind: str, value: str) -> dict[str, str]:
    return {"type": kind, "source": value}


def dst(kind: str, value: str) -> dict[str, str]:
    return {"type": kind, "destination": value}


FIRST_CAPTURE = [
    event("commission", "ObjectEvent", "2024-03-01T08:00:00.000Z", action="ADD", bizStep="commissioning",
          disposition="active", epcList=[SGTIN_A1, SGTIN_A2], readPoint={"id": PLANT}, bizLocation={"id": PLANT}),
    event("inspect", "ObjectEvent", "2024-03-01T10:30:00.000+02:00", action="OBSERVE", bizStep="inspecting",
          disposition="conformant", epcList=[SGTIN_A1_DL], readPoint={"id": PLANT}),
    event("pack", "AggregationEvent", "2024-03-01T04:00:00.000-05:00", action="ADD", bizStep="packing",
          disposition="in_progress", parentID=SSCC_1, childEPCs=[SGTIN_A1, SGTIN_A2_DL],
          childQuantityList=[qty(LOT1, 5)], readPoint={"id": PLANT}, bizLocation={"id": PLANT}),
    event("ship", "ObjectEvent", "2024-03-01T10:00:00.000Z", action="OBSERVE", bizStep="shipping",
          disposition="in_transit", epcList=[SSCC_1], readPoint={"id": DOCK},
          bizTransactionList=[bt("po", PO_100), bt("desadv", ASN_200)],
          sourceList=[src("owning_party", US), src("possessing_party", US), src("location", DOCK)],
          destinationList=[dst("owning_party", CUSTOMER), dst("location", SITE)]),
    event("receive", "ObjectEvent", "2024-03-02T09:00:00.000+09:00", action="OBSERVE", bizStep="receiving",
          disposition="in_progress", epcList=[SSCC_1_DL], readPoint={"id": SITE}, bizLocation={"id": SITE},
          bizTransactionList=[bt("po", PO_100), bt("bol", BOL_300)], sourceList=[src("possessing_party", US)],
          destinationList=[dst("owning_party", CUSTOMER), dst("possessing_party", CUSTOMER)]),
    event("unpack", "AggregationEvent", "2024-03-02T01:00:00.000Z", action="DELETE", bizStep="unpacking",
          parentID=SSCC_1_DL, childEPCs=[SGTIN_A2], readPoint={"id": SITE}),
    event("stock", "ObjectEvent", "2024-03-02T02:00:00.000+01:00", action="OBSERVE", bizStep="storing",
          disposition="sellable_not_accessible", quantityList=[qty(LOT1, 100)], bizLocation={"id": SITE}),
    event("mix-1", "TransformationEvent", "2024-03-03T08:00:00.000Z", transformationID=TRANSFORMATION,
          bizStep="creating_class_instance", inputEPCList=[SGTIN_A1], inputQuantityList=[qty(LOT1, 20)],
          outputEPCList=[SGTIN_B1_DL], outputQuantityList=[qty(LOT9_DL, 10)], readPoint={"id": PLANT}),
]  # fmt: skip
SECOND_CAPTURE = [
    event("mix-2", "TransformationEvent", "2024-03-03T09:00:00.000Z", transformationID=TRANSFORMATION,
          bizStep="creating_class_instance", inputQuantityList=[qty(LOT2_DL, 5)], outputEPCList=[SGTIN_B2]),
    event("sell", "TransactionEvent", "2024-03-03T12:00:00.000-03:00", action="ADD", bizStep="shipping",
          disposition="in_transit", parentID=SSCC_2, epcList=[SGTIN_B1],
          bizTransactionList=[bt("po", PO_101), bt("desadv", ASN_201)]),
    event("assoc", "AssociationEvent", "2024-03-04T00:00:00.000Z", action="ADD", bizStep="assembling",
          parentID=GRAI, childEPCs=[SGTIN_B2], readPoint={"id": DOCK}),
    event("error", "ObjectEvent", "2024-03-04T06:00:00.000+06:00", eventID=ERROR_EVENT_ID, action="OBSERVE",
          bizStep="receiving", epcList=[SGTIN_A1],
          errorDeclaration={"declarationTime": "2024-03-05T00:00:00.000Z", "reason": "incorrect_data"}),
]  # fmt: skip
FIRST = {e["ex:tag"] for e in FIRST_CAPTURE}
SECOND = {e["ex:tag"] for e in SECOND_CAPTURE}
ALL = FIRST | SECOND
# Ascending eventTime; events in one group share the same instant (written with different offsets).
EVENT_TIME_ORDER = [{"commission"}, {"inspect"}, {"pack"}, {"ship"}, {"receive"}, {"unpack", "stock"},
                    {"mix-1"}, {"mix-2"}, {"sell"}, {"assoc", "error"}]  # fmt: skip


def document(event_list: list[dict[str, Any]]) -> bytes:
    body = {"@context": CONTEXT, "type": "EPCISDocument", "schemaVersion": "2.0",
            "creationDate": "2024-03-05T00:00:00.000Z", "epcisBody": {"eventList": event_list}}  # fmt: skip
    return orjson.dumps(body)


@contextmanager
def _database(kind: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if kind == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'lotline.db'}"
    else:
        yield from _postgres_schema_url()


@contextmanager
def shared_api(kind: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    """An `Api` over a fresh database that lives as long as the `with` block (for read-only tests)."""
    with _database(kind, tmp_path_factory) as url:
        engine = open_engine(url)
        apis = make_api(engine)
        try:
            yield next(apis)
        finally:
            apis.close()
            engine.dispose()


def load(api: Api) -> dict[str, dict[str, Any]]:
    """Capture the fixture history (two captures, so two recordTimes); the served events by tag."""
    for batch in (FIRST_CAPTURE, SECOND_CAPTURE):
        response = api.capture(document(batch))
        assert response.status_code == 202, response.text
        time.sleep(0.02)
    served = {e["ex:tag"]: e for e in api.all_events()}
    assert set(served) == ALL
    return served


DATABASES = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@dataclass
class Loaded:
    api: Api
    served: dict[str, dict[str, Any]]

    def tags(self, params: dict[str, str] | list[tuple[str, str]]) -> list[str]:
        return [e["ex:tag"] for e in self.api.all_events(urlencode(params))]

    def get(self, params: dict[str, str]) -> Any:
        return self.api.get("/epcis/events?" + urlencode(params))


@pytest.fixture(scope="module", params=DATABASES)
def loaded(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Loaded]:
    with shared_api(request.param, tmp_path_factory) as api:
        yield Loaded(api, load(api))


SELECTIONS = [
    ({}, ALL),
    ({"eventType": "ObjectEvent"}, {"commission", "inspect", "ship", "receive", "stock", "error"}),
    ({"eventType": "AggregationEvent"}, {"pack", "unpack"}),
    ({"eventType": "TransformationEvent"}, {"mix-1", "mix-2"}),
    ({"eventType": "TransactionEvent"}, {"sell"}),
    ({"eventType": "AssociationEvent"}, {"assoc"}),
    ({"eventType": "AggregationEvent|TransactionEvent"}, {"pack", "unpack", "sell"}),
    ([("eventType", "AggregationEvent"), ("eventType", "AssociationEvent")], {"pack", "unpack", "assoc"}),
    ({"GE_eventTime": "2024-03-02T02:00:00.000+01:00"}, {"unpack", "stock", "mix-1", "mix-2", "sell", "assoc", "error"}),
    ({"GE_eventTime": "2024-03-02T01:00:00Z"}, {"unpack", "stock", "mix-1", "mix-2", "sell", "assoc", "error"}),
    ({"GE_eventTime": "2024-03-01T08:00:00.001Z"}, ALL - {"commission"}),
    ({"GE_eventTime": "2024-03-04T05:00:00+05:00"}, {"assoc", "error"}),
    ({"LT_eventTime": "2024-03-02T02:00:00.000+01:00"}, {"commission", "inspect", "pack", "ship", "receive"}),
    ({"LT_eventTime": "2024-03-01T19:00:00.000-05:00"}, {"commission", "inspect", "pack", "ship"}),
    ({"GE_eventTime": "2024-03-01T10:00:00+01:00", "LT_eventTime": "2024-03-02T09:00:00+09:00"}, {"pack", "ship"}),
    ({"EQ_action": "ADD"}, {"commission", "pack", "sell", "assoc"}),
    ({"EQ_action": "OBSERVE"}, {"inspect", "ship", "receive", "stock", "error"}),
    ({"EQ_action": "DELETE"}, {"unpack"}),
    ({"EQ_action": "ADD|DELETE"}, {"commission", "pack", "sell", "assoc", "unpack"}),
    ({"EQ_bizStep": "shipping"}, {"ship", "sell"}),
    ({"EQ_bizStep": "urn:epcglobal:cbv:bizstep:shipping"}, {"ship", "sell"}),
    ({"EQ_bizStep": "https://ref.gs1.org/cbv/BizStep-shipping"}, {"ship", "sell"}),
    ({"EQ_bizStep": "receiving|packing"}, {"receive", "error", "pack"}),
    ({"EQ_bizStep": "urn:epcglobal:cbv:bizstep:receiving|https://ref.gs1.org/cbv/BizStep-packing"}, {"receive", "error", "pack"}),
    ({"EQ_disposition": "in_transit"}, {"ship", "sell"}),
    ({"EQ_disposition": "urn:epcglobal:cbv:disp:in_transit"}, {"ship", "sell"}),
    ({"EQ_disposition": "https://ref.gs1.org/cbv/Disp-in_transit"}, {"ship", "sell"}),
    ({"EQ_disposition": "in_progress|conformant"}, {"pack", "receive", "inspect"}),
    ({"EQ_readPoint": PLANT}, {"commission", "inspect", "pack", "mix-1"}),
    ({"EQ_readPoint": "https://id.gs1.org/414/4012345000016"}, {"commission", "inspect", "pack", "mix-1"}),
    ({"EQ_readPoint": f"{DOCK}|{SITE}"}, {"ship", "assoc", "receive", "unpack"}),
    ({"EQ_readPoint": "urn:epc:id:sgln:4012345.00009.0"}, set()),
    ({"WD_readPoint": PLANT}, {"commission", "inspect", "pack", "mix-1"}),
    ({"WD_readPoint": DOCK}, {"ship", "assoc"}),
    ({"EQ_bizLocation": PLANT}, {"commission", "pack"}),
    ({"EQ_bizLocation": f"{SITE}|{DOCK}"}, {"receive", "stock"}),
    ({"WD_bizLocation": SITE}, {"receive", "stock"}),
    ({"EQ_transformationID": TRANSFORMATION}, {"mix-1", "mix-2"}),
    ({"EQ_transformationID": "urn:uuid:00000000-0000-4000-8000-000000000000"}, set()),
    ({"MATCH_epc": SGTIN_A1}, {"commission", "inspect", "pack", "error"}),
    ({"MATCH_epc": SGTIN_A1_DL}, {"commission", "inspect", "pack", "error"}),
    ({"MATCH_epc": SGTIN_A2_DL}, {"commission", "pack", "unpack"}),
    ({"MATCH_epc": SSCC_1}, {"ship", "receive"}),
    ({"MATCH_epc": f"{SGTIN_A1}|{SSCC_1_DL}"}, {"commission", "inspect", "pack", "error", "ship", "receive"}),
    ({"MATCH_epc": "urn:epc:idpat:sgtin:4012345.011111.*"}, {"commission", "inspect", "pack", "unpack", "error"}),
    ({"MATCH_parentID": SSCC_1}, {"pack", "unpack"}),
    ({"MATCH_parentID": SSCC_1_DL}, {"pack", "unpack"}),
    ({"MATCH_parentID": f"{GRAI}|{SSCC_2_DL}"}, {"assoc", "sell"}),
    ({"MATCH_parentID": "urn:epc:idpat:sscc:4012345.*"}, {"pack", "unpack", "sell"}),
    ({"MATCH_inputEPC": SGTIN_A1}, {"mix-1"}),
    ({"MATCH_inputEPC": SGTIN_A1_DL}, {"mix-1"}),
    ({"MATCH_inputEPC": SGTIN_A2}, set()),
    ({"MATCH_inputEPC": "urn:epc:idpat:sgtin:4012345.011111.*"}, {"mix-1"}),
    ({"MATCH_outputEPC": SGTIN_B1}, {"mix-1"}),
    ({"MATCH_outputEPC": SGTIN_B2_DL}, {"mix-2"}),
    ({"MATCH_outputEPC": "urn:epc:idpat:sgtin:4012345.022222.*"}, {"mix-1", "mix-2"}),
    ({"MATCH_anyEPC": SGTIN_A1}, {"commission", "inspect", "pack", "mix-1", "error"}),
    ({"MATCH_anyEPC": SSCC_1_DL}, {"pack", "ship", "receive", "unpack"}),
    ({"MATCH_anyEPC": SGTIN_B1_DL}, {"mix-1", "sell"}),
    ({"MATCH_anyEPC": GRAI}, {"assoc"}),
    ({"MATCH_anyEPC": "urn:epc:idpat:sgtin:4012345.022222.*"}, {"mix-1", "mix-2", "sell", "assoc"}),
    ({"MATCH_anyEPC": "urn:epc:idpat:sscc:4012345.*"}, {"pack", "ship", "receive", "unpack", "sell"}),
    ({"MATCH_epcClass": LOT1}, {"pack", "stock"}),
    ({"MATCH_epcClass": LOT1_DL}, {"pack", "stock"}),
    ({"MATCH_epcClass": LOT2}, set()),
    ({"MATCH_epcClass": "urn:epc:idpat:sgtin:4012345.011111.*"}, {"pack", "stock"}),
    ({"MATCH_inputEPCClass": LOT1}, {"mix-1"}),
    ({"MATCH_inputEPCClass": LOT2}, {"mix-2"}),
    ({"MATCH_inputEPCClass": LOT2_DL}, {"mix-2"}),
    ({"MATCH_inputEPCClass": "urn:epc:idpat:sgtin:4012345.011111.*"}, {"mix-1", "mix-2"}),
    ({"MATCH_outputEPCClass": LOT9}, {"mix-1"}),
    ({"MATCH_outputEPCClass": LOT1}, set()),
    ({"MATCH_outputEPCClass": "urn:epc:idpat:sgtin:4012345.022222.*"}, {"mix-1"}),
    ({"MATCH_anyEPCClass": LOT1}, {"pack", "stock", "mix-1"}),
    ({"MATCH_anyEPCClass": f"{LOT2}|{LOT9_DL}"}, {"mix-1", "mix-2"}),
    ({"MATCH_anyEPCClass": "urn:epc:idpat:sgtin:4012345.022222.*"}, {"mix-1"}),
    ({"EQ_bizTransaction_po": PO_100}, {"ship", "receive"}),
    ({"EQ_bizTransaction_urn:epcglobal:cbv:btt:po": PO_100}, {"ship", "receive"}),
    ({"EQ_bizTransaction_https://ref.gs1.org/cbv/BTT-po": PO_101}, {"sell"}),
    ({"EQ_bizTransaction_po": f"{PO_100}|{PO_101}"}, {"ship", "receive", "sell"}),
    ({"EQ_bizTransaction_desadv": f"{ASN_200}|{ASN_201}"}, {"ship", "sell"}),
    ({"EQ_bizTransaction_bol": BOL_300}, {"receive"}),
    ({"EQ_bizTransaction_po": ASN_200}, set()),
    ({"EQ_source_owning_party": US}, {"ship"}),
    ({"EQ_source_owning_party": "https://id.gs1.org/417/4012345000009"}, {"ship"}),
    ({"EQ_source_urn:epcglobal:cbv:sdt:possessing_party": US}, {"ship", "receive"}),
    ({"EQ_source_possessing_party": US}, {"ship", "receive"}),
    ({"EQ_source_location": DOCK}, {"ship"}),
    ({"EQ_source_owning_party": CUSTOMER}, set()),
    ({"EQ_destination_owning_party": CUSTOMER}, {"ship", "receive"}),
    ({"EQ_destination_possessing_party": CUSTOMER}, {"receive"}),
    ({"EQ_destination_location": SITE}, {"ship"}),
    ({"EQ_destination_location": DOCK}, set()),
    ({"EQ_eventID": ERROR_EVENT_ID}, {"error"}),
    ({"EXISTS_errorDeclaration": "true"}, {"error"}),
    ({"EXISTS_errorDeclaration": "false"}, ALL),
    ({"eventType": "ObjectEvent", "EQ_bizStep": "shipping|receiving"}, {"ship", "receive", "error"}),
    ({"MATCH_anyEPC": SGTIN_A1, "GE_eventTime": "2024-03-01T09:00:00Z"}, {"pack", "mix-1", "error"}),
    ({"EQ_action": "OBSERVE", "EQ_readPoint": f"{DOCK}|{PLANT}"}, {"ship", "inspect"}),
    ({"EQ_bizTransaction_po": PO_100, "EQ_destination_possessing_party": CUSTOMER}, {"receive"}),
    ({"eventType": "AggregationEvent", "MATCH_epc": SGTIN_A1}, {"pack"}),
]  # fmt: skip


def _case_id(params: dict[str, str] | list[tuple[str, str]]) -> str:
    items = params.items() if isinstance(params, dict) else params
    return "&".join(f"{k}={v}" for k, v in items) or "(none)"


@pytest.mark.parametrize(("params", "expected"), SELECTIONS, ids=[_case_id(p) for p, _ in SELECTIONS])
def test_each_parameter_selects_exactly_the_matching_events(
    loaded: Loaded, params: dict[str, str], expected: set[str]
) -> None:
    assert sorted(loaded.tags(params)) == sorted(expected)


def test_eq_event_id_finds_events_by_their_cbv_hash_and_by_a_custom_id(loaded: Loaded) -> None:
    hashed = loaded.served["commission"]["eventID"]
    assert hashed.startswith("ni:///sha-256;") and hashed.endswith("?ver=CBV2.0")
    assert loaded.tags({"EQ_eventID": hashed}) == ["commission"]
    assert sorted(loaded.tags({"EQ_eventID": f"{hashed}|{ERROR_EVENT_ID}"})) == ["commission", "error"]


def _shift(stamp: str, offset_hours: int) -> str:
    """The same instant written in another UTC offset."""
    moment = datetime.fromisoformat(stamp).astimezone(timezone(timedelta(hours=offset_hours)))
    return moment.isoformat(timespec="microseconds")


def test_record_time_bounds_split_the_two_captures(loaded: Loaded) -> None:
    first = {loaded.served[t]["recordTime"] for t in FIRST}
    second = {loaded.served[t]["recordTime"] for t in SECOND}
    assert len(first) == 1 and len(second) == 1 and first != second
    boundary = second.pop()
    for written in (boundary, _shift(boundary, 5), _shift(boundary, -7)):
        assert sorted(loaded.tags({"GE_recordTime": written})) == sorted(SECOND), written
        assert sorted(loaded.tags({"LT_recordTime": written})) == sorted(FIRST), written


def _groups(tags: list[str], order: list[set[str]]) -> list[set[str]]:
    """The served tags cut into runs as long as the groups of `order` (so ties may come in any order)."""
    out, rest = [], list(tags)
    for group in order:
        out.append(set(rest[: len(group)]))
        rest = rest[len(group) :]
    assert not rest, f"more events than expected: {rest}"
    return out


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"orderBy": "eventTime", "orderDirection": "ASC"}, EVENT_TIME_ORDER),
        ({"orderBy": "eventTime", "orderDirection": "DESC"}, EVENT_TIME_ORDER[::-1]),
        ({"orderBy": "eventTime"}, EVENT_TIME_ORDER[::-1]),  # DESC is the default
    ],
    ids=["ASC", "DESC", "default-DESC"],
)
def test_order_by_event_time(loaded: Loaded, params: dict[str, str], expected: list[set[str]]) -> None:
    assert _groups(loaded.tags(params), expected) == expected


@pytest.mark.parametrize(("direction", "head", "tail"), [("ASC", FIRST, SECOND), ("DESC", SECOND, FIRST)])
def test_order_by_record_time(loaded: Loaded, direction: str, head: set[str], tail: set[str]) -> None:
    tags = loaded.tags({"orderBy": "recordTime", "orderDirection": direction})
    assert set(tags[: len(head)]) == head and set(tags[len(head) :]) == tail and len(tags) == len(ALL)


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"eventCountLimit": "3", "orderBy": "eventTime", "orderDirection": "ASC"}, ["commission", "inspect", "pack"]),
        ({"eventCountLimit": "1", "orderBy": "eventTime", "orderDirection": "ASC", "eventType": "AggregationEvent"}, ["pack"]),
        ({"eventCountLimit": "2", "orderBy": "eventTime", "eventType": "AggregationEvent|TransformationEvent"}, ["mix-2", "mix-1"]),
        ({"eventCountLimit": "50", "orderBy": "eventTime", "orderDirection": "ASC", "EQ_bizStep": "shipping"}, ["ship", "sell"]),
    ],
    ids=["first-3-ASC", "first-aggregation", "latest-2-DESC", "limit-above-count"],
)  # fmt: skip
def test_event_count_limit_keeps_the_first_n_in_order(
    loaded: Loaded, params: dict[str, str], expected: list[str]
) -> None:
    assert loaded.tags(params) == expected


def test_event_count_limit_by_record_time_keeps_the_latest_capture(loaded: Loaded) -> None:
    tags = loaded.tags({"eventCountLimit": "4", "orderBy": "recordTime", "orderDirection": "DESC"})
    assert sorted(tags) == sorted(SECOND)


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"maxEventCount": "12"}, ALL),
        ({"maxEventCount": "2", "eventType": "AggregationEvent"}, {"pack", "unpack"}),
    ],
    ids=["equal-to-count", "filtered"],
)
def test_max_event_count_not_exceeded_returns_every_event(
    loaded: Loaded, params: dict[str, str], expected: set[str]
) -> None:
    assert sorted(loaded.tags(params)) == sorted(expected)


@pytest.mark.parametrize(
    "params", [{"maxEventCount": "11"}, {"maxEventCount": "1", "eventType": "AggregationEvent"}], ids=str
)
def test_max_event_count_exceeded_is_413_query_too_large(loaded: Loaded, params: dict[str, str]) -> None:
    response = loaded.get(params)
    assert response.status_code == 413, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["type"] == "epcisException:QueryTooLargeException" and problem["status"] == 413


def bad(params: dict[str, str], named: str, bug: str | None = None) -> Any:
    marks = [pytest.mark.xfail(strict=True, reason=f"bug: {bug}")] if bug else []
    return pytest.param(params, named, id=_case_id(params), marks=marks)


BAD_QUERIES = [
    bad({"EQ_colour": "red"}, "EQ_colour"),
    bad({"eventtype": "ObjectEvent"}, "eventtype"),
    bad({"MATCH_epcs": SGTIN_A1}, "MATCH_epcs"),
    bad({"eventType": "ShippingEvent"}, "ShippingEvent"),
    bad({"GE_eventTime": "yesterday"}, "GE_eventTime"),
    bad({"LT_eventTime": "2024-03-01T08:00:00"}, "LT_eventTime"),  # no offset
    bad({"GE_recordTime": "2024-13-01T00:00:00Z"}, "GE_recordTime"),
    bad({"LT_recordTime": "2024-03-01"}, "LT_recordTime"),
    bad({"eventCountLimit": "2"}, "orderBy"),
    bad({"eventCountLimit": "2", "maxEventCount": "5", "orderBy": "eventTime"}, "maxEventCount"),
    bad({"eventCountLimit": "0", "orderBy": "eventTime"}, "eventCountLimit"),
    bad({"maxEventCount": "many"}, "maxEventCount"),
    bad({"orderBy": "bizStep"}, "orderBy"),
    bad({"orderBy": "eventTime", "orderDirection": "UP"}, "orderDirection"),
    bad({"EXISTS_errorDeclaration": "maybe"}, "EXISTS_errorDeclaration"),
    bad({"MATCH_epc": "urn:epc:id:sgtin:4012345.011111"}, "MATCH_epc"),  # no serial
    bad({"MATCH_anyEPC": f"https://id.gs1.org/01/{GTIN_A[:-1]}0/21/1001"}, "MATCH_anyEPC"),  # bad check digit
    bad({"MATCH_epc": "urn:epc:idpat:sgtin:4012345.*.1001"}, "MATCH_epc"),  # wildcard before a fixed part
    bad({"EQ_readPoint": "urn:epc:id:sgln:4012345.00001"}, "EQ_readPoint"),  # no extension
    bad({"EQ_action": "SHIP"}, "EQ_action"),
]


@pytest.mark.parametrize(("params", "named"), BAD_QUERIES)
def test_bad_query_is_400_naming_the_parameter(loaded: Loaded, params: dict[str, str], named: str) -> None:
    response = loaded.get(params)
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["type"] == "epcisException:QueryParameterException"
    assert named in problem["detail"], problem
