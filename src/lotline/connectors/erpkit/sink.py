"""The command sink every ERP connector uses: one canonical command per Outbound, applied idempotently.

For each item: parse the command (CommandError names the field), then `apply(reference, command)`, where
`reference` is the Outbound key made to fit the ERP's reference field. The ERP sink looks for a document
carrying the reference first and only creates one when there is none, so a retried send never posts twice.

- ErpRejected (the ERP refused this document, or its schema changed): the key is reported failed with
  the reason; the others go on. The engine's retry wrapper retries failed keys and its dead-letter wrapper
  parks what still fails, with the original payload.
- ErpUnavailable (no answer, 429, 5xx) and ErpAuthError propagate: the whole batch is retried by the
  wrapper (documents already posted are found by their reference and reported delivered, not re-posted).
"""

from __future__ import annotations

import hashlib
from abc import abstractmethod
from collections.abc import Sequence

import httpx

from lotline.connectors.base import Outbound, SendResult
from lotline.connectors.erpkit.commands import Command, parse_command
from lotline.connectors.erpkit.errors import ErpRejected
from lotline.connectors.erpkit.lifecycle import ClientLifecycle, ClientT, ConfigT


def reference_for(key: str, max_length: int) -> str:
    """The key itself when it fits the ERP's reference field, else `ll-` and a digest of it."""
    if len(key) <= max_length:
        return key
    return "ll-" + hashlib.sha256(key.encode()).hexdigest()[: max_length - 3]


class CommandSink(ClientLifecycle[ConfigT, ClientT]):
    """Base of the ERP sinks, built from the ERP's config. Subclasses set `client_type` and implement
    `apply`."""

    #: Longest reference the ERP's reference field takes.
    reference_length: int = 64

    def __init__(self, config: ConfigT, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self._connected = False
        super().__init__(config, transport)

    @abstractmethod
    async def apply(self, reference: str, command: Command) -> None:
        """Post the command unless a document with `reference` exists already."""

    async def connect(self) -> None:
        if not self._connected:
            await self.open()
            self._connected = True

    async def close(self) -> None:
        if self._connected:
            self._connected = False
            await self.shut()

    async def send(self, batch: Sequence[Outbound]) -> SendResult:
        if not batch:
            return SendResult()
        await self.connect()
        delivered: list[str] = []
        failed: dict[str, str] = {}
        for item in batch:
            try:
                command = parse_command(item.payload)
                await self.apply(reference_for(item.key, self.reference_length), command)
            except ErpRejected as exc:
                failed[item.key] = f"{type(exc).__name__}: {exc}"
                continue
            delivered.append(item.key)
        return SendResult(tuple(delivered), failed)
