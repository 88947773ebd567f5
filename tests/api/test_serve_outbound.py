"""`lotline serve --config` with an `outbound:` section: the runner stores an event from the in-memory
connector, the outbound service started beside it delivers it to a real HTTP receiver exactly once,
/health reports it, and shutdown stops it. Without the section DBOS is not launched at all."""

from __future__ import annotations

import asyncio
import secrets
import textwrap
from pathlib import Path
from typing import Any

import httpx
import orjson

from lotline.api.service import Service
from lotline.config import load_config
from lotline.connectors.memory import DEFAULT_BROKER
from lotline.connectors.webhook import verify_lotline_signature
from lotline.outbound import _durable
from lotline.sim.ports import free_port
from lotline.store.engine import open_engine
from tests.api.test_serve_config import config_file, eventually
from tests.config.payloads import confirmation
from tests.outbound.conftest import run
from tests.outbound.receiver import Receiver

OUTBOUND = """\
outbound:
  poll_interval: 0.1
  queue_poll: 0.05
  routes:
    - name: erp
      match: {{event_types: [TransformationEvent]}}
      target: {{kind: webhook, config: {{url: "{url}", secret: "${{HOOK_SECRET}}"}}}}
      retry: {{max_attempts: 5, base_delay: 0.05, max_delay: 0.2}}
"""


async def _health(client: httpx.AsyncClient) -> Any:
    try:
        response = await client.get("/health")
    except httpx.TransportError:
        return None
    return response.json() if response.status_code == 200 else None


def test_serve_config_delivers_a_captured_event_once(tmp_path: Path) -> None:
    channel = "serve-out-" + secrets.token_hex(4)
    port = free_port()
    db_url = f"sqlite:///{tmp_path / 'lotline.db'}"
    receiver = Receiver()

    async def body() -> None:
        await receiver.start()
        path = config_file(tmp_path, db_url, channel, port)
        path.write_text(path.read_text() + textwrap.dedent(OUTBOUND.format(url=receiver.url)))
        config = load_config(path, environ={"HOOK_SECRET": "s3cret"})
        assert config.model.outbound is not None and config.model.outbound.routes[0].name == "erp"
        engine = open_engine(config.database_url)
        service = Service(config, engine, "127.0.0.1", port, log_level="warning")
        outbound = service.outbound
        assert outbound is not None
        running = asyncio.create_task(service.run())
        try:
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:

                async def ready() -> Any:
                    health = await _health(client)
                    return health if health and health["outbound"]["state"] == "running" else None

                health = await eventually(ready, timeout=20)
                assert health["status"] == "ok" and health["runner"]["state"] == "running"
                assert health["outbound"] == {"state": "running", "routes": {"erp": "closed"}}
                # one confirmation: one TransformationEvent (the route's) and one operational event (not routed)
                DEFAULT_BROKER.publish(channel, [confirmation(1)], topic="mes/line-1/conf")
                await receiver.until(1)
                for _ in range(5):  # a few more dispatcher polls: nothing is delivered twice
                    outbound.poke()
                    await asyncio.sleep(0.1)
        finally:
            service.stop()
            await asyncio.wait_for(running, 20)
            engine.dispose()
            await receiver.stop()
        assert service.runtime.state == "stopped" and service.runtime.outbound_state == "stopped"
        assert _durable._deliverer is None, "DBOS was shut down"
        [post] = receiver.posts
        event = orjson.loads(post.body)
        assert event["type"] == "TransformationEvent"
        assert post.key.startswith("deliver:erp:")
        stamp, signature = post.headers["x-lotline-timestamp"], post.headers["x-lotline-signature"]
        assert verify_lotline_signature("s3cret", stamp, post.body, signature)
        assert (tmp_path / "lotline.dbos.sqlite").is_file()  # DBOS's state beside the database

    run(body, timeout=60)


def test_serve_config_without_outbound_launches_no_dbos(tmp_path: Path) -> None:
    port = free_port()
    path = config_file(
        tmp_path, f"sqlite:///{tmp_path / 'lotline.db'}", "no-out-" + secrets.token_hex(4), port
    )
    config = load_config(path, environ={})
    assert config.model.outbound is None
    engine = open_engine(config.database_url)
    service = Service(config, engine, "127.0.0.1", port, log_level="warning")
    assert service.outbound is None

    async def body() -> None:
        running = asyncio.create_task(service.run())
        try:
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
                health = await eventually(lambda: _health(client))
                assert health["status"] == "ok" and health["outbound"] == {"state": "off"}
                assert _durable._deliverer is None
        finally:
            service.stop()
            await asyncio.wait_for(running, 10)

    try:
        run(body)
    finally:
        engine.dispose()
    assert not (tmp_path / "lotline.dbos.sqlite").exists()
