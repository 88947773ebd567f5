"""The telemetry stage: the runner's mapper signature, ticks, envelopes, replays and the state file."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import orjson

from lotline.connectors.base import Message
from lotline.epcis.timefmt import format_time
from lotline.epcis.validation import validate_event
from lotline.mapping import is_operational
from lotline.telemetry import TelemetryStage, TickSource, load_rules, tick_message
from tests.telemetry.helpers import SECOND, at
from tests.telemetry.test_loader import EXAMPLE


def data(n: int, time: int, **values: Any) -> Message:
    equipment = values.pop("equipment", "filler-2")
    body = {"equipment": equipment, "time": format_time(time), "values": values}
    return Message("line-2", f"m/{n}", orjson.dumps(body))


def line_messages() -> list[Message]:
    """Order MO-1 on filler-2; 60 good and 2 scrap in 10:00-10:15; a 4-minute stop; tank 2 too warm."""
    return [
        data(1, at(0), **{"Order/Id": "MO-1", "Count/Good": 1000, "Count/Reject": 10, "State/Current": 6}),
        data(2, at(5), **{"Count/Good": 1040, "State/Current": 9, "Stop/Reason": "JAM"}),
        data(3, at(9), **{"Count/Good": 1060, "Count/Reject": 12, "State/Current": 6}),
        data(4, at(0), equipment="Tank2", BatchId="B-17", Temperature=5.0),
        data(5, at(1), equipment="Tank2", Temperature=8.5),
        data(6, at(6), equipment="Tank2", Temperature=7.5),
    ]


def test_messages_in_events_out_and_ticks_close_what_time_has_closed() -> None:
    stage = TelemetryStage(load_rules(EXAMPLE))
    events = [event for message in line_messages() for event in stage(message)]
    assert [(e["type"], e["data"]["state"]) for e in events if is_operational(e)] == [
        ("io.lotline.equipment.state.v1", "down"),  # 10:05, confirmed at 10:09 (30 s debounce)
    ]
    excursion = [e for e in events if not is_operational(e)]
    assert [e["quantityList"][0]["epcClass"] for e in excursion] == [
        "urn:epc:class:lgtin:4012345.012345.B-17"
    ]
    assert validate_event(excursion[0]) == []
    # no samples after 10:09: a tick at 10:15:29 (minus 30 s lateness: 10:14:59) confirms the restart
    [end] = stage(tick_message(at(15, 29)))
    assert (end["type"], end["subject"], end["time"]) == (
        "io.lotline.equipment.state.v1",
        "filler-2",
        "2026-12-01T10:09:00Z",
    )
    assert end["data"]["durationSeconds"] == 240 and end["data"]["reason"] == "JAM"
    [confirmation] = stage(tick_message(at(15, 30)))  # ... and one at 10:15:30 closes 10:00-10:15
    assert (confirmation["type"], confirmation["subject"]) == ("io.lotline.operation.confirmation.v1", "MO-1")
    assert confirmation["data"]["yieldQuantity"] == 60 and confirmation["data"]["scrapQuantity"] == 2
    assert confirmation["correlationid"] == "MO-1" and confirmation["plant"] == "plant-a"
    assert confirmation["source"] == "lotline/telemetry/line-2/filler-output"


def test_envelope_ids_follow_the_business_key() -> None:
    first, second = TelemetryStage(load_rules(EXAMPLE)), TelemetryStage(load_rules(EXAMPLE))
    messages = line_messages()
    a = [e for m in messages for e in first(m)] + first.flush(at(20))
    b = [e for m in messages[:2] + messages[3:] for e in second(m)] + second.flush(at(20))  # one reading less
    ids_a = {e["id"]: e for e in a if is_operational(e)}
    ids_b = {e["id"]: e for e in b if is_operational(e)}
    confirmation = next(e for e in a if e["type"].endswith("confirmation.v1"))
    other = ids_b[confirmation["id"]]  # the same order and interval: the same id, other quantities
    assert other["data"]["yieldQuantity"] != confirmation["data"]["yieldQuantity"]
    assert len(ids_a) == 3


def test_a_message_processed_again_gives_the_same_events_and_counts_nothing_twice() -> None:
    stage = TelemetryStage(load_rules(EXAMPLE))
    messages = line_messages()
    events = {m.message_id: stage(m) for m in messages}
    for m in messages:  # e.g. inbox rows left pending by a crash after mapping, before the write
        assert stage(m) == events[m.message_id]
    closed = stage.flush(at(20))
    confirmation = next(e for e in closed if e["type"].endswith("confirmation.v1"))
    assert confirmation["data"]["yieldQuantity"] == 60


def test_the_state_file_resumes_after_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "state" / "telemetry.json"
    messages = line_messages()
    uninterrupted = TelemetryStage(load_rules(EXAMPLE))
    expected = [uninterrupted(m) for m in messages] + [uninterrupted.flush(at(20))]
    for crash_after in range(len(messages)):
        path.unlink(missing_ok=True)
        first = TelemetryStage(load_rules(EXAMPLE), state_path=path)
        got = [first(m) for m in messages[: crash_after + 1]]
        again = TelemetryStage(load_rules(EXAMPLE), state_path=path)  # the process restarts
        # the runner hands over the crashed batch again (its rows are pending), then the rest
        got[-1] = again(messages[crash_after])
        got += [again(m) for m in messages[crash_after + 1 :]] + [again.flush(at(20))]
        assert got == expected, crash_after
    assert not path.with_name("telemetry.json.tmp").exists()


def test_operational_events_can_go_elsewhere() -> None:
    routed: list[dict[str, Any]] = []
    stage = TelemetryStage(load_rules(EXAMPLE), operational=routed.extend)
    events = [e for m in line_messages() for e in stage(m)] + stage.flush(at(20))
    assert events and not any(is_operational(e) for e in events)
    assert len(routed) == 3 and all(is_operational(e) for e in routed)


def test_tick_source_delivers_aligned_ticks() -> None:
    now = [1_000.5]
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    async def main() -> list[Message]:
        source = TickSource(10, clock=lambda: now[0], sleep=sleep)
        async with source:
            first, ack = await source.read()
            await ack()
            second, _ = await source.read()
            assert (await source.check()).ok
        return [first, second]

    first, second = asyncio.run(main())
    assert (first.message_id, second.message_id) == (f"tick/{1_000 * SECOND}", f"tick/{1_010 * SECOND}")
    assert slept == [9.5]
    assert orjson.loads(second.payload)["tick"] == "1970-01-01T00:16:50.000Z"


def test_confirmations_become_erp_production_confirmations() -> None:
    from lotline.mapping.erp_commands import erp_outbound

    stage = TelemetryStage(load_rules(EXAMPLE))
    events = [e for m in line_messages() for e in stage(m)] + stage.flush(at(20))
    [command] = erp_outbound(events)
    payload = orjson.loads(command.payload)
    assert (payload["kind"], payload["orderId"], payload["operation"]) == (
        "production_confirmation",
        "MO-1",
        "0020",
    )
    assert (payload["yieldQuantity"], payload["scrapQuantity"], payload["uom"]) == (60, 2, "EA")
    again = TelemetryStage(load_rules(EXAMPLE))
    replayed = [e for m in line_messages() for e in again(m)] + again.flush(at(20))
    assert [c.key for c in erp_outbound(replayed)] == [command.key], "the ERP sees a retry, not a new posting"
