"""A runner process for the kill -9 test: reads N messages from a memory broker and appends the id of
every message it acknowledges to a file (flushed to the OS, so it survives the process being killed).

    python -m tests.pipeline.crash_worker <db-url> <acked-file> <count>
"""

from __future__ import annotations

import asyncio
import sys
from typing import IO

from lotline.connectors import Ack, Message, Wrapping
from lotline.connectors.memory import MemoryBroker, MemoryConfig, MemorySource
from lotline.pipeline.runner import Runner, RunnerSettings
from lotline.pipeline.stages import epcis_json
from lotline.store.engine import open_engine
from tests.pipeline.helpers import event_payload


class RecordingSource(Wrapping[MemorySource]):
    """The memory source, with each acknowledgement written down before it is made."""

    def __init__(self, inner: MemorySource, log: IO[str]) -> None:
        super().__init__(inner)
        self.log = log

    async def read(self) -> tuple[Message, Ack]:
        message, ack = await self.inner.read()

        async def recorded(error: BaseException | None = None, /) -> None:
            if error is None:
                self.log.write(message.message_id + "\n")
                self.log.flush()
            await ack(error)

        return message, recorded


async def main(url: str, acked: str, count: int) -> None:
    broker = MemoryBroker()
    broker.publish("c", [event_payload(i) for i in range(count)])
    engine = open_engine(url)
    with open(acked, "a", encoding="utf-8") as log:
        source = RecordingSource(MemorySource(MemoryConfig(channel="c", name="line-1"), broker), log)
        runner = Runner(engine, {"line-1": source}, epcis_json, RunnerSettings(batch_size=200))
        await runner.run(asyncio.Event())


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
