"""The pure stages: a message maps to prepared events, or to the stage that refused it and why."""

from __future__ import annotations

from typing import Any

import orjson

from lotline.connectors import Message
from lotline.pipeline.capture import prepare_all, split_document
from lotline.pipeline.prepare import PreparedEvent
from lotline.pipeline.stages import Failed, epcis_json, run_stages
from tests.api.test_capture import document, object_event
from tests.pipeline.helpers import event_payload


def message(payload: bytes) -> Message:
    return Message("line-1", "m1", payload)


def test_one_event_prepares() -> None:
    result = run_stages(message(event_payload(1)), epcis_json)
    assert isinstance(result, list) and len(result) == 1
    assert result[0].event_hash.startswith("ni:///sha-256;")


def test_a_document_hashes_as_the_capture_interface_would() -> None:
    ext = {"example": "https://ns.example.com/epcis/"}
    doc = orjson.loads(document(object_event(1, **{"example:line": "L2"}), object_event(2)))
    doc["@context"] = [doc["@context"], ext] if isinstance(doc["@context"], str) else [*doc["@context"], ext]
    payload = orjson.dumps(doc)
    result = run_stages(message(payload), epcis_json)
    assert isinstance(result, list)
    good, errors = prepare_all(split_document(orjson.loads(payload)))
    assert errors == []
    assert [p.event_hash for p in result] == [p.event_hash for _, p in good]


def test_a_mapper_error_fails_the_map_stage() -> None:
    result = run_stages(message(b"{not json"), epcis_json)
    assert isinstance(result, Failed) and result.stage == "map"
    assert result.error.startswith("JSONDecodeError")


def test_an_invalid_event_fails_the_validate_stage_naming_the_event() -> None:
    def two(_: Message) -> list[dict[str, Any]]:
        bad = object_event(2)
        del bad["eventTime"]
        return [object_event(1), bad]

    result = run_stages(message(b""), two)
    assert isinstance(result, Failed) and result.stage == "validate"
    assert result.error.startswith("event 1: ") and "eventTime" in result.error


def test_a_message_may_map_to_no_events() -> None:
    assert run_stages(message(b"[]"), epcis_json) == []


def test_prepared_events_are_the_capture_code() -> None:
    [prepared] = run_stages(message(event_payload(3)), epcis_json)  # type: ignore[misc]
    assert isinstance(prepared, PreparedEvent)
