"""A contract FAKE of SAP S/4HANA's OData V2 APIs (not SAP): in-memory entity sets served as an ASGI app.

Contracts followed:
- API_MATERIAL_DOCUMENT_SRV and API_INSPECTIONLOT_SRV: the OpenAPI 3.0 descriptions in
  ../shared/data/sap-s4hana/ (derived from SAP's EDMX; Apache-2.0 repositories, see SOURCE.txt). POSTed
  A_MaterialDocumentHeader (with to_MaterialDocumentItem) and A_InspLotUsageDecision bodies are checked
  against those schemas' properties and maxLengths, so the connector cannot drift from the document.
- API_PRODUCTION_ORDER_2_SRV (A_ProductionOrder_2: ManufacturingOrder, Material, ProductionPlant,
  MfgOrderPlannedTotalQty, ProductionUnit, OrderIsReleased, OrderIsTechnicallyCompleted, OrderIsClosed,
  LastChangeDateTime), API_PROD_ORDER_CONFIRMATION_2_SRV (ProdnOrdConf2: OrderID, OrderOperation,
  ConfirmationGroup, ConfirmationCount, ConfirmationText, ConfirmationYieldQuantity, ...,
  to_ProdnOrdConfMatlDocItm) and API_BATCH_SRV (Batch: Material, BatchIdentifyingPlant, Batch,
  LastChangeDateTime, ...): from the service documentation on the SAP Business Accelerator Hub (no
  machine-readable copy is in ../shared; property lists below are the subset the connector uses).
- OData V2 JSON (odata.org V2 "JSON Format"; SAP Gateway): `{"d": {"results": [...], "__next": url}}`,
  dates as `/Date(ms+0000)/`, errors as `{"error": {"code", "message": {"lang", "value"}}}`.
- SAP Gateway CSRF protection: `x-csrf-token: Fetch` on a GET returns a token bound to the session cookie;
  a modifying request without a valid one answers 403 with `x-csrf-token: Required`.
- OAuth2 client credentials (RFC 6749 §4.4) at /oauth/token, `expires_in` seconds; basic auth as well.
Scope: $filter supports `P eq 'v'`, `P ge datetimeoffset'...'`, `P ge datetime'...'` joined by `and`;
$orderby ascending; $top/$skip; server paging of `page_limit` entities with `__next`. `renamed` maps a
property to a new name (a simulated schema change): requests using the old name are refused like Gateway
refuses an unknown property.
"""

from __future__ import annotations

import base64
import re
import secrets
import time
from typing import Any
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from tests.fakes.query import OPS, from_odata, odata_date, to_ms
from tests.fakes.sap_contract import PROPERTIES, SERVICES, openapi_properties
from tests.fakes.server import FaultMiddleware, Faults

ROOT = "/sap/opu/odata/sap"
_CLAUSE = re.compile(r"(\w+) (eq|ge|gt|le|lt) (?:datetimeoffset|datetime)?'((?:[^']|'')*)'")


class FakeSap:
    def __init__(
        self, client_id: str = "lotline", client_secret: str = "s3cret", page_limit: int = 2
    ) -> None:
        self.clients = {client_id: client_secret}
        self.users = {"COMM_USER": "pw"}
        self.token_lifetime = 3600
        self.tokens: dict[str, float] = {}  # token -> expiry (monotonic)
        self.csrf: dict[str, str] = {}  # session cookie -> token
        self.page_limit = page_limit
        self.renamed: dict[str, str] = {}
        self.sets: dict[str, list[dict[str, Any]]] = {name: [] for name in SERVICES}
        self.sets["A_InspLotUsageDecision"] = []
        self.matdoc_header = openapi_properties(
            "API_MATERIAL_DOCUMENT_SRV.openapi.json", "CreateA_MaterialDocumentHeader"
        )
        self.matdoc_item = openapi_properties(
            "API_MATERIAL_DOCUMENT_SRV.openapi.json", "CreateA_MaterialDocumentItem"
        )
        self.usage_decision = openapi_properties(
            "API_INSPECTIONLOT_SRV.openapi.json", "CreateA_InspLotUsageDecision"
        )
        self.faults = Faults()
        self.app = self._build_app()

    # --- state helpers for tests ------------------------------------------------------------------

    def expire_tokens(self) -> None:
        self.tokens.clear()

    def expire_csrf(self) -> None:
        self.csrf.clear()

    def add(self, entity_set: str, **values: Any) -> dict[str, Any]:
        for name in ("LastChangeDateTime", "ChangedDateTime", "CreationDate"):
            if name in values and not str(values[name]).startswith("/Date("):
                values[name] = odata_date(str(values[name]))
        self.sets[entity_set].append(values)
        return values

    # --- validation --------------------------------------------------------------------------------

    def _known(self, entity: str) -> set[str]:
        if entity == "A_MaterialDocumentHeader":
            names = set(self.matdoc_header)
        elif entity == "A_MaterialDocumentItem":
            names = set(self.matdoc_item)
        elif entity == "A_InspLotUsageDecision":
            names = set(self.usage_decision)
        else:
            names = set(PROPERTIES.get(entity, []))
            if not names and self.sets.get(entity):
                names = set(self.sets[entity][0])
        return {self.renamed.get(n, n) for n in names}

    def _check(self, entity: str, body: dict[str, Any], limits: dict[str, Any] | None = None) -> None:
        known = self._known(entity)
        for name, value in body.items():
            if name not in known:
                raise SapError(400, "/IWBEP/CM_MGW_RT/020", f"Property '{name}' is invalid")
            limit = (limits or {}).get(name, {}).get("maxLength")
            if limit and isinstance(value, str) and len(value) > limit:
                raise SapError(400, "/IWBEP/CM_MGW_RT/006", f"Value of '{name}' is longer than {limit}")

    # --- queries -----------------------------------------------------------------------------------

    def query(self, entity: str, params: dict[str, str]) -> tuple[list[dict[str, Any]], int]:
        rows = list(self.sets[entity])
        known = self._known(entity)
        for prop, op, value in _CLAUSE.findall(params.get("$filter", "")):
            if prop not in known and rows:
                raise SapError(400, "/IWBEP/CM_MGW_RT/004", f"Property {prop} not found in type {entity}")
            target: Any = to_ms(value) if re.match(r"\d{4}-\d\d-\d\d", value) else value.replace("''", "'")
            compare = OPS[op]
            rows = [r for r in rows if compare(from_odata(r.get(prop)), target)]
        for prop in reversed(
            [p.strip().split()[0] for p in params.get("$orderby", "").split(",") if p.strip()]
        ):
            rows.sort(key=lambda r, p=prop: str(from_odata(r.get(p))).zfill(20))  # type: ignore[misc]
        skip = int(params.get("$skip", 0))
        top = int(params["$top"]) if "$top" in params else len(rows)
        return rows[skip : skip + top], skip

    def _page(self, request: Request, entity: str) -> dict[str, Any]:
        params = dict(request.query_params)
        rows, skip = self.query(entity, params)
        body: dict[str, Any] = {"results": rows[: self.page_limit]}
        if len(rows) > self.page_limit:
            rest = {**params, "$skip": str(skip + self.page_limit), "$top": str(len(rows) - self.page_limit)}
            body["__next"] = (
                f"{request.url.scheme}://{request.url.netloc}{request.url.path}?{urlencode(rest)}"
            )
        return body

    # --- writes ------------------------------------------------------------------------------------

    def create(self, entity: str, body: dict[str, Any]) -> dict[str, Any]:
        if entity == "A_MaterialDocumentHeader":
            items = body.get("to_MaterialDocumentItem", {}).get("results", [])
            self._check(
                entity, {k: v for k, v in body.items() if k != "to_MaterialDocumentItem"}, self.matdoc_header
            )
            for item in items:
                self._check("A_MaterialDocumentItem", item, self.matdoc_item)
            number = f"49{len(self.sets[entity]) + 1:08d}"
            created = {**body, "MaterialDocumentYear": "2026", "MaterialDocument": number}
        elif entity == "ProdnOrdConf2":
            self._check(entity, body)
            for item in body.get("to_ProdnOrdConfMatlDocItm", {}).get("results", []):
                self._check("ProdnOrdConfMatlDocItm", item)
            if not any(
                o["ManufacturingOrder"] == body.get("OrderID") for o in self.sets["A_ProductionOrder_2"]
            ):
                raise SapError(400, "RU/120", f"Order {body.get('OrderID')} does not exist")
            count = sum(1 for c in self.sets[entity] if c["OrderID"] == body["OrderID"]) + 1
            created = {
                **body,
                "ConfirmationGroup": f"{len(self.sets[entity]) + 1:010d}",
                "ConfirmationCount": f"{count:08d}",
            }
        elif entity == "A_InspLotUsageDecision":
            self._check(entity, body, self.usage_decision)
            if any(u["InspectionLot"] == body.get("InspectionLot") for u in self.sets[entity]):
                raise SapError(
                    400, "QA/100", f"Inspection lot {body['InspectionLot']} already has a usage decision"
                )
            created = dict(body)
        else:
            raise SapError(405, "/IWBEP/CM_MGW_RT/021", f"Creating {entity} is not supported")
        self.sets[entity].append(created)
        return created

    # --- HTTP --------------------------------------------------------------------------------------

    def _authorised(self, request: Request) -> bool:
        scheme, _, value = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer":
            return self.tokens.get(value, 0) > time.monotonic()
        if scheme.lower() == "basic":
            user, _, password = base64.b64decode(value).decode().partition(":")
            return self.users.get(user) == password
        return False

    def _build_app(self) -> FastAPI:
        app = FastAPI(title="FAKE SAP S/4HANA")
        app.add_middleware(FaultMiddleware, faults=self.faults)

        @app.post("/oauth/token")
        async def token(request: Request) -> JSONResponse:
            form = await request.form()
            _, _, value = request.headers.get("authorization", "").partition(" ")
            client, _, secret = base64.b64decode(value).decode().partition(":") if value else ("", "", "")
            if form.get("grant_type") != "client_credentials" or self.clients.get(client) != secret:
                return JSONResponse({"error": "invalid_client"}, status_code=401)
            issued = secrets.token_hex(8)
            self.tokens[issued] = time.monotonic() + self.token_lifetime
            return JSONResponse(
                {"access_token": issued, "token_type": "bearer", "expires_in": self.token_lifetime}
            )

        @app.api_route(ROOT + "/{service}/{path:path}", methods=["GET", "POST"])
        async def odata(service: str, path: str, request: Request) -> Response:
            if not self._authorised(request):
                return _error(SapError(401, "/IWFND/CM_CONSUMER/101", "Unauthorized"))
            if request.method == "GET" and path == "":
                response = JSONResponse(
                    {"d": {"EntitySets": sorted(k for k, v in SERVICES.items() if v == service)}}
                )
                if request.headers.get("x-csrf-token", "").lower() == "fetch":
                    session = request.cookies.get("SAP_SESSIONID") or secrets.token_hex(8)
                    self.csrf[session] = secrets.token_hex(12)
                    response.headers["x-csrf-token"] = self.csrf[session]
                    response.set_cookie("SAP_SESSIONID", session)
                return response
            if SERVICES.get(path) != service:
                return _error(
                    SapError(404, "/IWBEP/CM_MGW_RT/021", f"Resource not found for segment '{path}'")
                )
            try:
                if request.method == "GET":
                    return JSONResponse({"d": self._page(request, path)})
                session = request.cookies.get("SAP_SESSIONID", "")
                if not session or self.csrf.get(session) != request.headers.get("x-csrf-token"):
                    return Response(b"CSRF token validation failed", 403, {"x-csrf-token": "Required"})
                return JSONResponse({"d": self.create(path, await request.json())}, status_code=201)
            except SapError as exc:
                return _error(exc)

        return app


class SapError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def _error(exc: SapError) -> JSONResponse:
    body = {
        "error": {
            "code": exc.code,
            "message": {"lang": "en", "value": exc.message},
            "innererror": {"transactionid": "FAKE", "errordetails": []},
        }
    }
    return JSONResponse(body, status_code=exc.status)
