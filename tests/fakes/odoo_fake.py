"""A contract FAKE of Odoo's external APIs (not Odoo): in-memory records of the models the odoo connector
uses, served as an ASGI app.

Contracts followed:
- Odoo 19.0 documentation, Developer > Reference > External JSON-2 API: `POST /json/2/<model>/<method>`,
  `Authorization: bearer <api key>`, optional `X-Odoo-Database`, body = the method's named arguments,
  answer = the return value as JSON; errors as JSON `{"name", "message", "arguments", "context", "debug"}`
  with 401 (bad key), 403, 404 (unknown model / method / record), 422 (UserError, ValidationError).
  The status of a plain ValueError ("Invalid field ...") is not pinned by the page; the fake answers 422.
- Odoo 17.0 documentation, Developer > Reference > External API: `POST /jsonrpc` with service `common`
  method `authenticate(db, login, key, {})` -> uid, and service `object` method `execute_kw(db, uid, key,
  model, method, args, kwargs)`; errors with HTTP 200 and `error.data.name` (odoo.exceptions.AccessDenied).
- ORM semantics (Odoo 17.0, Developer > Reference > ORM API): search_read(domain, fields, offset, limit,
  order) with many2one values as `[id, display_name]`; create(vals_list) -> ids; write(vals); fields_get;
  create() ignores unknown fields (the server only logs a warning); write_date has second precision.
- Field names of Odoo 17: stock.move.line `quantity` (Odoo 16: `qty_done`), mrp.production `date_start`,
  stock.lot (was stock.production.lot before 16). `schema = "odoo16"` switches move lines to `qty_done`.
- product.product `default_code`: the product's "Internal Reference" (Odoo 17.0 documentation, Inventory &
  MRP > Inventory > Product management; a char field, not translated, false when empty), read like any
  field (`read(ids, fields)` returns `id` plus the fields). A product's display_name (the second element of
  a many2one to it) is "[default_code] name" under the default context and just the name when the
  context has `display_default_code: False` (and the name is translated into the user's language):
  `display_default_code = False` makes the fake answer like such a server.
Scope: domains are lists of [field, operator, value] AND-ed (=, !=, <, <=, >, >=, in, not in); button
methods only change states and stock quants as the connector relies on.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from tests.fakes.query import OPS
from tests.fakes.server import FaultMiddleware, Faults

M2O = {  # many2one fields and their comodel
    "product_id": "product.product",
    "lot_id": "stock.lot",
    "lot_producing_id": "stock.lot",
    "location_id": "stock.location",
    "location_dest_id": "stock.location",
    "picking_id": "stock.picking",
    "move_id": "stock.move",
    "raw_material_production_id": "mrp.production",
    "picking_type_id": "stock.picking.type",
    "partner_id": "res.partner",
    "product_uom_id": "uom.uom",
    "uom_id": "uom.uom",
    "product_tmpl_id": "product.template",
}
COMMON = ["id", "display_name", "write_date", "create_date"]
SCHEMA: dict[str, list[str]] = {
    "res.users": ["login", "name"],
    "product.product": ["default_code", "name", "barcode", "uom_id"],
    "stock.lot": ["name", "product_id", "ref", "expiration_date", "note"],
    "stock.location": ["name", "complete_name"],
    "stock.picking.type": ["name", "code"],
    "stock.picking": [
        "name",
        "origin",
        "note",
        "partner_id",
        "picking_type_id",
        "picking_type_code",
        "state",
        "location_id",
        "location_dest_id",
        "date_done",
        "scheduled_date",
    ],
    "stock.move": [
        "name",
        "picking_id",
        "product_id",
        "product_uom_qty",
        "quantity",
        "location_id",
        "location_dest_id",
        "raw_material_production_id",
        "state",
    ],
    "stock.move.line": [
        "picking_id",
        "move_id",
        "product_id",
        "lot_id",
        "lot_name",
        "quantity",
        "location_id",
        "location_dest_id",
        "product_uom_id",
        "x_lotline_ref",
    ],
    "stock.quant": ["product_id", "lot_id", "location_id", "quantity"],
    "mrp.production": [
        "name",
        "state",
        "product_id",
        "product_qty",
        "product_uom_id",
        "lot_producing_id",
        "qty_producing",
        "origin",
        "date_start",
    ],
    "mrp.bom": ["code", "product_tmpl_id", "product_id", "product_qty", "product_uom_id", "bom_line_ids"],
}


class OdooError(Exception):
    def __init__(self, status: int, name: str, message: str) -> None:
        super().__init__(message)
        self.status, self.name, self.message = status, name, message


class FakeOdoo:
    """The fake's state and behaviour; `app` serves it. Tests seed records and inspect them directly."""

    def __init__(self, database: str = "lotline", api_key: str = "odoo-key-1") -> None:
        self.database = database
        self.api_keys = {api_key}
        self.logins = {"integration": 2}
        self.schema = "odoo17"
        self.display_default_code = True  # False: product display names without "[default_code] "
        self.now = "2026-12-01 08:00:00"
        self.records: dict[str, dict[int, dict[str, Any]]] = {model: {} for model in SCHEMA}
        self.faults = Faults()
        self.app = self._build_app()

    # --- ORM --------------------------------------------------------------------------------------

    def fields(self, model: str) -> list[str]:
        names = COMMON + SCHEMA[model]
        if self.schema == "odoo16" and model == "stock.move.line":
            names = [("qty_done" if n == "quantity" else n) for n in names]
        return names

    def _model(self, model: str) -> dict[int, dict[str, Any]]:
        if model not in self.records:
            raise OdooError(404, "werkzeug.exceptions.NotFound", f"Model not found: {model}")
        return self.records[model]

    def _check(self, model: str, names: list[str]) -> None:
        known = self.fields(model)
        for name in names:
            if name not in known:
                raise OdooError(422, "builtins.ValueError", f"Invalid field '{name}' on model '{model}'")

    def create(self, model: str, vals_list: list[dict[str, Any]]) -> list[int]:
        table, known, ids = self._model(model), self.fields(model), []
        for vals in vals_list:
            record = {k: v for k, v in vals.items() if k in known}  # unknown fields: ignored, like Odoo
            rid = max(table, default=0) + 1  # one id sequence per table, like PostgreSQL
            record.update(id=rid, write_date=self.now, create_date=self.now)
            table[rid] = record
            ids.append(rid)
        return ids

    def write(self, model: str, ids: list[int], vals: dict[str, Any]) -> bool:
        self._check(model, list(vals))
        for rid in ids:
            self._model(model)[rid].update(vals, write_date=self.now)
        return True

    def _display(self, model: str, rid: Any) -> Any:
        if not rid:
            return False
        record = self.records[model].get(rid, {})
        name = record.get("complete_name") or record.get("name") or f"{model},{rid}"
        if model == "product.product" and record.get("default_code") and self.display_default_code:
            name = f"[{record['default_code']}] {name}"  # Odoo's product display_name
        return [rid, name]

    def _matches(self, record: dict[str, Any], domain: list[Any]) -> bool:
        for name, op, value in domain:
            have = record.get(name, False)
            ok = OPS[op](have, value)
            if not ok:
                return False
        return True

    def search(self, model: str, domain: list[Any], order: str = "id asc") -> list[dict[str, Any]]:
        self._check(model, [term[0] for term in domain])
        found = [r for r in self._model(model).values() if self._matches(r, domain)]
        for part in reversed([p.split() for p in order.split(",")]):
            found.sort(key=lambda r, f=part[0]: (r.get(f) is None, r.get(f)), reverse=part[-1] == "desc")  # type: ignore[misc]
        return found

    def search_read(
        self,
        model: str,
        domain: list[Any] | None = None,
        fields: list[str] | None = None,
        offset: int = 0,
        limit: int | None = None,
        order: str = "id asc",
    ) -> list[dict[str, Any]]:
        wanted = fields or self.fields(model)
        self._check(model, wanted)
        found = self.search(model, domain or [], order)[offset:]
        found = found[:limit] if limit else found
        return [
            {
                "id": r["id"],
                **{f: self._display(M2O[f], r.get(f)) if f in M2O else r.get(f, False) for f in wanted},
            }
            for r in found
        ]

    def button_validate(self, ids: list[int]) -> bool:
        for pid in ids:
            for line in self.search("stock.move.line", [["picking_id", "=", pid]]):
                qty = line.get("quantity", line.get("qty_done", 0))
                self._move_quant(line["product_id"], line["lot_id"], line["location_id"], -qty)
                self._move_quant(line["product_id"], line["lot_id"], line["location_dest_id"], qty)
            self.write("stock.picking", [pid], {"state": "done", "date_done": self.now})
        return True

    def _move_quant(self, product: int, lot: int, location: int, qty: float) -> None:
        domain = [["lot_id", "=", lot], ["location_id", "=", location]]
        quants = self.search("stock.quant", domain)
        if quants:
            quants[0]["quantity"] += qty
        else:
            self.create(
                "stock.quant",
                [{"product_id": product, "lot_id": lot, "location_id": location, "quantity": qty}],
            )

    def call(self, model: str, method: str, args: list[Any], kw: dict[str, Any]) -> Any:
        kw = dict(kw)
        kw.pop("context", None)
        if args:
            kw["ids"] = args[0]
        if method == "search_read":
            return self.search_read(model, **kw)
        if method == "search_count":
            return len(self.search(model, kw.get("domain", [])))
        if method == "read":
            return self.search_read(model, [["id", "in", kw["ids"]]], kw.get("fields"))
        if method == "create":
            return self.create(model, kw["vals_list"])
        if method == "write":
            return self.write(model, kw["ids"], kw["vals"])
        if method == "fields_get":
            return {name: {"type": "many2one" if name in M2O else "char"} for name in self.fields(model)}
        if method == "button_mark_done" and model == "mrp.production":
            return self.write(model, kw["ids"], {"state": "done"})
        if method == "button_validate" and model == "stock.picking":
            return self.button_validate(kw["ids"])
        raise OdooError(404, "werkzeug.exceptions.NotFound", f"no method {method} on {model}")

    # --- HTTP -------------------------------------------------------------------------------------

    def _build_app(self) -> FastAPI:
        app = FastAPI(title="FAKE Odoo")
        app.add_middleware(FaultMiddleware, faults=self.faults)

        @app.post("/json/2/{model}/{method}")
        async def json2(model: str, method: str, request: Request) -> JSONResponse:
            auth = request.headers.get("authorization", "")
            scheme, _, key = auth.partition(" ")
            if scheme.lower() != "bearer" or key not in self.api_keys:
                return _error(401, "werkzeug.exceptions.Unauthorized", "Invalid apikey")
            db = request.headers.get("x-odoo-database")
            if db is not None and db != self.database:
                return _error(404, "werkzeug.exceptions.NotFound", f"database {db} not found")
            try:
                return JSONResponse(self.call(model, method, [], await request.json()))
            except OdooError as exc:
                return _error(exc.status, exc.name, exc.message)

        @app.post("/jsonrpc")
        async def jsonrpc(request: Request) -> JSONResponse:
            body = await request.json()
            params, rid = body["params"], body.get("id")
            try:
                if params["service"] == "common" and params["method"] == "authenticate":
                    db, login, key, _ = params["args"]
                    uid = self.logins.get(login) if key in self.api_keys and db == self.database else None
                    return JSONResponse({"jsonrpc": "2.0", "id": rid, "result": uid or False})
                db, uid, key, model, method, args, kwargs = params["args"]
                if key not in self.api_keys or uid not in self.logins.values():
                    raise OdooError(200, "odoo.exceptions.AccessDenied", "Access Denied")
                result = self.call(model, method, args, kwargs)
            except OdooError as exc:
                error = {
                    "code": 200,
                    "message": "Odoo Server Error",
                    "data": {"name": exc.name, "message": exc.message, "arguments": [exc.message]},
                }
                return JSONResponse({"jsonrpc": "2.0", "id": rid, "error": error})
            return JSONResponse({"jsonrpc": "2.0", "id": rid, "result": result})

        return app


def _error(status: int, name: str, message: str) -> JSONResponse:
    body = {"name": name, "message": message, "arguments": [message], "context": {}, "debug": ""}
    return JSONResponse(body, status_code=status)
