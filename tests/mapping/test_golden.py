"""Golden tests: for each folder in golden/, mapping.yaml applied to input.json (or input.xml) gives
expected.json.

An optional case.yaml sets the message (topic, source, plant, headers). Every EPCIS event produced must
pass lotline's capture validation; every operational event must be a valid CloudEvents envelope around a
valid operational event. To re-record the expected files after a deliberate change:
LOTLINE_UPDATE_GOLDEN=1 .venv/bin/pytest tests/mapping/test_golden.py (then review the diff).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
import yaml

from lotline.connectors.base import Message
from lotline.epcis.validation import validate_event
from lotline.mapping import is_operational, load_mapping
from lotline.model import OPERATIONAL_EVENTS, CloudEvent

GOLDEN = Path(__file__).parent / "golden"
CASES = sorted(p.name for p in GOLDEN.iterdir() if (p / "mapping.yaml").is_file())
RECEIVED_AT = 1_764_590_400_000_000  # 2025-12-01T12:00:00Z, fixed so outputs are reproducible


def message_for(case: Path) -> tuple[Message, str | None]:
    meta: dict[str, Any] = {}
    if (case / "case.yaml").is_file():
        meta = yaml.safe_load((case / "case.yaml").read_text(encoding="utf-8"))
    # input.json, or input.xml (with `content-type: application/xml` in case.yaml's headers)
    payload = next(p for p in (case / "input.json", case / "input.xml") if p.is_file())
    message = Message(
        source=meta.get("source", "test"),
        message_id=f"{case.name}/{payload.name}",
        payload=payload.read_bytes(),
        topic=meta.get("topic", ""),
        headers=meta.get("headers", {}),
        received_at=RECEIVED_AT,
    )
    return message, meta.get("plant")


def test_there_are_golden_cases() -> None:
    assert len(CASES) >= 6


@pytest.mark.parametrize("name", CASES)
def test_golden(name: str) -> None:
    case = GOLDEN / name
    message, plant = message_for(case)
    mapper = load_mapping(case / "mapping.yaml", plant=plant)
    assert mapper.matches(message), f"{name}: the mapping's match does not take the input"
    events = mapper(message)
    expected_file = case / "expected.json"
    if os.environ.get("LOTLINE_UPDATE_GOLDEN") == "1":
        expected_file.write_text(json.dumps(events, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    assert events == json.loads(expected_file.read_text(encoding="utf-8"))
    for event in events:
        if is_operational(event):
            envelope = CloudEvent.model_validate(event)
            model = next(m for m in OPERATIONAL_EVENTS.values() if envelope.type == m.EVENT_TYPE)
            model.model_validate(envelope.data)
        else:
            assert validate_event(event) == [], event
    # mapping is a pure function of the message: the same message maps to the same events
    assert mapper(message) == events
