"""Malformed and unmappable MQTT messages land in the dead-letter store, with the failing stage and the
error, while the valid messages around them (in the same batches) keep flowing into the store."""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path

import pytest
import sqlalchemy as sa
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from lotline.connectors.mqtt import MqttSource
from lotline.pipeline.runner import Runner, RunnerSettings
from lotline.pipeline.stages import epcis_json
from lotline.store.engine import open_engine
from lotline.store.inbox import counts
from lotline.store.schema import dead_letters, events
from tests.connectors.mqtt.peer import Peer
from tests.pipeline.helpers import event_payload, run_until
from tests.reliability.conftest import Mosquitto
from tests.reliability.publisher import ID_PROPERTY, message_id
from tests.reliability.worker import SOURCE, config

pytestmark = pytest.mark.reliability
TOTAL = 6000


def payload(i: int) -> tuple[str, bytes]:
    """(kind, payload) of message i: mostly valid EPCIS events, and three kinds of bad messages."""
    match i % 10:
        case 3:
            return "malformed", event_payload(i)[:-7]  # cut short: not JSON
        case 6:
            return "scalar", b'"not an event"'  # JSON, but nothing the EPCIS mapper can map
        case 9:
            return "foreign", b'{"temperature": 21.5, "unit": "Cel"}'  # an object, but not an EPCIS event
        case _:
            return "valid", event_payload(i)


def test_bad_messages_are_dead_lettered_while_valid_ones_keep_flowing(
    mosquitto: Mosquitto, tmp_path: Path
) -> None:
    engine = open_engine(f"sqlite:///{tmp_path / 'lotline.db'}")
    kinds = {message_id(i): payload(i)[0] for i in range(TOTAL)}
    expected = Counter(kinds.values())
    peer = Peer("127.0.0.1", mosquitto.port)

    async def scenario() -> Runner:
        source = MqttSource(config(mosquitto.port, "dead-letter-lotline"))
        await source.connect()
        runner = Runner(engine, {SOURCE: source}, epcis_json, RunnerSettings(batch_size=200))

        def publish() -> None:
            infos = []
            for i in range(TOTAL):
                kind, body = payload(i)
                props = Properties(PacketTypes.PUBLISH)  # type: ignore[no-untyped-call]
                props.UserProperty = [(ID_PROPERTY, message_id(i))]
                infos.append(peer.client.publish(f"burst/line-1/{kind}", body, qos=1, properties=props))
            for info in infos:
                info.wait_for_publish(30)

        publishing = asyncio.create_task(asyncio.to_thread(publish))
        await run_until(runner, lambda: sum(counts(engine).values()) >= TOTAL, timeout=60)
        await publishing
        return runner

    try:
        runner = asyncio.run(asyncio.wait_for(scenario(), 90))
    finally:
        peer.close()

    bad = TOTAL - expected["valid"]
    total = runner.counters.total
    assert (total.received, total.stored, total.dead_lettered) == (TOTAL, expected["valid"], bad)
    assert counts(engine) == {"pending": 0, "done": expected["valid"], "dead": bad}
    with engine.connect() as conn:
        letters = conn.execute(
            sa.select(
                dead_letters.c.message_id, dead_letters.c.stage, dead_letters.c.error, dead_letters.c.payload
            )
        ).all()
        stored = {r[0] for r in conn.execute(sa.select(events.c.source_message_id))}
    assert stored == {mid for mid, kind in kinds.items() if kind == "valid"}
    by_kind = {kinds[mid]: (stage, error) for mid, stage, error, _ in letters}
    assert Counter(kinds[mid] for mid, *_ in letters) == {k: n for k, n in expected.items() if k != "valid"}
    assert by_kind["malformed"][0] == "map" and "JSONDecodeError" in by_kind["malformed"][1]
    assert by_kind["scalar"][0] == "map" and "expected a JSON object or array" in by_kind["scalar"][1]
    assert by_kind["foreign"][0] == "validate" and by_kind["foreign"][1]
    originals = {message_id(i): payload(i)[1] for i in range(TOTAL)}
    assert all(bytes(p) == originals[mid] for mid, _, _, p in letters), (
        "a dead letter keeps the original payload"
    )
    engine.dispose()
