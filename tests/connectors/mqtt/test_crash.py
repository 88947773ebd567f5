"""kill -9 during a burst: what the source acknowledged is stored, the rest comes back, nothing is lost.

A child process reads from a private Mosquitto, "stores" each message (appends id and payload to a file and
fsyncs) and only then acks, and SIGKILLs itself in the middle of the burst between storing a message and
acking it. A new source with the same client id then drains the session. Every published message is in the
store; the only duplicates are messages stored but not yet PUBACKed, which carry the same message id (the
inbox deduplicates on it) and are bounded by the in-flight window.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

from lotline.connectors.mqtt import MqttConfig, MqttSource
from tests.connectors.mqtt.conftest import PrivateBroker
from tests.connectors.mqtt.peer import Peer
from tests.connectors.mqtt.test_source import run

TOTAL, KILL_AT = 3000, 1000

CHILD = """
import asyncio, os, signal, sys
from lotline.connectors.mqtt import MqttConfig, MqttSource
cfg = MqttConfig.model_validate_json(sys.argv[1])
async def main():
    with open(sys.argv[2], "ab") as store:
        async with MqttSource(cfg) as source:
            print("up", flush=True)
            stored = 0
            while True:
                message, ack = await source.read()
                store.write(message.message_id.encode() + b" " + message.payload + b"\\n")
                store.flush()
                os.fsync(store.fileno())
                stored += 1
                if stored == int(sys.argv[3]):
                    os.kill(os.getpid(), signal.SIGKILL)  # stored, not acked
                await ack()
asyncio.run(main())
"""


def test_kill_9_mid_burst_loses_nothing(private_broker: Callable[..., PrivateBroker], tmp_path: Path) -> None:
    b = private_broker("allow_anonymous true", "max_queued_messages 0")  # Mosquitto drops past 1000 otherwise
    cfg = MqttConfig(host=b.host, port=b.port, client_id="crash-test", topics=["burst/#"])
    store = tmp_path / "store.txt"
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, cfg.model_dump_json(), str(store), str(KILL_AT)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    peer = Peer(b.host, b.port)
    try:
        assert child.stdout is not None and child.stdout.readline() == b"up\n"
        publisher = threading.Thread(
            target=lambda: [peer.publish("burst/m", f"{i:05d}".encode()) for i in range(TOTAL)]
        )
        publisher.start()
        assert child.wait(30) == -9, child.stderr.read().decode() if child.stderr else ""
        publisher.join(30)
    finally:
        peer.close()
        if child.poll() is None:
            child.kill()
        for stream in (child.stdout, child.stderr):
            if stream is not None:
                stream.close()

    stored = [line.split(b" ", 1) for line in store.read_bytes().splitlines()]
    assert len(stored) == KILL_AT

    async def drain() -> list[tuple[bytes, bytes]]:
        got: list[tuple[bytes, bytes]] = []
        async with MqttSource(cfg) as source:
            seen = {payload for _, payload in stored}
            while len(seen) < TOTAL:
                message, ack = await asyncio.wait_for(source.read(), 10)
                got.append((message.message_id.encode(), message.payload))
                seen.add(message.payload)
                await ack()
        return got

    redelivered = run(drain(), timeout=60)
    ids = {payload: mid for mid, payload in stored}
    assert {p for _, p in stored} | {p for _, p in redelivered} == {f"{i:05d}".encode() for i in range(TOTAL)}
    again = [(mid, p) for mid, p in redelivered if p in ids]
    assert all(ids[p] == mid for mid, p in again), "a redelivered message has the id it was stored under"
    assert 1 <= len(again) <= cfg.receive_maximum, "only stored-but-unacknowledged messages come back"
