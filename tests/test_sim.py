"""The plant-history generator: deterministic, exact in size, schema-valid, and telling the whole story."""

from __future__ import annotations

import itertools
import json
import re
from collections import Counter, defaultdict
from dataclasses import FrozenInstanceError
from datetime import date, datetime
from pathlib import Path
from typing import Any

import jsonschema_rs
import orjson
import pytest

from lotline.epcis.validation import validate_event
from lotline.sim import PlantConfig, generate_document, generate_events, write_documents
from lotline.sim._ids import check_digit

SCHEMA = (
    Path(__file__).resolve().parents[1] / "src" / "lotline" / "epcis" / "schema" / "EPCIS-JSON-Schema.json"
)
OWN = "urn:epc:id:pgln:4012345.00000"
PLANT_A = "urn:epc:id:sgln:4012345.00001.0"
PLANT_B = "urn:epc:id:sgln:4012345.00002.0"
EPC_LISTS = ("epcList", "childEPCs", "inputEPCList", "outputEPCList")
QTY_LISTS = ("quantityList", "childQuantityList", "inputQuantityList", "outputQuantityList")
N = 6000

Event = dict[str, Any]


@pytest.fixture(scope="module")
def history() -> list[Event]:
    return list(generate_events(N, seed=1))


def _identifiers(event: Event) -> list[str]:
    found = [epc for name in EPC_LISTS for epc in event.get(name, ())]
    found += [q["epcClass"] for name in QTY_LISTS for q in event.get(name, ())]
    return found + ([event["parentID"]] if "parentID" in event else [])


_URN = re.compile(r"urn:epc:(?:id:(sgtin|sscc)|class:(lgtin)):(\d+)\.(\d+)(?:\.(.+))?\Z")
_DL = re.compile(r"https://id\.gs1\.org/(?:01/(\d{14})/(10|21)/(.+)|00/(\d{18}))\Z")


def key(uri: str) -> str:
    """One key per object or lot whichever form it is written in: GTIN-14 + lot/serial, or the SSCC-18."""
    if m := _DL.match(uri):
        return f"sscc {m[4]}" if m[4] else f"{'lot' if m[2] == '10' else 'serial'} {m[1]} {m[3]}"
    m = _URN.match(uri)
    if m is None:
        return uri
    scheme, gcp, ref, rest = m[1] or m[2], m[3], m[4], m[5]
    if scheme == "sscc":
        body = ref[0] + gcp + ref[1:]
        return f"sscc {body}{check_digit(body)}"
    body = ref[0] + gcp + ref[1:]
    return f"{'lot' if scheme == 'lgtin' else 'serial'} {body}{check_digit(body)} {rest}"


def _keys(items: list[Any], field: str | None = None) -> set[str]:
    return {key(item[field] if field else item) for item in items}


def test_same_seed_same_events_and_other_seed_other_events() -> None:
    first = list(generate_events(3000, seed=7))
    assert first == list(generate_events(3000, seed=7))
    assert first != list(generate_events(3000, seed=8))


@pytest.mark.parametrize("n", [0, 1, 17, 2500])
def test_exactly_the_requested_number_of_events(n: int) -> None:
    assert sum(1 for _ in generate_events(n)) == n
    assert len(generate_document(n)["epcisBody"]["eventList"]) == n


def test_every_event_type_and_no_hub_fields(history: list[Event]) -> None:
    types = Counter(e["type"] for e in history)
    assert set(types) == {
        "ObjectEvent",
        "AggregationEvent",
        "TransformationEvent",
        "TransactionEvent",
        "AssociationEvent",
    }
    assert not any("eventID" in e or "recordTime" in e for e in history)


def test_events_are_schema_valid(history: list[Event]) -> None:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    validator = jsonschema_rs.validator_for(schema, validate_formats=True)
    sample = history[:2000] + history[-1000:] + history[2000:-1000:7]
    document = generate_document(0)
    document["epcisBody"]["eventList"] = sample
    errors = [str(e) for e in validator.iter_errors(orjson.loads(orjson.dumps(document)))]
    assert errors == []
    assert [(i, validate_event(e)) for i, e in enumerate(sample) if validate_event(e)] == []


def test_times_strictly_increase_with_milliseconds_and_offsets(history: list[Event]) -> None:
    stamp = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d\Z")
    times = []
    for event in history:
        assert stamp.match(event["eventTime"]), event["eventTime"]
        assert event["eventTime"].endswith(event["eventTimeZoneOffset"])
        times.append(datetime.fromisoformat(event["eventTime"]))
    assert all(a < b for a, b in itertools.pairwise(times))
    assert (times[-1] - times[0]).days >= 28


def test_busy_plants_stay_valid_and_in_order() -> None:
    """Hundreds of batches a day (how big histories are sized): many tasks interleave, order still holds."""
    events = list(generate_events(20_000, config=PlantConfig(batches_per_day=300)))
    times = [datetime.fromisoformat(e["eventTime"]) for e in events]
    assert all(a < b for a, b in itertools.pairwise(times))
    assert [e for e in events[::50] if validate_event(e)] == []


def test_public_api() -> None:
    import lotline.sim

    assert lotline.sim.__all__ == ["PlantConfig", "generate_document", "generate_events", "write_documents"]


def test_summer_time_changes_the_offsets() -> None:
    events = list(generate_events(3000, config=PlantConfig(start=date(2026, 3, 23))))
    offsets = {
        (e["readPoint"]["id"].split(".")[1], e["eventTimeZoneOffset"]) for e in events if "readPoint" in e
    }
    assert {("00001", "+01:00"), ("00001", "+02:00"), ("00002", "+00:00"), ("00002", "+01:00")} <= offsets


def test_supplier_receipts(history: list[Event]) -> None:
    receipts = [e for e in history if e["bizStep"] == "receiving" and "quantityList" in e]
    assert len(receipts) > 50
    for event in receipts:
        assert event["type"] == "ObjectEvent" and event["action"] == "OBSERVE"
        assert event["disposition"] == "in_progress"
        assert {t["type"] for t in event["bizTransactionList"]} == {"po", "desadv"}
        assert event["readPoint"]["id"].startswith(
            ("urn:epc:id:sgln:4012345.00001.", "urn:epc:id:sgln:4012345.00002.")
        )
        sources = {s["type"]: s["source"] for s in event["sourceList"]}
        assert sources["owning_party"] == sources["possessing_party"] != OWN
        destinations = {d["type"]: d["destination"] for d in event["destinationList"]}
        assert destinations["owning_party"] == OWN and destinations["location"] in (PLANT_A, PLANT_B)
        for q in event["quantityList"]:
            assert key(q["epcClass"]).startswith("lot ") and q["uom"] in ("KGM", "LTR") and q["quantity"] > 0
    assert len({e["sourceList"][0]["source"] for e in receipts}) >= 5  # a handful of suppliers


def test_mixing_fans_in_and_bulk_lots_fan_out(history: list[Event]) -> None:
    received = {
        key(q["epcClass"]) for e in history if e["bizStep"] == "receiving" for q in e.get("quantityList", ())
    }
    mixes = [
        e for e in history if e["type"] == "TransformationEvent" and e["readPoint"]["id"].endswith(".301")
    ]
    uses: defaultdict[str, set[str]] = defaultdict(set)  # raw lot -> production orders that consumed it
    for mix in mixes:
        inputs = _keys(mix["inputQuantityList"], "epcClass")
        assert inputs <= received  # nothing is consumed before it was received
        assert all(q["uom"] in ("KGM", "LTR") for q in mix["inputQuantityList"])
        for lot in inputs:
            uses[lot].add(mix["bizTransactionList"][0]["bizTransaction"])
    whole = [m for m in mixes if "outputQuantityList" in m and "transformationID" not in m]
    assert min(len(m["inputQuantityList"]) for m in whole) >= 5  # fan-in: every batch takes several lots
    # a lot changeover inside one batch: two lots of the same raw material
    assert any(
        len({k.split()[1] for k in _keys(m["inputQuantityList"], "epcClass")}) < len(m["inputQuantityList"])
        for m in mixes
    )
    assert max(len(orders) for orders in uses.values()) >= 20  # a silo lot feeds many batches
    shared = Counter(m["transformationID"] for m in mixes if "transformationID" in m)
    assert shared and set(shared.values()) == {2}
    assert any("outputQuantityList" not in m for m in mixes)  # the top-up event has inputs only


def test_filling_commissioning_and_lot_master_data(history: list[Event]) -> None:
    fills = [
        e for e in history if e["type"] == "TransformationEvent" and e["readPoint"]["id"].endswith(".401")
    ]
    batches = Counter(key(f["inputQuantityList"][0]["epcClass"]) for f in fills)
    assert 2 in batches.values()  # a batch filled into two finished lots
    serialised = [f for f in fills if "outputEPCList" in f]
    assert serialised and len(serialised) < len(fills)  # serialised products and lot-only products
    commissioned = [e for e in history if e["type"] == "ObjectEvent" and e.get("action") == "ADD"]
    assert commissioned and all(e["bizStep"] == "commissioning" and "ilmd" in e for e in commissioned)
    by_serial = {key(epc): e["ilmd"] for e in commissioned for epc in e["epcList"]}
    for fill in serialised:
        assert all(key(epc).startswith("serial ") for epc in fill["outputEPCList"])
        ilmd = fill["ilmd"]
        assert ilmd["cbvmda:bestBeforeDate"] < ilmd["cbvmda:itemExpirationDate"]
        assert {
            by_serial[key(epc)]["cbvmda:lotNumber"] for epc in fill["outputEPCList"] if key(epc) in by_serial
        } <= {ilmd["cbvmda:lotNumber"]}
    assert all("ilmd" not in e for e in history if e.get("action") in ("OBSERVE", "DELETE"))


def test_packing_unpacking_and_shipping_to_customers(history: list[Event]) -> None:
    aggregations = [e for e in history if e["type"] == "AggregationEvent"]
    adds = [e for e in aggregations if e["action"] == "ADD"]
    deletes = [e for e in aggregations if e["action"] == "DELETE"]
    assert any("childEPCs" in e for e in adds) and any("childQuantityList" in e for e in adds)
    assert all(key(e["parentID"]).startswith("sscc ") for e in aggregations)
    assert any("childEPCs" in e for e in deletes) and any("childQuantityList" in e for e in deletes)
    assert any("childEPCs" not in e and "childQuantityList" not in e for e in deletes)  # "all children"
    packed = {key(e["parentID"]) for e in adds}
    assert {key(e["parentID"]) for e in deletes} <= packed
    shipments = [e for e in history if e.get("bizStep") == "shipping"]
    to_customers = [s for s in shipments if s["destinationList"][0]["destination"] != OWN]
    assert len(to_customers) > 50
    for shipment in shipments:
        assert shipment["type"] == "ObjectEvent" and shipment["disposition"] == "in_transit"
        assert {"desadv", "bol"} <= {t["type"] for t in shipment["bizTransactionList"]}
        assert _keys(shipment["epcList"]) <= packed  # only packed pallets leave
        assert shipment["sourceList"][0] == {"type": "owning_party", "source": OWN}
    assert len({s["destinationList"][0]["destination"] for s in to_customers}) >= 8
    picked = [e for e in history if e["type"] == "TransactionEvent"]
    assert picked and all(e["bizTransactionList"][0]["type"] == "po" for e in picked)


def test_transfer_from_plant_a_to_plant_b(history: list[Event]) -> None:
    transfers = [
        e
        for e in history
        if e.get("bizStep") == "shipping" and e["destinationList"][1]["destination"] == PLANT_B
    ]
    receipts = {
        key(epc): e
        for e in history
        if e.get("bizStep") == "receiving" and "epcList" in e
        for epc in e["epcList"]
    }
    assert len(transfers) > 10
    arrived = 0
    for transfer in transfers:
        assert transfer["readPoint"]["id"].startswith("urn:epc:id:sgln:4012345.00001.")
        assert transfer["destinationList"][0]["destination"] == OWN
        for pallet in _keys(transfer["epcList"]):
            if pallet in receipts:
                arrived += 1
                receipt = receipts[pallet]
                assert receipt["readPoint"]["id"].startswith("urn:epc:id:sgln:4012345.00002.")
                assert receipt["bizTransactionList"] == transfer["bizTransactionList"]
    assert arrived > 10
    # plant B ships plant A's pallets on to customers
    b_shipped = {
        k
        for e in history
        if e.get("bizStep") == "shipping" and e["sourceList"][1]["source"] == PLANT_B
        for k in _keys(e["epcList"])
    }
    assert b_shipped & set(receipts)
    loggers = [e for e in history if e["type"] == "AssociationEvent"]
    assert {e["action"] for e in loggers} == {"ADD", "DELETE"}


def test_some_identifiers_are_digital_links_with_valid_check_digits(history: list[Event]) -> None:
    identifiers = [i for e in history for i in _identifiers(e)]
    links = [i for i in identifiers if i.startswith("https://")]
    assert 0.02 < len(links) / len(identifiers) < 0.1
    kinds = set()
    for link in links:
        m = _DL.match(link)
        assert m, link
        digits = m[1] or m[4]
        assert digits[-1] == check_digit(digits[:-1]), link
        kinds.add("sscc" if m[4] else m[2])
    assert kinds == {"sscc", "10", "21"}
    # the same object shows up in both forms
    by_form: defaultdict[str, set[bool]] = defaultdict(set)
    for i in identifiers:
        by_form[key(i)].add(i.startswith("https://"))
    assert any(forms == {True, False} for forms in by_form.values())


def test_check_digits() -> None:
    assert check_digit("0401234511111") == "8"  # GTIN 04012345111118
    assert check_digit("7061414112345") == "1"  # GTIN 70614141123451 (GS1 examples)
    assert check_digit("10614141234567890") == "8"  # SSCC 106141412345678908 (GS1 examples)


def test_write_documents(tmp_path: Path) -> None:
    paths = write_documents(tmp_path / "out", 2500, events_per_file=1000, seed=3)
    assert [p.name for p in paths] == [f"plant-history-0000{i}.jsonld" for i in (1, 2, 3)]
    docs = [orjson.loads(p.read_bytes()) for p in paths]
    assert [len(d["epcisBody"]["eventList"]) for d in docs] == [1000, 1000, 500]
    assert docs[0]["@context"] == ["https://ref.gs1.org/standards/epcis/epcis-context.jsonld"]
    assert {(d["type"], d["schemaVersion"]) for d in docs} == {("EPCISDocument", "2.0")}
    assert [e for d in docs for e in d["epcisBody"]["eventList"]] == orjson.loads(
        orjson.dumps(list(generate_events(2500, seed=3)))
    )
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    assert jsonschema_rs.validator_for(schema, validate_formats=True).is_valid(docs[2])


def test_config_is_frozen_and_sized_for_the_request() -> None:
    config = PlantConfig()
    with pytest.raises(FrozenInstanceError):
        config.batches_per_day = 3  # type: ignore[misc]
    with pytest.raises(ValueError):
        PlantConfig(batches_per_day=0)
    assert PlantConfig.sized_for(5000) == config
    big = PlantConfig.sized_for(10_000_000)
    assert big.batches_per_day > 500 and big.customers > config.customers and big.suppliers > config.suppliers


def test_sized_for_hits_the_target() -> None:
    """EVENTS_PER_BATCH (which sizes the company) matches what the simulation really produces."""
    from lotline.sim._config import EVENTS_PER_BATCH

    events = list(generate_events(40_000, seed=5))
    orders = {
        e["bizTransactionList"][0]["bizTransaction"] for e in events if e["type"] == "TransformationEvent"
    }
    assert EVENTS_PER_BATCH * 0.9 < len(events) / len(orders) < EVENTS_PER_BATCH * 1.1
