"""Shared pieces of the OPC UA tests: a simulated filling line in a thread, configs, bounded reads.

Each test runs its body in its own event loop (`run`), like the conformance suites; the simulated
server lives on its own loop in a thread (`ThreadedLine`), so one server serves a whole package (conftest `line`).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import orjson

from lotline.connectors import Message
from lotline.connectors.opcua import OpcuaConfig, OpcuaSource
from lotline.sim.filling_line import NAMESPACE, FillingLine
from lotline.sim.threaded import ThreadedLine

VARIABLES = (
    "GoodCount",
    "ScrapCount",
    "MachineState",
    "StateReason",
    "CurrentLot",
    "ProductTemperature",
    "SterilizerTemperature",
)


def simulated_line(**options: Any) -> Iterator[ThreadedLine]:
    """Body of a fixture: one simulated filling line (a thread of its own) serves many tests."""
    with ThreadedLine(FillingLine(**options)) as threaded:
        yield threaded


def make_config(line: ThreadedLine, events: bool = False, **overrides: Any) -> OpcuaConfig:
    """Every Filler variable by name, fast sampling and publishing, short keepalive and backoff."""
    settings: dict[str, Any] = {
        "endpoint": line.endpoint,
        "nodes": [
            {"node_id": line.sim.node_id(v), "name": v, "sampling_interval_ms": 0, "queue_size": 100}
            for v in VARIABLES
        ],
        "events": [
            {
                "node_id": f"nsu={NAMESPACE};s=Filler",
                "name": "filler-events",
                "event_types": [
                    f"nsu={NAMESPACE};s=LotChangeEventType",
                    f"nsu={NAMESPACE};s=MachineStateEventType",
                ],
            }
        ]
        if events
        else [],
        "publishing_interval_ms": 50,
        "keepalive_s": 0.5,
        "reconnect": {"initial_s": 0.2, "max_s": 1.0},
    }
    settings.update(overrides)
    return OpcuaConfig.model_validate(settings)


def run(body: Callable[[], Awaitable[None]], timeout: float = 20.0) -> None:
    async def case() -> None:
        await asyncio.wait_for(body(), timeout)

    asyncio.run(case())


def payload(message: Message) -> dict[str, Any]:
    doc: dict[str, Any] = orjson.loads(message.payload)
    return doc


async def read(source: OpcuaSource, count: int, timeout: float = 5.0, ack: bool = True) -> list[Message]:
    """Exactly `count` messages (each acked unless told otherwise), failing after `timeout` seconds."""
    got = []
    for _ in range(count):
        message, settle = await asyncio.wait_for(source.read(), timeout)
        if ack:
            await settle()
        got.append(message)
    return got


async def nothing_more(source: OpcuaSource, wait: float = 0.4) -> None:
    """No message arrives within `wait` seconds (several publishing intervals)."""
    try:
        message, _ = await asyncio.wait_for(source.read(), wait)
    except TimeoutError:
        return
    raise AssertionError(f"unexpected message {message.message_id}: {message.payload!r}")


async def until(condition: Callable[[], bool], timeout: float = 10.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(0.05)


def by_node(messages: list[Message]) -> dict[str, Any]:
    """Latest value per node in these data-change messages."""
    return {payload(m)["node"]: payload(m)["value"] for m in messages if payload(m)["kind"] == "data_change"}
