"""`lotline serve --config` end to end: the HTTP API and the runner in one loop, over the in-memory
connector and a shipped mapping: messages in -> events stored with provenance -> operational events
listed by the API -> /health reports the runner and the connectors -> a clean shutdown."""

from __future__ import annotations

import asyncio
import secrets
import textwrap
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import sqlalchemy as sa

from lotline.api.service import Service
from lotline.config import load_config
from lotline.connectors.memory import DEFAULT_BROKER
from lotline.sim.ports import free_port
from lotline.store.engine import open_engine
from lotline.store.keys import create_key
from lotline.store.schema import events
from tests.config.payloads import confirmation


def config_file(folder: Path, db_url: str, channel: str, port: int) -> Path:
    path = folder / "lotline.yaml"
    path.write_text(
        textwrap.dedent(f"""\
            database:
              url: {db_url}
            server:
              port: {port}
            plants:
              - id: plant-a
                lines: [{{id: line-1}}]
            connectors:
              - name: mes-line1
                kind: memory
                line: line-1
                options: {{channel: {channel}}}
            mappings:
              - template: mes-production-confirmation
            runner:
              batch_wait: 0.001
              rescan_interval: 0.05
            """)
    )
    return path


async def eventually(probe: Callable[[], Awaitable[Any]], timeout: float = 10.0) -> Any:
    """The first truthy result of `probe()`, polled every 20 ms."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        result = await probe()
        if result:
            return result
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.02)


def test_serve_config_end_to_end(db_url: str, tmp_path: Path) -> None:
    channel = "serve-" + secrets.token_hex(4)
    port = free_port()
    config = load_config(config_file(tmp_path, db_url, channel, port), environ={})
    engine = open_engine(config.database_url)
    _, token = create_key(engine, "reader", frozenset({"query"}))
    service = Service(config, engine, "127.0.0.1", port, log_level="warning")
    headers = {"Authorization": f"Bearer {token}"}

    async def scenario() -> dict[str, Any]:
        running = asyncio.create_task(service.run())
        try:
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", headers=headers) as client:
                return await exchange(client)
        finally:
            service.stop()
            await asyncio.wait_for(running, 10)

    async def exchange(client: httpx.AsyncClient) -> dict[str, Any]:
        async def ready() -> Any:
            try:
                response = await client.get("/health")
            except httpx.TransportError:
                return None
            return response.json() if response.status_code == 200 else None

        health = await eventually(ready)
        assert health["status"] == "ok" and health["runner"]["state"] == "running"
        assert health["connectors"] == {"mes-line1": {"ok": True, "detail": f"channel {channel!r}"}}
        DEFAULT_BROKER.publish(channel, [confirmation(1), confirmation(2)], topic="mes/line-1/conf")

        async def listed() -> Any:
            body = (await client.get("/api/v1/operational-events", params={"correlationId": "MO-2"})).json()
            return body["operationalEvents"]

        [operational] = await eventually(listed)
        first = (await client.get("/api/v1/operational-events", params={"limit": 1})).json()
        second = (await client.get(first["next"])).json()
        last = (await client.get(second["next"])).json()
        pages = [first["operationalEvents"], second["operationalEvents"], last["operationalEvents"]]
        assert [[e["correlationid"] for e in page] for page in pages] == [["MO-1"], ["MO-2"], []]
        health = (await client.get("/health")).json()
        assert health["runner"]["total"]["stored"] == 4  # 2 EPCIS + 2 operational events
        with engine.connect() as conn:
            event_id = conn.execute(
                sa.select(events.c.event_id).where(events.c.correlation_id == "MO-2")
            ).scalar_one()
        response = await client.get(f"/api/v1/events/{quote(event_id, safe='')}/provenance")
        assert response.status_code == 200, response.text
        [provenance] = response.json()["provenance"]
        return {"operational": operational, "provenance": provenance}

    try:
        seen = asyncio.run(scenario())
    finally:
        engine.dispose()
    operational, provenance = seen["operational"], seen["provenance"]
    assert operational["type"] == "io.lotline.operation.confirmation.v1"
    assert (operational["source"], operational["plant"], operational["subject"]) == (
        "mes-line1",
        "plant-a",
        "MO-2",
    )
    assert operational["lotline"]["mapping"] == "mes-production-confirmation@1"
    assert operational["lotline"]["sourceMessageId"] == f"{channel}/2"
    assert provenance["source"] == "mes-line1" and provenance["interface"] == "connector"
    assert provenance["sourceMessageId"] == f"{channel}/2" and provenance["plant"] == "plant-a"
    assert provenance["mapping"] == "mes-production-confirmation@1"
    assert provenance["correlationId"] == "MO-2"  # from the operational event of the same message
    assert provenance["receivedTime"] is not None
    assert service.runtime.state == "stopped"
    chan = DEFAULT_BROKER.channel(channel)
    assert not chan.ready and not chan.inflight, "every message was acknowledged; the source was closed"
