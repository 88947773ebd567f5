"""A lotline process that only delivers: `python -m tests.outbound.child <db url> <target url>`.

The crash test kills it with SIGKILL in the middle of a delivery and starts another one on the same
databases, as an operator's supervisor would.
"""

from __future__ import annotations

import asyncio
import sys

from lotline.outbound import Outbound, OutboundConfig
from lotline.store.engine import open_engine
from tests.outbound.conftest import webhook_route


async def main(db_url: str, target: str) -> None:
    engine = open_engine(db_url)
    config = OutboundConfig(
        routes=[webhook_route(target)], poll_interval=0.1, queue_poll=0.05, start="beginning"
    )
    async with Outbound(engine, config, db_url=db_url):
        print("ready", flush=True)
        await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
