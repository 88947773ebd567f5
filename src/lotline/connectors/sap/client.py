"""SAP S/4HANA OData V2 as the services document it (SAP API Business Hub; OData V2 JSON format):

- auth: OAuth2 client credentials (`POST token_url`, `grant_type=client_credentials`, answer with
  `access_token` and `expires_in`; refreshed before expiry and after a 401) or HTTP basic;
- reads: `GET <service>/<EntitySet>?$filter=...&$orderby=...&$top=&$skip=` -> `{"d": {"results": [...],
  "__next": "..."}}` (server-driven paging follows `__next`); Edm.DateTimeOffset is `/Date(ms+0000)/`;
- writes: fetch a CSRF token with `x-csrf-token: Fetch` on a GET, then POST with the token and the session
  cookies; a stale token answers 403 with `x-csrf-token: Required` -> fetch again and retry once;
- errors: `{"error": {"code", "message": {"lang", "value"}, "innererror"}}` with a 4xx status.
"""

from __future__ import annotations

import base64
import re
import time
from datetime import UTC, datetime
from typing import Any

import httpx

from lotline.connectors.erpkit.errors import ErpAuthError, ErpRejected, ErpSchemaError
from lotline.connectors.erpkit.http import HttpApi, Secret, snippet
from lotline.connectors.sap.config import SapConfig

ROOT = "/sap/opu/odata/sap"
_DATE = re.compile(r"/Date\((-?\d+)(?:[+-]\d+)?\)/")
_PROPERTY = re.compile(r"[Pp]roperty '?([A-Za-z_]\w*)'? (?:is invalid|not found|does not exist)")


def parse_date(value: str) -> str:
    """`/Date(1764576900000+0000)/` as `2025-12-01T08:15:00.000Z` (sortable, and usable in $filter)."""
    found = _DATE.fullmatch(value)
    if not found:
        raise ErpSchemaError(f"not an OData V2 date: {value!r}", field="(date)")
    when = datetime.fromtimestamp(int(found.group(1)) / 1000, UTC)
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


class SapClient(HttpApi):
    system = "SAP S/4HANA"

    def __init__(self, config: SapConfig, transport: httpx.AsyncBaseTransport | None = None) -> None:
        super().__init__(config.url, config.timeout, transport)
        self.config = config
        inline = config.password if config.auth == "basic" else config.client_secret
        self.secret = Secret(
            inline.get_secret_value() if inline else None, config.client_secret_file, "SAP secret"
        )
        self._token: str | None = None
        self._token_expires = 0.0
        self._csrf: dict[str, str] = {}  # service -> token

    # --- auth -------------------------------------------------------------------------------------

    async def _auth(self) -> dict[str, str]:
        if self.config.auth == "basic":
            if not self.config.username:
                raise ErpAuthError("auth basic needs `username`")
            pair = f"{self.config.username}:{self.secret.get()}".encode()
            return {"Authorization": "Basic " + base64.b64encode(pair).decode("ascii")}
        if self._token is None or time.monotonic() > self._token_expires - 30:
            await self._fetch_token()
        return {"Authorization": f"Bearer {self._token}"}

    async def _fetch_token(self) -> None:
        if not (self.config.token_url and self.config.client_id):
            raise ErpAuthError("auth oauth2 needs `token_url` and `client_id`")
        for attempt in (1, 2):
            response = await self.raw(
                "POST",
                self.config.token_url,
                data={"grant_type": "client_credentials"},
                auth=(self.config.client_id, self.secret.get()),
            )
            if response.status_code != 401 or attempt == 2 or not self.secret.reload():
                break
        if response.status_code != 200:
            raise ErpAuthError(
                f"the OAuth2 token endpoint answered {response.status_code}: {snippet(response)}"
            )
        body = response.json()
        self._token = str(body["access_token"])
        self._token_expires = time.monotonic() + float(body.get("expires_in", 3600))
        self._csrf.clear()  # a CSRF token belongs to the session of the old token

    def _params(self, params: dict[str, Any] | None = None) -> dict[str, Any]:
        merged = dict(params or {})
        if self.config.sap_client:
            merged["sap-client"] = self.config.sap_client
        return merged

    async def _send(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """One request with auth: after a 401, a new token (or re-read secret) and one more try."""
        headers = dict(kwargs.pop("headers", {}))
        for attempt in (1, 2):
            response = await self.raw(method, url, headers={**headers, **await self._auth()}, **kwargs)
            if response.status_code != 401:
                return response
            self._token = None
            self._csrf.clear()
            if attempt == 2 or (self.config.auth == "basic" and not self.secret.reload()):
                break
        raise ErpAuthError(f"SAP refused the credentials (401) for {method} {url}")

    # --- OData ------------------------------------------------------------------------------------

    async def ping(
        self, service: str = "API_PRODUCTION_ORDER_2_SRV", path: str = "A_ProductionOrder_2"
    ) -> str:
        """One entity of `service`: a cheap authenticated call, for the connectors' check()."""
        await self.get(service, path, {"$top": 1})
        return f"SAP S/4HANA at {self.config.url} ({self.config.auth})"

    async def get(self, service: str, path: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        """Every entity the query yields, following `__next` links (server-driven paging)."""
        url: str | None = f"{ROOT}/{service}/{path}"
        query: dict[str, Any] | None = self._params({**params, "$format": "json"})
        results: list[dict[str, Any]] = []
        while url:
            response = await self._send("GET", url, params=query, headers={"Accept": "application/json"})
            if response.status_code != 200:
                raise _rejected("GET", f"{service}/{path}", response)
            body = response.json()["d"]
            results.extend(body.get("results", [body]))
            url, query = body.get("__next"), None
        return results

    async def post(self, service: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """Create an entity: with a CSRF token, fetched again once when the server says it is stale."""
        url = f"{ROOT}/{service}/{path}"
        for attempt in (1, 2):
            token = self._csrf.get(service) or await self._fetch_csrf(service)
            headers = {"x-csrf-token": token, "Accept": "application/json"}
            response = await self._send("POST", url, params=self._params(), json=body, headers=headers)
            if response.status_code == 403 and response.headers.get("x-csrf-token", "").lower() == "required":
                self._csrf.pop(service, None)
                if attempt == 1:
                    continue
            if response.status_code not in (200, 201):
                raise _rejected("POST", f"{service}/{path}", response)
            created: dict[str, Any] = response.json()["d"]
            return created
        raise AssertionError("unreachable")  # pragma: no cover

    async def _fetch_csrf(self, service: str) -> str:
        response = await self._send(
            "GET", f"{ROOT}/{service}/", params=self._params(), headers={"x-csrf-token": "Fetch"}
        )
        token = str(response.headers.get("x-csrf-token") or "")
        if response.status_code != 200 or not token:
            raise ErpRejected(f"SAP gave no CSRF token for {service} ({response.status_code})")
        self._csrf[service] = token
        return token


def _rejected(method: str, where: str, response: httpx.Response) -> ErpRejected:
    try:
        error = response.json()["error"]
        text = f"{error.get('code', '')}: {error['message']['value']}"
    except (ValueError, KeyError, TypeError):
        text = snippet(response)
    message = f"SAP {method} {where} answered {response.status_code}: {text}"
    found = _PROPERTY.search(text)
    if found:
        return ErpSchemaError(message, field=f"{where.split('?')[0]}.{found.group(1)}")
    return ErpRejected(message)
