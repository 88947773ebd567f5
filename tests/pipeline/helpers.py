"""Shared by the pipeline tests: EPCIS payloads, and running a Runner until a condition holds."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import orjson

from lotline.pipeline.runner import Runner
from tests.api.test_capture import document, object_event


def event_payload(serial: int, **extra: Any) -> bytes:
    return orjson.dumps(object_event(serial, **extra))


def document_payload(*serials: int) -> bytes:
    return document(*(object_event(s) for s in serials))


async def run_until(runner: Runner, done: Callable[[], bool], timeout: float = 10.0) -> None:
    """Run the runner until `done()` (checked every few ms), then stop it; fail after `timeout`."""
    stop = asyncio.Event()
    task = asyncio.create_task(runner.run(stop))
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    try:
        while not done():
            if task.done():
                task.result()
                raise AssertionError("the runner stopped by itself")
            if loop.time() > deadline:
                raise AssertionError(f"not done after {timeout}s: {runner.counters.snapshot()}")
            await asyncio.sleep(0.002)
    finally:
        stop.set()
        await asyncio.wait_for(task, 5)
