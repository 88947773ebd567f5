"""The HTTP side every ERP client shares: one httpx.AsyncClient, transport errors, 429 and 5xx turned into
ErpUnavailable (with the Retry-After hint), secrets that can be re-read when the ERP says they expired.

Retrying is not done here: the engine's wrappers (`lotline.connectors.wrappers`) retry ErpUnavailable
with backoff and jitter and honour `retry_after`. A client only repeats a request once for a protocol
step (a refreshed token, a fresh CSRF token), never in a loop.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from lotline.connectors.erpkit.errors import ErpAuthError, ErpUnavailable
from lotline.connectors.wrappers.retry import retry_after_seconds

TRANSIENT_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})


class Secret:
    """A credential given inline or as a file (a mounted secret); `reload()` re-reads the file after the
    ERP refused the old value, so a rotated key is picked up without a restart."""

    def __init__(self, value: str | None, file: Path | None, what: str) -> None:
        if value is None and file is None:
            raise ErpAuthError(f"no {what}: give it inline or as a file")
        self._inline = value
        self._file = file
        self.what = what
        self._value = value if value is not None else self._read()

    def _read(self) -> str:
        assert self._file is not None
        try:
            return self._file.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ErpAuthError(f"cannot read the {self.what} from {self._file}: {exc}") from None

    def get(self) -> str:
        return self._value

    def reload(self) -> bool:
        """Re-read the file; True if the value changed (worth one more try)."""
        if self._file is None:
            return False
        fresh = self._read()
        changed, self._value = fresh != self._value, fresh
        return changed


class HttpApi:
    """An ERP's base URL with one pooled async client. Subclasses add auth and the vendor protocol."""

    system = "ERP"

    def __init__(
        self, base_url: str, timeout: float, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._transport = transport
        self._client: httpx.AsyncClient | None = None

    @property
    def client(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(
                base_url=self.base_url, timeout=self.timeout, transport=self._transport
            )
        return self._client

    async def aclose(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await client.aclose()

    async def raw(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """One request; ErpUnavailable for no answer, 429, 408 and 5xx. Other statuses are returned."""
        try:
            response = await self.client.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            raise ErpUnavailable(
                f"{self.system} at {self.base_url} did not answer {method} {path}: {type(exc).__name__}: {exc}"
            ) from exc
        if response.status_code in TRANSIENT_STATUS:
            raise ErpUnavailable(
                f"{self.system} answered {response.status_code} to {method} {path}: {_snippet(response)}",
                status=response.status_code,
                retry_after=retry_after_seconds(response.headers.get("Retry-After")),
            )
        return response


def _snippet(response: httpx.Response, limit: int = 200) -> str:
    text = response.text.strip().replace("\n", " ")
    return text[:limit] + ("…" if len(text) > limit else "")


def snippet(response: httpx.Response) -> str:
    """The start of a response body, one line, for error messages."""
    return _snippet(response)
