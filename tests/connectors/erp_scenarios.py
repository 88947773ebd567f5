"""The scenarios every ERP sink goes through, run the same way for Odoo, ERPNext and SAP: a batch sent,
429/5xx retried with the waits recorded, a changed schema parked, an outage waited out, the registry
building source and sink. Each asserts what holds for every ERP; the ERP's own test module sets the fake
up and asserts what the fake holds afterwards."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Sequence
from typing import Any

from lotline.connectors import Outbound, Registry, SendResult, Sink, Source
from lotline.connectors.wrappers import CircuitBreaker, DeadLetter, RetryPolicy, resilient
from tests.connectors.erp_support import Parked, no_sleep
from tests.fakes.server import LiveServer


def sent(sink: Sink, *batches: Sequence[Outbound]) -> SendResult:
    """Connect, send the batches one after the other, close: what the last send returned."""

    async def scenario() -> SendResult:
        await sink.connect()
        try:
            results = [await sink.send(batch) for batch in batches]
        finally:
            await sink.close()
        return results[-1]

    return asyncio.run(scenario())


def recording_waits(
    sink: Sink, name: str, *, max_attempts: int = 5, max_delay: float = 5
) -> tuple[Sink, list[float]]:
    """The sink behind the retry wrapper, which records its backoff waits instead of sleeping them."""
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    retry = RetryPolicy(max_attempts=max_attempts, base_delay=0.01, max_delay=max_delay)
    return resilient(sink, name=name, retry=retry, sleep=sleep), waits


def parked_on_a_schema_error(sink: Sink, name: str, item: Outbound) -> tuple[SendResult, DeadLetter]:
    """`item` through two attempts and the dead-letter wrapper, the ERP's schema having changed: the key
    fails and its original payload is parked with the ErpSchemaError. The result and the letter."""
    parked = Parked()
    retry = RetryPolicy(max_attempts=2, base_delay=0)
    result = sent(resilient(sink, name=name, retry=retry, park=parked, sleep=no_sleep), [item])
    [letter] = parked.letters
    assert letter.payload == item.payload and "ErpSchemaError" in letter.error
    return result, letter


def delivered_through_an_outage(
    fake: Any, sink_at: Callable[[str], Sink], name: str, batch: Sequence[Outbound]
) -> SendResult:
    """Over a real socket: the first item is delivered, the server goes away for half a second, the wrappers
    retry (breaker open, half-open trials) the whole batch until it is back. Every key is delivered."""
    server = LiveServer(fake.app)
    server.start()

    async def scenario() -> SendResult:
        sink = resilient(
            sink_at(server.url),
            name=name,
            breaker=CircuitBreaker(name, failure_threshold=2, reset_after=0.1),
            retry=RetryPolicy(max_attempts=30, base_delay=0.02, max_delay=0.1),
        )
        await sink.connect()
        try:
            assert (await sink.send(batch[:1])).ok
            server.stop()
            threading.Timer(0.5, server.start).start()
            return await sink.send(batch)
        finally:
            await sink.close()

    try:
        result = asyncio.run(scenario())
    finally:
        server.stop()
    assert result.ok and sorted(result.delivered) == sorted(item.key for item in batch)
    return result


def built_by_registry(kind: str, options: dict[str, object]) -> tuple[Source, Sink]:
    """The kind's source and sink as the registry builds them from a config alone."""
    spec = Registry.discover().get(kind)
    config = spec.config.model_validate(options)
    assert spec.source is not None and spec.sink is not None
    source, sink = spec.source(config), spec.sink(config)
    assert isinstance(source, Source) and isinstance(sink, Sink)
    return source, sink
