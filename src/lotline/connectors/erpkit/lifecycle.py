"""The client lifecycle an ERP source and sink share, around the ERP's client class (`client_type`):

    __init__:  a client made at once, so a config the client refuses (no secret) fails at construction
    open:      a fresh client (connect() after close() starts clean)
    shut:      closes it
    probe:     `ping` on a client of its own, closed again whatever happens; its answer is the detail
    check:     probe, with any error turned into a not-ok Check (check never raises)

`PollingSource` and `CommandSink` add connect/close and the reading or writing on top.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, Protocol, TypeVar

import httpx

from lotline.connectors.base import Check, Lifecycle


class ErpClient(Protocol):
    """What the lifecycle needs of an ERP's client (an `HttpApi` subclass)."""

    async def ping(self) -> str:
        """A cheap authenticated call; says what answered (the healthy check's detail)."""
        ...

    async def aclose(self) -> None: ...


ConfigT = TypeVar("ConfigT")
ClientT = TypeVar("ClientT", bound=ErpClient)


class ClientLifecycle(Lifecycle, Generic[ConfigT, ClientT]):
    """Owns the client of an ERP source or sink. Subclasses set `client_type` (the client class)."""

    #: Makes a client from the config and the transport: the ERP's client class.
    client_type: Callable[[ConfigT, httpx.AsyncBaseTransport | None], ClientT]

    def __init__(self, config: ConfigT, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.config = config
        self._transport = transport
        self.client = self.new_client()

    def new_client(self) -> ClientT:
        return self.client_type(self.config, self._transport)

    async def ping(self, client: ClientT) -> str:
        """The probe's call; by default the client's own `ping`."""
        return await client.ping()

    async def open(self) -> None:
        self.client = self.new_client()

    async def shut(self) -> None:
        await self.client.aclose()

    async def probe(self) -> Check:
        client = self.new_client()
        try:
            detail = await self.ping(client)
        finally:
            await client.aclose()
        return Check(True, detail)

    async def check(self) -> Check:
        try:
            return await self.probe()
        except Exception as exc:
            return Check(False, f"{type(exc).__name__}: {exc}")
