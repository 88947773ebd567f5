"""The lotline side of the reliability tests, as a process that can be killed: a Runner with an MqttSource
(persistent session, fixed client id, ids from the `message-id` user property) storing EPCIS events into a
database.

    python -m tests.reliability.worker DB_URL PORT CLIENT_ID ACKED_FILE

It prints `up` once its session is connected and subscribed. Before the runner acknowledges a message
(which lets the source PUBACK it), the message id is appended to ACKED_FILE with one unbuffered write, so
after a kill -9 the file names every message lotline acknowledged (and perhaps the one it was about to).
SIGTERM stops it cleanly; it then prints the runner's counters as JSON.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys

import orjson

from lotline.connectors import Ack, Message, Wrapping
from lotline.connectors.mqtt import MqttConfig, MqttSource
from lotline.pipeline.runner import Runner, RunnerSettings
from lotline.pipeline.stages import epcis_json
from lotline.store.engine import open_engine
from tests.reliability.publisher import ID_PROPERTY

SOURCE = "line-1"


class RecordingSource(Wrapping[MqttSource]):
    """The MQTT source, with each acknowledgement written down (one write(2)) just before it is made."""

    def __init__(self, inner: MqttSource, fd: int) -> None:
        super().__init__(inner)
        self.fd = fd

    async def read(self) -> tuple[Message, Ack]:
        message, ack = await self.inner.read()

        async def recorded(error: BaseException | None = None, /) -> None:
            if error is None:
                os.write(self.fd, message.message_id.encode() + b"\n")
            await ack(error)

        return message, recorded


def config(port: int, client_id: str) -> MqttConfig:
    return MqttConfig.model_validate(
        {
            "name": SOURCE,
            "host": "127.0.0.1",
            "port": port,
            "client_id": client_id,
            "topics": ["burst/#"],
            "id_property": ID_PROPERTY,
            "receive_maximum": 2000,
            "reconnect_min_delay": 1,
            "reconnect_max_delay": 2,
        }
    )


async def main(url: str, port: int, client_id: str, acked: str) -> None:
    engine = open_engine(url)
    fd = os.open(acked, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    source = RecordingSource(MqttSource(config(port, client_id)), fd)
    await source.connect()  # the session exists and is subscribed before anyone publishes
    print("up", flush=True)
    runner = Runner(engine, {SOURCE: source}, epcis_json, RunnerSettings(batch_size=500, rescan_interval=0.2))
    try:
        await runner.run(stop)
    finally:
        os.close(fd)
        engine.dispose()
    print(orjson.dumps(runner.counters.snapshot()).decode(), flush=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]))
