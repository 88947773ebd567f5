"""Event validation throughput: lotline's validate_event against fastjsonschema on the same events.

    .venv/bin/python benchmarks/validation.py [--seconds 2]

Events: a generated, typical plant ObjectEvent (5 EPCs, two business transactions, readPoint, bizLocation,
ilmd) and every event of the GS1 EPCIS 2.0 JSON examples (sensor data, all field combinations, ...).
The baseline is fastjsonschema compiled from the same GS1 schema definition (how an eventList entry is
validated), with its default format checks. Single core, one event per call, events already parsed.
The target: capture runs at 20,000 events/s end to end, so validation should stay well under a third of
that budget, i.e. at 60,000 events/s per core or more.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import fastjsonschema

from lotline.epcis import validation
from lotline.epcis.document import document_events

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("LOTLINE_SHARED_DIR", REPO.parent / "shared"))
GS1_EXAMPLES = SHARED / "data" / "epcis" / "gs1" / "JSON"
TARGET = 60_000


def typical_object_event(serial: int = 0) -> dict[str, Any]:
    """A commissioning ObjectEvent as a packing line sends it."""
    return {
        "type": "ObjectEvent",
        "eventTime": "2024-05-01T10:00:00.000+02:00",
        "eventTimeZoneOffset": "+02:00",
        "eventID": f"ni:///sha-256;{serial:064x}?ver=CBV2.0",
        "epcList": [f"urn:epc:id:sgtin:4012345.011111.{serial * 5 + i}" for i in range(5)],
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


def gs1_example_events() -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    for path in sorted(GS1_EXAMPLES.rglob("*")):
        if path.suffix in (".json", ".jsonld"):
            doc = json.loads(path.read_text(encoding="utf-8"))
            if isinstance(doc, dict) and doc.get("type") in ("EPCISDocument", "EPCISQueryDocument"):
                events.extend(document_events(doc))
    return events


def fastjsonschema_baseline() -> Callable[[Any], Any]:
    schema = validation._load(validation._ROOT_FILE)
    wrapper = {key: schema[key] for key in ("$id", "$schema", "definitions")}
    wrapper["allOf"] = [{"$ref": "#/definitions/EPCIS-Document-Event"}]
    compiled: Callable[[Any], Any] = fastjsonschema.compile(wrapper)
    return compiled


def rate(check: Callable[[Any], Any], events: Sequence[Any], seconds: float) -> float:
    """Events per second of `check`, cycling through `events` for about `seconds`."""
    done, started, count = 0, time.perf_counter(), len(events)
    while True:
        for event in events:
            check(event)
        done += count
        elapsed = time.perf_counter() - started
        if elapsed >= seconds:
            return done / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="time per measurement (default 2)")
    args = parser.parse_args()

    baseline = fastjsonschema_baseline()
    validator = validation._validators().event
    sets = {"typical ObjectEvent": [typical_object_event(i) for i in range(100)]}
    if GS1_EXAMPLES.is_dir():
        sets["GS1 example events"] = gs1_example_events()
    else:
        print(f"({GS1_EXAMPLES} not found: GS1 examples skipped)")
    for name, events in sets.items():
        assert all(validation.validate_event(e) == [] for e in events), f"{name}: not all valid"
        for event in events:
            baseline(event)  # raises if the baseline disagrees
        ours = rate(validation.validate_event, events, args.seconds)
        schema_only = rate(validator.is_valid, events, args.seconds)
        theirs = rate(baseline, events, args.seconds)
        print(f"{name} ({len(events)} distinct events)")
        print(f"  lotline validate_event (GS1 schema + formats + rules) {ours:>10,.0f} events/s")
        print(f"    of which jsonschema-rs is_valid alone               {schema_only:>10,.0f} events/s")
        print(f"  fastjsonschema (GS1 schema, baseline)                 {theirs:>10,.0f} events/s")
        verdict = "meets" if ours >= TARGET else "MISSES"
        print(f"  ratio {ours / theirs:.1f}x the baseline; {verdict} the {TARGET:,} events/s per core target")


if __name__ == "__main__":
    main()
