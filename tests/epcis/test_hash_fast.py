"""The fast pre-hash builder of common events (`_hash_fast`) against the general builder, which stays the
reference (`general_prehash`, checked against the reference implementation's vectors in test_hashing.py).

Wherever the fast path answers, its string must be the general builder's, byte for byte: on every event of the
hash vectors and of GS1's examples, on generated plant histories (where it must always answer), and on
generated events made of the standard fields, in their usual shapes and in odd ones. Its caches live across
events, so every check runs with whatever earlier events left in them, and the plant events run twice.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lotline.epcis._hash_fast import fast_prehash
from lotline.epcis.hashing import context_prefixes, general_prehash, ignored_fields, prehash
from lotline.epcis.vocab import BIZ_STEPS, BIZ_TRANSACTION_TYPES, DISPOSITIONS, SOURCE_DEST_TYPES
from lotline.epcis.xml import parse_xml_document
from lotline.sim import generate_events
from tests.conftest import GS1, HASH_VECTORS


def _check(event: Mapping[str, Any], context: Mapping[str, str] | None = None, ignore: Any = ()) -> bool:
    """Assert that the fast path, where it answers, and `prehash` give the general builder's string (or fail
    alike); whether the fast path answered (or failed too)."""
    try:
        general = general_prehash(event, context)
    except Exception as exc:  # e.g. a date-time that leaves the calendar in UTC: every path fails alike
        with pytest.raises(type(exc)):
            prehash(event, context)
        try:
            fast = fast_prehash(event, context)
        except type(exc):
            return True
        assert fast is None, "the fast path answers where the general builder fails"
        return False
    fast = fast_prehash(event, context)
    assert fast is None or fast == general
    assert prehash(event, context) == general
    if ignore:  # (the fast path is not used then)
        assert prehash(event, context, ignore_fields=ignore) == general_prehash(
            event, context, ignore_fields=ignore
        )
    return fast is not None


# --- the events of the hash vectors and of GS1's examples ------------------------------------------------


def _documents() -> list[Path]:
    found = [*(HASH_VECTORS / "examples").iterdir(), *(HASH_VECTORS / "expected_equal").iterdir()]
    for folder in ("JSON", "XML"):
        found += (GS1 / folder).rglob("*")
    return sorted(p for p in found if p.suffix in (".json", ".jsonld", ".xml") and p.is_file())


DOCUMENTS = _documents()


def _events(path: Path) -> Iterator[tuple[dict[str, Any], dict[str, str], frozenset[str]]]:
    data = path.read_bytes()
    try:
        document = parse_xml_document(data) if path.suffix == ".xml" else orjson.loads(data)
    except Exception:
        return  # not an EPCIS document lotline reads (schemas, contexts, bad examples)
    if not isinstance(document, dict) or not isinstance(document.get("epcisBody"), dict):
        return
    body = document["epcisBody"]
    results = body.get("queryResults")
    events = (
        results.get("resultsBody", {}).get("eventList", [])
        if isinstance(results, dict)
        else body.get("eventList", [body["event"]] if "event" in body else [])
    )
    context, ignore = context_prefixes(document.get("@context")), ignored_fields(document)
    for event in events:
        if isinstance(event, dict):
            yield event, context, ignore


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda p: p.name)
def test_vector_and_example_events(path: Path) -> None:
    for event, context, ignore in _events(path):
        for _ in range(2):  # cold, then with what the first pass left in the caches
            _check(event, context, ignore)


def test_the_fast_path_takes_most_vector_events() -> None:
    events = [(event, context) for path in DOCUMENTS for event, context, _ in _events(path)]
    fast = [event for event, context in events if fast_prehash(event, context) is not None]
    assert len(events) > 200
    assert len(fast) > len(events) / 2, "the fast path should answer for the common events of the examples"


# --- generated plant histories ---------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_generated_plant_events(seed: int) -> None:
    events = list(generate_events(6_000, seed=seed))
    general = [general_prehash(event) for event in events]
    for _ in range(2):  # cold, then with what the first pass left in the caches
        for event, expected in zip(events, general, strict=True):
            assert fast_prehash(event, None) == expected, event
            assert prehash(event) == expected


# --- generated events of the standard fields -------------------------------------------------------------

DIGITS = st.text("0123456789", min_size=0, max_size=13)
SERIAL = st.text("09AZaz'_;=-.:%!/ #٣", min_size=0, max_size=22) | st.sampled_from(["lot", "ser", "0", "1"])
URNS = st.builds(
    lambda scheme, prefix, ref, serial: f"{scheme}{prefix}.{ref}{serial}",
    st.sampled_from(
        [
            "urn:epc:id:sgtin:",
            "urn:epc:class:lgtin:",
            "urn:epc:id:sscc:",
            "urn:epc:id:sgln:",
            "urn:epc:id:giai:",
            "urn:epc:id:pgln:",
            "urn:epc:id:gdti:",
            "urn:epc:idpat:sgtin:",
            "urn:epc:id:gid:",
        ]
    ),
    st.sampled_from(["4012345", "0614141", "061414", "012345678912"]) | DIGITS,
    st.sampled_from(["110001", "00001", "0000000355", "*"]) | DIGITS,
    st.sampled_from(["", ".1", ".102485", ".0", ".L1"]) | SERIAL.map(lambda s: "." + s),
)
LINKS = st.builds(
    lambda ai, key, tail: f"https://id.gs1.org/{ai}/{key}{tail}",
    st.sampled_from(["01", "00", "414"]),
    st.sampled_from(["14012345100010", "14012345100011", "040123450000000054", "4012345000016"]) | DIGITS,
    st.sampled_from(["", "/21/1", "/10/L1", "/21/lot", "/254/1"]) | SERIAL.map(lambda s: "/21/" + s),
)
WORDS = st.sampled_from(sorted(BIZ_STEPS | DISPOSITIONS | BIZ_TRANSACTION_TYPES | SOURCE_DEST_TYPES))
VOCABULARY = WORDS | st.sampled_from(
    [
        "cbv:BizStep-shipping",
        "cbv:Disp-in_progress",
        "gs1:Temperature",
        "urn:epcglobal:cbv:bizstep:receiving",
        "urn:epcglobal:cbv:disp:active",
        "urn:epcglobal:cbv:btt:po",
        "https://ref.gs1.org/cbv/BizStep-packing",
        "https://ref.gs1.org/cbv/x/urn:epc:id:sgtin:4012345.110001.1",
        "https://example.com/steps/baking",
        "BizStep-shipping",
        "Disp-in_transit",
    ]
)
STRINGS = (
    URNS
    | LINKS
    | VOCABULARY
    | st.sampled_from(["urn:epcglobal:cbv:bt:4012345000009:PO-1", " urn:epc:id:sgtin:4012345.110001.7 ", ""])
    | st.sampled_from(["KGM", "80", "007", "1.50", "-0", "1e3", " ", "+01:00", "2027-01-05", "true"])
    | st.text(max_size=6)
)
NUMBERS = (
    st.integers()
    | st.integers(min_value=-(2**60), max_value=2**60)
    | st.floats()
    | st.sampled_from([80, 645.8, 200.0, -0.0, 2**53 + 1, 1e20, 1.5e-7])
)
TIMES = (
    st.builds(
        lambda moment, digits, offset: moment.isoformat(timespec=digits) + offset,
        st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)),
        st.sampled_from(["seconds", "milliseconds", "microseconds"]),
        st.sampled_from(["Z", "+00:00", "+01:00", "+02:00", "-05:00", "-05:30", "+14:00", "-23:00", ""]),
    )
    | st.sampled_from(
        [
            "2026-01-27T19:54:50.448+01:00",
            "2026-02-30T10:00:00.000+01:00",
            "2026-01-01T00:30:00.000+01:00",
            "2023-12-31T23:59:59.9996+00:00",
            "0001-01-01T00:30:00.000+01:00",
            "9999-12-31T23:00:00.000-01:00",
            "2026-01-27 19:54:50.448+01:00",
            "2026-01-27T24:00:00.000+01:00",
            "2026-01-27T19:54:60.448+01:00",
            "2026-01-27T19:54:50.448+24:00",
            "2026-01-2\u0667T19:54:50.448+01:00",  # (an Arabic-Indic digit)
            "2019-10-21T14:45:00.000Z",
        ]
    )
    | st.text(max_size=30)
)
KEYS = st.sampled_from(
    [
        "id",
        "type",
        "#text",
        "@id",
        "ex:a",
        "cbvmda:lotNumber",
        "epc",
        "quantity",
        "inputEPC",
        "comment",
        "xList",
    ]
)
JSON = st.recursive(
    STRINGS | NUMBERS | st.booleans() | st.none(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(KEYS, inner, max_size=3),
    max_leaves=6,
)


def _usual_or_odd(usual: st.SearchStrategy[Any], odd: bool) -> st.SearchStrategy[Any]:
    return (usual | JSON) if odd else usual


def _quantity(odd: bool) -> st.SearchStrategy[dict[str, Any]]:
    value = STRINGS | NUMBERS
    return st.fixed_dictionaries(
        {},
        optional={
            "epcClass": _usual_or_odd(URNS | LINKS | STRINGS, odd),
            "quantity": _usual_or_odd(value.filter(lambda v: not isinstance(v, bool)), odd),
            "uom": _usual_or_odd(st.sampled_from(["KGM", "LTR", "EA"]) | STRINGS, odd),
            **({"ex:extra": JSON} if odd else {}),
        },
    ).filter(lambda q: odd or bool(q))


def _entry(value_name: str, odd: bool) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {},
        optional={
            "type": _usual_or_odd(VOCABULARY | STRINGS, odd),
            value_name: _usual_or_odd(URNS | STRINGS, odd),
            **({"ex:extra": JSON, "@id": STRINGS} if odd else {}),
        },
    )


def _fields(odd: bool) -> dict[str, st.SearchStrategy[Any]]:
    epcs = st.lists(URNS | LINKS | STRINGS, max_size=5)
    location = st.fixed_dictionaries({"id": URNS | STRINGS})
    extension = st.dictionaries(
        st.sampled_from(["cbvmda:lotNumber", "cbvmda:bestBeforeDate", "ex:b"]), STRINGS
    )
    fields: dict[str, st.SearchStrategy[Any]] = {
        "eventTimeZoneOffset": st.sampled_from(["+01:00", "-05:30", "+00:00", "Z"]) | STRINGS,
        "parentID": URNS | LINKS | STRINGS,
        "transformationID": URNS | STRINGS,
        "certificationInfo": STRINGS,
        "epcList": epcs,
        "childEPCs": epcs,
        "inputEPCList": epcs,
        "outputEPCList": epcs,
        "quantityList": st.lists(_quantity(odd), max_size=3),
        "childQuantityList": st.lists(_quantity(odd), max_size=3),
        "inputQuantityList": st.lists(_quantity(odd), max_size=3),
        "outputQuantityList": st.lists(_quantity(odd), max_size=3),
        "action": st.sampled_from(["ADD", "OBSERVE", "DELETE"]) | STRINGS,
        "bizStep": VOCABULARY | STRINGS,
        "disposition": VOCABULARY | STRINGS,
        "readPoint": location,
        "bizLocation": location,
        "bizTransactionList": st.lists(_entry("bizTransaction", odd), max_size=3),
        "sourceList": st.lists(_entry("source", odd), max_size=3),
        "destinationList": st.lists(_entry("destination", odd), max_size=3),
        "ilmd": extension,
        "example:note": STRINGS,
        "ex:c": extension,
        "eventID": STRINGS,
        "recordTime": TIMES,
        "@context": st.sampled_from([["https://ref.gs1.org/standards/epcis/epcis-context.jsonld"]])
        | st.builds(lambda iri: [{"ex": iri}], st.sampled_from(["https://ex.com/", "urn:x:"])),
    }
    if odd:
        fields = {name: strategy | JSON for name, strategy in fields.items()}
        fields |= {
            "persistentDisposition": st.fixed_dictionaries({"set": st.lists(VOCABULARY, max_size=2)}) | JSON,
            "errorDeclaration": st.fixed_dictionaries({"reason": VOCABULARY | STRINGS}) | JSON,
            "sensorElementList": st.just([{"sensorReport": [{"type": "Temperature", "value": 26}]}]) | JSON,
            "bizTransaction": STRINGS,
            "inputEPC": JSON,
            "quantity": JSON,
            "comment": STRINGS,
            "#text": STRINGS,
            "ex:list": st.lists(JSON, max_size=2),
        }
    return fields


FIELDS = {odd: _fields(odd) for odd in (False, True)}


@st.composite
def events(draw: st.DrawFn, odd: bool) -> dict[str, Any]:
    fields = FIELDS[odd]
    names = draw(st.lists(st.sampled_from(sorted(fields)), unique=True, max_size=12))
    items = [(name, draw(fields[name])) for name in names]
    event_type = st.sampled_from(["ObjectEvent", "AggregationEvent", "TransformationEvent"])
    items.append(("type", draw(event_type)))
    if not odd or draw(st.integers(0, 9)):
        items.append(("eventTime", draw(TIMES | JSON if odd else TIMES)))
    return dict(draw(st.permutations(items)))


CONTEXTS = st.sampled_from(
    [None, {}, {"ex": "https://ex.com/"}, {"cbvmda": "https://other.example/mda/"}, {"ex": "urn:x:"}]
)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(event=events(odd=False), context=CONTEXTS)
def test_generated_events_of_the_usual_shapes(event: dict[str, Any], context: dict[str, str] | None) -> None:
    assert _check(event, context) or not isinstance(event.get("eventTime"), str)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    event=events(odd=True),
    context=CONTEXTS,
    ignore=st.sampled_from([(), ("ex:c",), ("eventTimeZoneOffset",)]),
)
def test_generated_events_of_any_shape(
    event: dict[str, Any], context: dict[str, str] | None, ignore: tuple[str, ...]
) -> None:
    _check(event, context, ignore)


@pytest.mark.parametrize(
    "field",
    [
        {"sensorElementList": [{"sensorReport": [{"type": "Temperature", "value": 26}]}]},
        {"persistentDisposition": {"set": ["completeness_verified"]}},
        {"epcList": [{"#text": "urn:epc:id:sgtin:4012345.110001.1"}]},
        {"quantityList": [{"epcClass": "urn:epc:class:lgtin:4012345.010002.L1", "quantity": 1, "ex:x": 1}]},
        {"readPoint": {"id": "urn:epc:id:sgln:4012345.00001.501", "ex:x": "1"}},
        {"bizTransactionList": [{"type": "po", "bizTransaction": "urn:x:1", "ex:x": "1"}]},
        {"bizTransaction": "urn:x:1"},
        {"quantityList": [{"epcClass": "urn:epc:class:lgtin:4012345.010002.L1", "quantity": True}]},
        {"childQuantityList": [{"epcClass": "urn:epc:class:lgtin:4012345.010002.L1", "quantity": None}]},
    ],
    ids=lambda field: next(iter(field)),
)
def test_other_shapes_take_the_general_builder(field: dict[str, Any]) -> None:
    event = {"type": "ObjectEvent", "eventTime": "2026-01-27T19:54:50.448+01:00", **field}
    assert fast_prehash(event, None) is None
    assert not _check(event)


QUANTITIES = [
    80,
    645.8,
    200.0,
    -0.0,
    0,
    2**53 - 1,
    2**53 + 1,
    -(2**60) - 1,
    10**400,
    1e20,
    1.5e-7,
    1e300,
    "80",
    " 8 ",
]
QUANTITIES += [float("inf"), float("nan"), "007", "1.50"]


@pytest.mark.parametrize(
    "fields",
    [
        *(
            {"quantityList": [{"epcClass": "urn:epc:class:lgtin:4012345.010002.L1", "quantity": q}]}
            for q in QUANTITIES
        ),
        {  # an EPC that is a word of the event's vocabulary (a tail of a CBV web URI) becomes that URI
            "bizStep": "https://ref.gs1.org/cbv/x/urn:epc:id:sgtin:4012345.110001.1",
            "epcList": ["urn:epc:id:sgtin:4012345.110001.1", "urn:epc:id:sgtin:4012345.110001.2"],
            "readPoint": {"id": "urn:epc:id:sgtin:4012345.110001.1"},
            "parentID": "urn:epc:id:sgtin:4012345.110001.1",
            "inputQuantityList": [{"epcClass": "urn:epc:id:sgtin:4012345.110001.1", "quantity": 1}],
        },
        {
            "disposition": "in_progress",
            "readPoint": {"id": "in_progress"},
            "childEPCs": ["in_progress", " in_progress", "Disp-in_progress", "cbv:Disp-active"],
            "sourceList": [{"type": "location", "source": "in_progress"}, {"type": "owning_party"}, {}],
            "inputQuantityList": [{"epcClass": "in_progress", "uom": "in_progress"}, {"uom": "cbv:x"}],
            "ex:note": "in_progress",
        },
        {"readPoint": {"id": "in_progress"}},  # the same values in an event where they are not vocabulary
        {"childEPCs": ["in_progress", " in_progress", "Disp-in_progress", "cbv:Disp-active"]},
        {"sourceList": [{"type": "location", "source": "in_progress"}, {"type": "owning_party"}, {}]},
        {"ilmd": {"cbvmda:lotNumber": " L1 ", "cbvmda:x": "", "ex:y": "cbv:Disp-active"}, "ex:z": ""},
        {
            "epcList": [
                "",
                "  ",
                "https://id.gs1.org/01/14012345100010/21/lot",
                "urn:epc:id:sgtin:0614141.107346.a.b",
            ]
        },
        {"parentID": " ", "action": "", "transformationID": "urn:epc:id:gdti:4012345.00001.100001"},
    ],
)
def test_edge_cases(fields: dict[str, Any]) -> None:
    for context in (None, {"ex": "https://ex.com/"}):
        event = {"type": "ObjectEvent", "eventTime": "2026-01-27T19:54:50.448+01:00", **fields}
        assert _check(event, context)
        assert _check(dict(reversed(event.items())), context)


def test_events_with_other_vocabulary_do_not_share_terms() -> None:
    """The vocabulary an event uses (`_terms`, cached by the values it reads) decides how its strings read:
    `po` is a business transaction type in the first event only."""
    time = "2026-01-27T19:54:50.448+01:00"
    first = {
        "type": "ObjectEvent",
        "eventTime": time,
        "bizTransactionList": [{"type": "sourceList"}, {"type": "sourceList"}, {"type": "po"}],
        "readPoint": {"id": "po"},
    }
    second = {
        "type": "ObjectEvent",
        "eventTime": time,
        "bizTransactionList": [{"type": "sourceList"}],
        "sourceList": [{"type": "po"}],
        "readPoint": {"id": "po"},
    }
    for event in (first, second, first, second):
        assert _check(event)
    assert "readPointid=https://ref.gs1.org/cbv/BTT-po" in prehash(first)
    assert "readPointid=po" in prehash(second)
