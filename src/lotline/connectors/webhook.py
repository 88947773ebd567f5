"""Webhooks out: each outbound message is one signed HTTP POST, with its idempotency key in a header.

    POST <url>
    Content-Type: application/json
    Idempotency-Key: <Outbound.key>              same key on every retry of the same message
    X-Lotline-Timestamp: 1764590000              unix seconds when this attempt was signed
    X-Lotline-Signature: sha256=<hex>            HMAC-SHA256(secret, f"{timestamp}." + body)

The receiver recomputes the HMAC over the timestamp, a dot and the raw body, compares in constant time,
and refuses timestamps older than a few minutes (a captured request cannot be replayed later). The
`gs1` signature style is what EPCIS 2.0 query subscriptions use: `GS1-Signature: <hex>` =
HMAC-SHA256(signatureToken, body), no timestamp (the REST binding leaves the scheme to the implementation
and names HMAC-SHA256 as the example).

Answers: 2xx delivered; 408, 425, 429 and 5xx (and connection errors, timeouts) are worth retrying, with
the `Retry-After` hint when the target gives one; every other 4xx is permanent (the target refuses this
message: dead-letter it, fix, replay). Delivery is at least once: a target that honours `Idempotency-Key`
sees every message exactly once.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import Field

from lotline.connectors.base import Check, ConnectorConfig, ConnectorSpec, Lifecycle, Outbound, SendResult
from lotline.connectors.wrappers.retry import retry_after_seconds

__all__ = [
    "SPEC",
    "Attempt",
    "WebhookConfig",
    "WebhookSink",
    "gs1_signature",
    "lotline_signature",
    "verify_gs1_signature",
    "verify_lotline_signature",
]

RETRYABLE_STATUS = frozenset({408, 425, 429})
MAX_REASON = 300  # characters of the target's answer kept in a failure reason


class WebhookConfig(ConnectorConfig):
    """Deliver each outbound message as one signed HTTP POST (webhooks, EPCIS subscriptions)."""

    url: str = Field(description="The target URL (http or https) every message is POSTed to.")
    secret: str | None = Field(
        default=None,
        description="HMAC-SHA256 key for the signature header; unsigned when unset. Put it in an environment "
        "override, not in the file.",
    )
    signature: Literal["lotline", "gs1"] = Field(
        default="lotline",
        description="`lotline`: X-Lotline-Signature `sha256=<hex>` over `<timestamp>.<body>` with "
        "X-Lotline-Timestamp; `gs1`: GS1-Signature `<hex>` over the body (EPCIS 2.0 subscriptions).",
    )
    content_type: str = Field(default="application/json", description="The Content-Type of every POST.")
    headers: dict[str, str] = Field(default_factory=dict, description="Extra headers sent with every POST.")
    timeout: float = Field(default=10.0, gt=0, description="Seconds to wait for connect and for the answer.")


def lotline_signature(secret: str, timestamp: int, body: bytes) -> str:
    """The X-Lotline-Signature value: `sha256=` and the hex HMAC-SHA256 of `<timestamp>.<body>`."""
    mac = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify_lotline_signature(
    secret: str,
    timestamp: str,
    body: bytes,
    signature: str,
    *,
    tolerance: float = 300.0,
    now: float | None = None,
) -> bool:
    """What a receiver does: check the HMAC (constant time) and that the timestamp is recent."""
    try:
        stamp = int(timestamp)
    except ValueError:
        return False
    if abs((time.time() if now is None else now) - stamp) > tolerance:
        return False
    return hmac.compare_digest(lotline_signature(secret, stamp, body), signature)


def gs1_signature(token: str, body: bytes) -> str:
    """The GS1-Signature value: the hex HMAC-SHA256 of the body, keyed with the subscription's token."""
    return hmac.new(token.encode(), body, hashlib.sha256).hexdigest()


def verify_gs1_signature(token: str, body: bytes, signature: str) -> bool:
    return hmac.compare_digest(gs1_signature(token, body), signature.strip().lower())


@dataclass(frozen=True, slots=True)
class Attempt:
    """The outcome of one POST: delivered, or why not and whether trying again can help."""

    key: str
    delivered: bool
    reason: str = ""
    permanent: bool = False  # the target refused this message (4xx): retrying cannot help
    retry_after: float | None = None  # the target's Retry-After, in seconds
    status: int | None = None


class WebhookSink(Lifecycle):
    """POSTs one message per request, in batch order. `attempt()` gives the typed outcome of one message;
    `send()` reports a batch as the Sink protocol wants (partial failures per key)."""

    def __init__(self, config: WebhookConfig) -> None:
        self.config = config
        self._client: Any = None

    async def connect(self) -> None:
        if self._client is not None:
            return
        import httpx

        self._client = httpx.AsyncClient(timeout=self.config.timeout, follow_redirects=False)

    async def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await client.aclose()

    async def check(self) -> Check:
        """Reachable when the target answers an OPTIONS request at all (any status)."""
        import httpx

        try:
            async with httpx.AsyncClient(timeout=self.config.timeout) as client:
                response = await client.options(self.config.url)
        except httpx.HTTPError as exc:
            return Check(False, f"{self.config.url} is unreachable: {type(exc).__name__}: {exc}".strip())
        return Check(True, f"{self.config.url} answers (HTTP {response.status_code})")

    async def send(self, batch: Sequence[Outbound]) -> SendResult:
        delivered: list[str] = []
        failed: dict[str, str] = {}
        unreachable: str | None = None
        for item in batch:
            if unreachable is not None:  # do not hammer a target that is not there
                failed[item.key] = f"not attempted: {unreachable}"
                continue
            outcome = await self.attempt(item)
            if outcome.delivered:
                delivered.append(item.key)
                continue
            failed[item.key] = outcome.reason
            if outcome.status is None:
                unreachable = outcome.reason
        return SendResult(tuple(delivered), failed)

    async def attempt(self, item: Outbound) -> Attempt:
        """POST one message and classify the answer (never raises for HTTP or connection failures)."""
        import httpx

        await self.connect()
        headers = self.headers_for(item)
        try:
            response = await self._client.post(self.config.url, content=item.payload, headers=headers)
        except httpx.HTTPError as exc:
            return Attempt(item.key, False, f"{type(exc).__name__}: {exc}".strip(": "))
        status = response.status_code
        if 200 <= status < 300:
            return Attempt(item.key, True, status=status)
        text = response.text[:MAX_REASON].strip()
        reason = f"HTTP {status}" + (f": {text}" if text else "")
        retry_after = retry_after_seconds(response.headers.get("retry-after"))
        permanent = 400 <= status < 500 and status not in RETRYABLE_STATUS
        return Attempt(item.key, False, reason, permanent, retry_after, status)

    def headers_for(self, item: Outbound, now: float | None = None) -> dict[str, str]:
        headers = {
            "Content-Type": self.config.content_type,
            **self.config.headers,
            **dict(item.headers),
            "Idempotency-Key": item.key,
        }
        secret = self.config.secret
        if secret:
            if self.config.signature == "gs1":
                headers["GS1-Signature"] = gs1_signature(secret, item.payload)
            else:
                stamp = int(time.time() if now is None else now)
                headers["X-Lotline-Timestamp"] = str(stamp)
                headers["X-Lotline-Signature"] = lotline_signature(secret, stamp, item.payload)
        return headers


SPEC = ConnectorSpec(
    kind="webhook",
    config=WebhookConfig,
    summary="Signed HTTP POST per message (HMAC-SHA256, Idempotency-Key); 429/5xx retried, 4xx dead-lettered.",
    sink=WebhookSink,
)
