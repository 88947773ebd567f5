"""A contract FAKE of ERPNext's REST API (not ERPNext): in-memory documents served as an ASGI app.

Contracts followed (Frappe Framework v15 docs, "REST API" and "Token Based Authentication"; ERPNext v15
user manual for the DocTypes):
- `Authorization: token <api_key>:<api_secret>`; a bad pair answers 401 with exc_type AuthenticationError.
- `GET /api/resource/<DocType>` with `fields` and `filters` (JSON), `order_by`, `limit_start`,
  `limit_page_length` (default 20) -> `{"data": [...]}`; `GET /api/resource/<DocType>/<name>` ->
  `{"data": doc}` or 404 DoesNotExistError; `POST /api/resource/<DocType>` inserts (docstatus 1 also
  submits) -> `{"data": doc}`; `PUT /api/resource/<DocType>/<name>` updates; `GET /api/resource/DocType/<n>`
  returns the DocType with its `fields` (fieldname per DocField).
- Errors carry `exc_type`, `exception` and `_server_messages` (a JSON list of JSON-encoded objects with a
  `message`); validation errors answer 417, an unknown list field 417 DataError "Field not permitted in query".
- `GET /api/method/frappe.auth.get_logged_user` -> `{"message": user}`.
- DocTypes: Work Order (status Not Started / In Process / Completed / Stopped / Closed), Purchase Receipt
  (items with batch_no), Batch (batch_qty, disabled), Item, BOM, Stock Entry (stock_entry_type Manufacture /
  Material Transfer, items = Stock Entry Detail with s_warehouse, t_warehouse, batch_no,
  use_serial_batch_fields (v15), is_finished_item). `schema = "v14"` drops use_serial_batch_fields.
Scope: filters are [field, op, value] AND-ed (=, !=, <, <=, >, >=, in); submitting a Stock Entry moves
batch stock between warehouses; unknown keys of an inserted document are dropped, as Frappe does.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from tests.fakes.query import OPS
from tests.fakes.server import FaultMiddleware, Faults

COMMON = ["name", "owner", "creation", "modified", "docstatus"]
SCHEMA: dict[str, list[str]] = {
    "Work Order": [
        "status",
        "production_item",
        "qty",
        "produced_qty",
        "stock_uom",
        "bom_no",
        "fg_warehouse",
        "wip_warehouse",
        "planned_start_date",
    ],
    "Purchase Receipt": ["supplier", "posting_date", "items"],
    "Batch": [
        "batch_id",
        "item",
        "manufacturing_date",
        "expiry_date",
        "disabled",
        "supplier",
        "batch_qty",
        "description",
    ],
    "Item": ["item_code", "item_name", "stock_uom", "has_batch_no", "gtin"],
    "BOM": ["item", "quantity", "is_default", "items"],
    "Stock Entry": [
        "stock_entry_type",
        "purpose",
        "work_order",
        "fg_completed_qty",
        "items",
        "remarks",
        "set_posting_time",
        "posting_date",
        "posting_time",
        "custom_lotline_ref",
    ],
    "Stock Entry Detail": [
        "item_code",
        "qty",
        "uom",
        "s_warehouse",
        "t_warehouse",
        "batch_no",
        "use_serial_batch_fields",
        "is_finished_item",
        "serial_and_batch_bundle",
    ],
}
SERIES = {"Stock Entry": "MAT-STE-2026-", "Work Order": "MFG-WO-2026-", "Purchase Receipt": "MAT-PRE-2026-"}


class FrappeError(Exception):
    def __init__(self, status: int, exc_type: str, message: str) -> None:
        super().__init__(message)
        self.status, self.exc_type, self.message = status, exc_type, message


class FakeErpNext:
    def __init__(self, api_key: str = "key1", api_secret: str = "secret1") -> None:
        self.tokens = {f"{api_key}:{api_secret}"}
        self.schema = "v15"
        self.now = "2026-12-01 08:00:00.000000"
        self.docs: dict[str, dict[str, dict[str, Any]]] = {doctype: {} for doctype in SCHEMA}
        self.stock: dict[tuple[str, str], float] = {}  # (batch, warehouse) -> qty
        self.faults = Faults()
        self.app = self._build_app()

    def fields(self, doctype: str) -> list[str]:
        names = COMMON + SCHEMA[doctype]
        if self.schema == "v14" and doctype == "Stock Entry Detail":
            names = [n for n in names if n != "use_serial_batch_fields"]
        return names

    def _table(self, doctype: str) -> dict[str, dict[str, Any]]:
        if doctype not in self.docs:
            raise FrappeError(404, "DoesNotExistError", f"DocType {doctype} not found")
        return self.docs[doctype]

    def insert(self, doctype: str, doc: dict[str, Any]) -> dict[str, Any]:
        table = self._table(doctype)
        known = self.fields(doctype)
        clean = {k: v for k, v in doc.items() if k in known}
        if doctype == "Stock Entry":
            self._validate_entry(clean)
        name = clean.get("name") or f"{SERIES.get(doctype, doctype.upper() + '-')}{len(table) + 1:05d}"
        if name in table:
            raise FrappeError(409, "DuplicateEntryError", f"{doctype} {name} already exists")
        clean.update(name=name, creation=self.now, modified=self.now, docstatus=clean.get("docstatus", 0))
        table[name] = clean
        if doctype == "Stock Entry" and clean["docstatus"] == 1:
            self._submit_entry(clean)
        return clean

    def _validate_entry(self, doc: dict[str, Any]) -> None:
        rows = [
            {k: v for k, v in row.items() if k in self.fields("Stock Entry Detail")} for row in doc["items"]
        ]
        doc["items"] = rows
        for index, row in enumerate(rows, 1):
            if row.get("batch_no") and not row.get("use_serial_batch_fields"):
                raise FrappeError(
                    417,
                    "ValidationError",
                    f"Row #{index}: Serial and Batch Bundle is required for item {row['item_code']}",
                )
            if row.get("batch_no") and row["batch_no"] not in self.docs["Batch"] and row.get("s_warehouse"):
                raise FrappeError(
                    417, "ValidationError", f"Row #{index}: Batch {row['batch_no']} does not exist"
                )
            if row.get("s_warehouse") and row.get("batch_no"):
                have = self.stock.get((row["batch_no"], row["s_warehouse"]), 0.0)
                if have < row["qty"]:
                    raise FrappeError(
                        417,
                        "NegativeStockError",
                        f"Row #{index}: {row['qty']} units of batch {row['batch_no']} needed in "
                        f"{row['s_warehouse']}, {have} available",
                    )
        if doc.get("work_order") and doc["work_order"] not in self.docs["Work Order"]:
            raise FrappeError(417, "LinkValidationError", f"Could not find Work Order: {doc['work_order']}")

    def _submit_entry(self, doc: dict[str, Any]) -> None:
        for row in doc["items"]:
            batch = row.get("batch_no")
            if not batch:
                continue
            if batch not in self.docs["Batch"]:
                self.insert(
                    "Batch", {"name": batch, "batch_id": batch, "item": row["item_code"], "batch_qty": 0}
                )
            if row.get("s_warehouse"):
                self.stock[(batch, row["s_warehouse"])] = (
                    self.stock.get((batch, row["s_warehouse"]), 0) - row["qty"]
                )
            if row.get("t_warehouse"):
                self.stock[(batch, row["t_warehouse"])] = (
                    self.stock.get((batch, row["t_warehouse"]), 0) + row["qty"]
                )

    def update(self, doctype: str, name: str, values: dict[str, Any]) -> dict[str, Any]:
        doc = self.get(doctype, name)
        doc.update({k: v for k, v in values.items() if k in self.fields(doctype)}, modified=self.now)
        return doc

    def get(self, doctype: str, name: str) -> dict[str, Any]:
        doc = self._table(doctype).get(name)
        if doc is None:
            raise FrappeError(404, "DoesNotExistError", f"{doctype} {name} not found")
        if doctype == "Batch":
            doc["batch_qty"] = sum(q for (b, _), q in self.stock.items() if b == name)
        return doc

    def get_list(
        self, doctype: str, fields: list[str], filters: list[Any], order_by: str, start: int, length: int
    ) -> list[dict[str, Any]]:
        known = self.fields(doctype)
        for name in [*fields, *(f[-3] for f in filters)]:
            if name not in known:
                raise FrappeError(417, "DataError", f"Field not permitted in query: {name}")
        found = [
            d for d in self._table(doctype).values() if all(OPS[f[-2]](d.get(f[-3]), f[-1]) for f in filters)
        ]
        for part in reversed([p.split() for p in order_by.split(",")]):
            found.sort(key=lambda d, f=part[0]: str(d.get(f)), reverse=part[-1] == "desc")  # type: ignore[misc]
        return [{f: d.get(f) for f in fields} for d in found[start : start + length]]

    # --- HTTP -------------------------------------------------------------------------------------

    def _build_app(self) -> FastAPI:
        app = FastAPI(title="FAKE ERPNext")
        app.add_middleware(FaultMiddleware, faults=self.faults)

        def authorised(request: Request) -> bool:
            scheme, _, token = request.headers.get("authorization", "").partition(" ")
            return scheme.lower() == "token" and token in self.tokens

        def guarded(handler: Any) -> Any:
            async def run(request: Request) -> JSONResponse:
                if not authorised(request):
                    return _error(FrappeError(401, "AuthenticationError", "Invalid token"))
                try:
                    return JSONResponse(await handler(request))
                except FrappeError as exc:
                    return _error(exc)

            return run

        async def get_logged_user(request: Request) -> Any:
            return {"message": "integration@example.com"}

        async def resource(request: Request) -> Any:
            doctype, name = request.path_params["doctype"], request.path_params.get("name")
            if request.method == "GET" and doctype == "DocType" and name is None:
                raise FrappeError(403, "PermissionError", "not in the fake")
            if request.method == "GET" and name is not None and doctype == "DocType":
                return {"data": {"name": name, "fields": [{"fieldname": f} for f in self.fields(name)]}}
            if request.method == "GET" and name is not None:
                return {"data": self.get(doctype, name)}
            if request.method == "GET":
                q = request.query_params
                return {
                    "data": self.get_list(
                        doctype,
                        json.loads(q.get("fields", '["name"]')),
                        json.loads(q.get("filters", "[]")),
                        q.get("order_by", "modified desc"),
                        int(q.get("limit_start", 0)),
                        int(q.get("limit_page_length", 20)),
                    )
                }
            if request.method == "POST":
                return {"data": self.insert(doctype, await request.json())}
            assert name is not None
            return {"data": self.update(doctype, name, await request.json())}

        app.add_route("/api/method/frappe.auth.get_logged_user", guarded(get_logged_user), ["GET"])
        app.add_route("/api/resource/{doctype}", guarded(resource), ["GET", "POST"])
        app.add_route("/api/resource/{doctype}/{name}", guarded(resource), ["GET", "PUT"])
        return app


def _error(exc: FrappeError) -> JSONResponse:
    body = {
        "exc_type": exc.exc_type,
        "exception": f"frappe.exceptions.{exc.exc_type}: {exc.message}",
        "_server_messages": json.dumps([json.dumps({"message": exc.message})]),
    }
    return JSONResponse(body, status_code=exc.status)
