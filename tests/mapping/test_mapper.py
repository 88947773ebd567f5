"""The Mapper as the pipeline runner sees it: Callable[[Message], Sequence[Mapping[str, Any]]], matching,
deterministic envelope ids, and a MappingSet that never drops a message silently."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from lotline.connectors.base import Message
from lotline.errors import MappingError
from lotline.mapping import MappingSet, is_operational, load_mapping
from tests.mapping.conftest import message, write

STATE = """
mapping: state
version: 1
match:
  topic: line/+/state
  source: [plc-*, scada]
  when: state
outputs:
  - name: state
    operational: EquipmentState
    data: {time: "= at", equipment: "= $split($message.topic, '/')[1]", state: "= state"}
  - name: seen
    when: lot
    epcis:
      type: ObjectEvent
      action: OBSERVE
      eventTime: "= at"
      eventTimeZoneOffset: "+00:00"
      epcList: ["= 'urn:epc:id:sgtin:4012345.011111.' & lot"]
"""


def test_the_runner_signature(tmp_path: Path) -> None:
    mapper: Callable[[Message], Sequence[Mapping[str, Any]]] = load_mapping(write(tmp_path, "s.yaml", STATE))
    events = mapper(
        message({"at": "2026-12-01T10:00:00Z", "state": "running", "lot": "7"}, "line/L2/state", "plc-2")
    )
    assert [is_operational(e) for e in events] == [True, False]
    assert events[0]["data"]["equipment"] == "L2" and events[1]["epcList"] == [
        "urn:epc:id:sgtin:4012345.011111.7"
    ]


def test_match(tmp_path: Path) -> None:
    mapper = load_mapping(write(tmp_path, "s.yaml", STATE))
    payload = {"at": "2026-12-01T10:00:00Z", "state": "idle"}
    assert mapper.matches(message(payload, "line/L2/state", "plc-2"))
    assert mapper.matches(message(payload, "line/L2/state", "scada"))
    assert not mapper.matches(message(payload, "line/L2/alarm", "plc-2"))
    assert not mapper.matches(message(payload, "line/L2/state", "erp"))
    assert not mapper.matches(message({"at": "x"}, "line/L2/state", "plc-2"))


def test_envelope_ids_are_deterministic_and_distinct(tmp_path: Path) -> None:
    mapper = load_mapping(write(tmp_path, "s.yaml", STATE))
    payload = {"at": "2026-12-01T10:00:00Z", "state": "idle"}
    first = mapper(message(payload, "line/L2/state"))[0]["id"]
    assert mapper(message(payload, "line/L2/state"))[0]["id"] == first
    other = Message("test", "m-2", message(payload).payload, "line/L2/state")
    assert mapper(other)[0]["id"] != first


def test_a_mapping_set_maps_with_the_first_that_matches(tmp_path: Path) -> None:
    state = load_mapping(write(tmp_path, "s.yaml", STATE))
    catch_all = load_mapping(
        write(
            tmp_path,
            "c.yaml",
            STATE.replace("mapping: state", "mapping: all").replace("  topic: line/+/state\n", ""),
        )
    )
    mappings = MappingSet([state, catch_all])
    payload = {"at": "2026-12-01T10:00:00Z", "state": "idle"}
    assert mappings.mapper_for(message(payload, "line/L1/state", "plc-1")) is state
    assert mappings.mapper_for(message(payload, "line/L1/other", "plc-1")) is catch_all
    assert len(mappings(message(payload, "line/L1/other", "plc-1"))) == 1
    with pytest.raises(
        MappingError, match=r"no mapping takes the message m-1 from 'erp' .*tried: state, all"
    ):
        mappings(message(payload, "x", "erp"))
