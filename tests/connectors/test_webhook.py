"""The webhook sink against a real HTTP receiver on loopback: conformance, signatures, answers."""

from __future__ import annotations

import asyncio
import email.utils
import time
from collections.abc import Sequence

import pytest

from lotline.connectors import Outbound, Sink
from lotline.connectors.webhook import (
    WebhookConfig,
    WebhookSink,
    gs1_signature,
    lotline_signature,
    verify_gs1_signature,
    verify_lotline_signature,
)
from lotline.connectors.wrappers import RetryPolicy, resilient
from tests.conformance.harness import SinkHarness
from tests.conformance.sink_suite import SinkConformance
from tests.outbound.receiver import Receiver


class WebhookHarness(SinkHarness):
    def __init__(self) -> None:
        self.receiver = Receiver()

    async def start(self) -> None:
        await self.receiver.start()

    async def stop(self) -> None:
        await self.receiver.stop()

    async def make_sink(self) -> Sink:
        return WebhookSink(WebhookConfig(url=self.receiver.url, secret="s"))

    async def received(self) -> Sequence[bytes]:
        return [post.body for post in self.receiver.posts]

    async def make_unreachable_sink(self) -> Sink:
        return WebhookSink(WebhookConfig(url="http://127.0.0.1:1/hook", timeout=2))


class TestWebhookSink(SinkConformance):
    @pytest.fixture
    def harness(self) -> SinkHarness:
        return WebhookHarness()


def _run(body: object) -> None:
    async def case() -> None:
        receiver = Receiver()
        await receiver.start()
        try:
            await asyncio.wait_for(body(receiver), 20)  # type: ignore[operator]
        finally:
            await receiver.stop()

    asyncio.run(case())


def test_lotline_signature_covers_timestamp_and_body() -> None:
    signature = lotline_signature("k", 1_700_000_000, b"{}")
    assert signature.startswith("sha256=") and len(signature) == 7 + 64
    assert verify_lotline_signature("k", "1700000000", b"{}", signature, now=1_700_000_010)
    assert not verify_lotline_signature("k", "1700000000", b"{ }", signature, now=1_700_000_010)
    assert not verify_lotline_signature("k", "1700000001", b"{}", signature, now=1_700_000_010)
    assert not verify_lotline_signature("k", "1700000000", b"{}", signature, now=1_700_009_999), "too old"


def test_gs1_signature_is_the_hex_hmac_sha256_of_the_body() -> None:
    import hashlib
    import hmac

    expected = hmac.new(b"token", b'{"a":1}', hashlib.sha256).hexdigest()
    assert gs1_signature("token", b'{"a":1}') == expected
    assert verify_gs1_signature("token", b'{"a":1}', expected.upper())


def test_headers_carry_the_idempotency_key_and_the_signature() -> None:
    async def body(receiver: Receiver) -> None:
        sink = WebhookSink(WebhookConfig(url=receiver.url, secret="s", headers={"X-Plant": "a"}))
        async with sink:
            result = await sink.send([Outbound("k-1", b'{"x":1}', headers={"X-Extra": "1"})])
        assert result.ok
        [post] = receiver.posts
        assert post.key == "k-1" and post.headers["x-plant"] == "a" and post.headers["x-extra"] == "1"
        assert verify_lotline_signature(
            "s", post.headers["x-lotline-timestamp"], post.body, post.headers["x-lotline-signature"]
        )

    _run(body)


def test_answers_are_classified() -> None:
    async def body(receiver: Receiver) -> None:
        date = email.utils.formatdate(time.time() + 30, usegmt=True)
        receiver.answers = [(429, {"Retry-After": "7"}), (503, {"Retry-After": date}), (500, {}), (404, {})]
        async with WebhookSink(WebhookConfig(url=receiver.url)) as sink:
            limited, unavailable, error, missing, ok = [
                await sink.attempt(Outbound(f"k{i}", b"{}")) for i in range(5)
            ]
        assert not limited.permanent and limited.retry_after == 7 and limited.status == 429
        assert unavailable.retry_after is not None and 25 < unavailable.retry_after <= 30
        assert not error.permanent and error.reason.startswith("HTTP 500")
        assert missing.permanent and missing.status == 404
        assert ok.delivered

    _run(body)


def test_a_partial_batch_failure_reports_per_key_and_the_retry_wrapper_resends_only_the_failed() -> None:
    async def body(receiver: Receiver) -> None:
        receiver.answers = [(200, {}), (500, {})]  # the second message fails once
        sink = resilient(
            WebhookSink(WebhookConfig(url=receiver.url)), name="hook", retry=RetryPolicy(3, 0, 0)
        )
        async with sink:  # type: ignore[attr-defined]
            result = await sink.send([Outbound(f"k{i}", f'{{"n":{i}}}'.encode()) for i in range(3)])
        assert result.ok and sorted(result.delivered) == ["k0", "k1", "k2"]
        assert receiver.keys() == ["k0", "k1", "k2", "k1"]

    _run(body)


def test_an_unreachable_target_is_reported_without_hammering_it() -> None:
    async def body() -> None:
        sink = WebhookSink(WebhookConfig(url="http://127.0.0.1:1/hook", timeout=2))
        async with sink:
            result = await sink.send([Outbound("a", b"{}"), Outbound("b", b"{}")])
        assert result.delivered == ()
        assert result.failed["b"].startswith("not attempted")

    asyncio.run(body())
