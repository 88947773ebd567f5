"""The Frappe REST API as ERPNext v15 documents it (Frappe Framework docs, "REST API"):

- `Authorization: token <api_key>:<api_secret>`;
- `GET /api/resource/<DocType>?fields=[...]&filters=[...]&order_by=...&limit_start=&limit_page_length=`
  -> `{"data": [...]}`; `GET /api/resource/<DocType>/<name>` -> `{"data": {...}}`;
- `POST /api/resource/<DocType>` with the document (docstatus 1 inserts and submits) -> `{"data": doc}`;
  `PUT /api/resource/<DocType>/<name>` with the changed fields;
- errors: 401/403 (AuthenticationError, PermissionError), 404 DoesNotExistError, 409 DuplicateEntryError,
  417 ValidationError and friends, with `exc_type`, `exception` and `_server_messages` (a JSON list of JSON
  objects with a `message`).
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import quote

import httpx

from lotline.connectors.erpkit.errors import ErpAuthError, ErpRejected, ErpSchemaError
from lotline.connectors.erpkit.http import HttpApi, Secret, snippet
from lotline.connectors.erpnext.config import ErpNextConfig

_FIELD = re.compile(r"(?:Unknown column|Field not permitted in query|unknown field)[:\s]+'?`?([\w.]+)", re.I)


class ErpNextClient(HttpApi):
    system = "ERPNext"

    def __init__(self, config: ErpNextConfig, transport: httpx.AsyncBaseTransport | None = None) -> None:
        super().__init__(config.url, config.timeout, transport)
        self.config = config
        inline = config.api_secret.get_secret_value() if config.api_secret else None
        self.secret = Secret(inline, config.api_secret_file, "ERPNext API secret")
        self._fields: dict[str, set[str]] = {}

    async def request(self, method: str, path: str, **kwargs: Any) -> Any:
        """The `data` of a successful answer; one retry after re-reading a refused secret."""
        for attempt in (1, 2):
            headers = {"Authorization": f"token {self.config.api_key}:{self.secret.get()}"}
            response = await self.raw(method, path, headers=headers, **kwargs)
            if response.status_code in (401, 403) and _exc_type(response) in ("AuthenticationError", ""):
                if attempt == 1 and self.secret.reload():
                    continue
                raise ErpAuthError(f"ERPNext refused the API key and secret ({response.status_code})")
            if response.status_code >= 400:
                raise _rejected(method, path, response)
            return response.json().get("data")
        raise AssertionError("unreachable")  # pragma: no cover

    async def get_list(
        self, doctype: str, fields: list[str], filters: list[Any], start: int, length: int
    ) -> list[dict[str, Any]]:
        params = {
            "fields": json.dumps(fields),
            "filters": json.dumps(filters),
            "order_by": "modified asc, name asc",
            "limit_start": start,
            "limit_page_length": length,
        }
        data: list[dict[str, Any]] = await self.request(
            "GET", f"/api/resource/{quote(doctype)}", params=params
        )
        return data

    async def get_doc(self, doctype: str, name: str) -> dict[str, Any] | None:
        try:
            doc: dict[str, Any] = await self.request("GET", f"/api/resource/{quote(doctype)}/{quote(name)}")
        except ErpRejected as exc:
            if "DoesNotExistError" in str(exc):
                return None
            raise
        return doc

    async def insert(self, doctype: str, doc: dict[str, Any]) -> dict[str, Any]:
        created: dict[str, Any] = await self.request("POST", f"/api/resource/{quote(doctype)}", json=doc)
        return created

    async def update(self, doctype: str, name: str, values: dict[str, Any]) -> None:
        await self.request("PUT", f"/api/resource/{quote(doctype)}/{quote(name)}", json=values)

    async def require_fields(self, doctype: str, *fields: str) -> None:
        """ErpSchemaError unless the DocType has every field: Frappe drops unknown keys of an inserted
        document silently, so the connector reads the DocType (GET /api/resource/DocType/<name>) first."""
        known = self._fields.get(doctype)
        if known is None:
            meta = await self.request("GET", f"/api/resource/DocType/{quote(doctype)}")
            known = self._fields[doctype] = {f["fieldname"] for f in meta.get("fields", [])}
        for name in fields:
            if name not in known:
                raise ErpSchemaError(
                    f"ERPNext DocType {doctype} has no field {name!r} (another ERPNext version, or a custom "
                    "field not created yet?)",
                    field=f"{doctype}.{name}",
                )

    async def ping(self) -> str:
        """Who is logged in: a cheap authenticated call, for the connectors' check()."""
        await self.request("GET", "/api/method/frappe.auth.get_logged_user")
        return f"ERPNext at {self.config.url}"

    async def aclose(self) -> None:
        self._fields.clear()
        await super().aclose()


def _body(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _exc_type(response: httpx.Response) -> str:
    return str(_body(response).get("exc_type", ""))


def server_messages(body: dict[str, Any]) -> list[str]:
    """The human messages of a Frappe error (`_server_messages` is a JSON list of JSON objects)."""
    try:
        return [str(json.loads(m).get("message", m)) for m in json.loads(body.get("_server_messages", "[]"))]
    except (TypeError, ValueError, AttributeError):
        return []


def _rejected(method: str, path: str, response: httpx.Response) -> ErpRejected:
    body = _body(response)
    text = "; ".join(server_messages(body)) or str(body.get("exception") or snippet(response))
    message = f"ERPNext {method} {path} answered {response.status_code} {body.get('exc_type', '')}: {text}"
    found = _FIELD.search(text)
    if found:
        return ErpSchemaError(message, field=found.group(1))
    return ErpRejected(message)
