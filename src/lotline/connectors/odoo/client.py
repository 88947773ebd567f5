"""Calling Odoo model methods over JSON-2 (Odoo 19+) or JSON-RPC execute_kw (Odoo 17, 18).

JSON-2 (Odoo 19.0 docs, "External JSON-2 API"): `POST /json/2/<model>/<method>` with
`Authorization: bearer <api key>`, `X-Odoo-Database: <db>` when the server hosts several, and the method's
arguments as a JSON object of named arguments (`ids`, `domain`, `fields`, `vals_list`, ...). The answer is
the method's return value as JSON; an error is a JSON object (`name`, `message`, `arguments`, `debug`)
with an HTTP status: 401 bad key, 403 access error, 404 unknown model/method/record, 422 user or
validation error, 500 anything else.

JSON-RPC (Odoo 17.0 docs, "External API"): `POST /jsonrpc` with `{"jsonrpc": "2.0", "method": "call",
"params": {"service": "object", "method": "execute_kw", "args": [db, uid, key, model, method, args,
kwargs]}}`; the uid comes from `common.authenticate`. Errors come back with HTTP 200 and an `error` member
(`data.name` is the Python exception, e.g. odoo.exceptions.AccessDenied).

Both give the same `call(model, method, **named)`: for JSON-RPC, `ids` becomes the first positional
argument (record methods) and the rest go as kwargs.
"""

from __future__ import annotations

import re
from typing import Any

import httpx

from lotline.connectors.erpkit.errors import ErpAuthError, ErpRejected, ErpSchemaError
from lotline.connectors.erpkit.http import HttpApi, Secret, snippet
from lotline.connectors.odoo.config import OdooConfig

_INVALID_FIELD = re.compile(r"Invalid field '?([\w.]+)'? on model '?([\w.]+)'?")


class OdooClient(HttpApi):
    system = "Odoo"

    def __init__(self, config: OdooConfig, transport: httpx.AsyncBaseTransport | None = None) -> None:
        super().__init__(config.url, config.timeout, transport)
        self.config = config
        inline = config.api_key.get_secret_value() if config.api_key else None
        self.key = Secret(inline, config.api_key_file, "Odoo API key")
        self._uid: int | None = None
        self._fields: dict[str, set[str]] = {}
        self._rpc_id = 0

    async def call(self, model: str, method: str, **named: Any) -> Any:
        """Run `model.method(**named)` on the server; one retry after re-reading a refused key."""
        for attempt in (1, 2):
            try:
                if self.config.protocol == "json2":
                    return await self._json2(model, method, named)
                return await self._jsonrpc(model, method, named)
            except ErpAuthError:
                self._uid = None
                if attempt == 2 or not self.key.reload():
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    async def require_fields(self, model: str, *fields: str) -> None:
        """ErpSchemaError unless `model` has every field. Odoo's create() ignores unknown fields with only a
        server-side warning, so the connector checks before it writes (fields_get, once per connection)."""
        known = self._fields.get(model)
        if known is None:
            known = self._fields[model] = set(await self.call(model, "fields_get", attributes=["type"]))
        for name in fields:
            if name not in known:
                raise ErpSchemaError(
                    f"Odoo model {model} has no field {name!r} (a different Odoo version or a missing custom "
                    f"field?); its fields include {', '.join(sorted(known)[:12])}",
                    field=f"{model}.{name}",
                )

    async def ping(self) -> str:
        """Count the users: a cheap authenticated call, for the connectors' check()."""
        await self.call("res.users", "search_count", domain=[])
        return f"Odoo at {self.config.url} ({self.config.protocol})"

    async def aclose(self) -> None:
        self._fields.clear()
        await super().aclose()

    # --- JSON-2 ---------------------------------------------------------------------------------------

    async def _json2(self, model: str, method: str, named: dict[str, Any]) -> Any:
        headers = {"Authorization": f"bearer {self.key.get()}"}
        if self.config.database:
            headers["X-Odoo-Database"] = self.config.database
        response = await self.raw("POST", f"/json/2/{model}/{method}", json=named, headers=headers)
        if response.status_code == 200:
            return response.json()
        error = _error_body(response)
        message = str(error.get("message") or snippet(response))
        if response.status_code == 401:
            raise ErpAuthError(f"Odoo refused the API key (401): {message}")
        raise _rejected(f"Odoo {model}.{method} answered {response.status_code}", message)

    # --- JSON-RPC -------------------------------------------------------------------------------------

    async def _rpc(self, service: str, method: str, args: list[Any]) -> Any:
        self._rpc_id += 1
        body = {
            "jsonrpc": "2.0",
            "method": "call",
            "params": {"service": service, "method": method, "args": args},
            "id": self._rpc_id,
        }
        response = await self.raw("POST", "/jsonrpc", json=body)
        if response.status_code != 200:
            raise ErpRejected(f"Odoo /jsonrpc answered {response.status_code}: {snippet(response)}")
        answer = response.json()
        if "error" in answer:
            data = answer["error"].get("data") or {}
            name, message = str(data.get("name", "")), str(data.get("message") or answer["error"])
            if name.endswith("AccessDenied") or name.endswith("SessionExpiredException"):
                raise ErpAuthError(f"Odoo refused the credentials: {message}")
            raise _rejected(f"Odoo {service}.{method} failed ({name})", message)
        return answer.get("result")

    async def _jsonrpc(self, model: str, method: str, named: dict[str, Any]) -> Any:
        if not self.config.database or not self.config.login:
            raise ErpAuthError("protocol jsonrpc needs `database` and `login`")
        if self._uid is None:
            uid = await self._rpc(
                "common", "authenticate", [self.config.database, self.config.login, self.key.get(), {}]
            )
            if not uid:
                raise ErpAuthError(f"Odoo refused login {self.config.login!r} with the API key")
            self._uid = int(uid)
        kwargs = dict(named)
        args = [kwargs.pop("ids")] if "ids" in kwargs else []
        return await self._rpc(
            "object",
            "execute_kw",
            [self.config.database, self._uid, self.key.get(), model, method, args, kwargs],
        )


def _error_body(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _rejected(prefix: str, message: str) -> ErpRejected:
    found = _INVALID_FIELD.search(message)
    if found:
        return ErpSchemaError(f"{prefix}: {message}", field=f"{found.group(2)}.{found.group(1)}")
    return ErpRejected(f"{prefix}: {message}")
