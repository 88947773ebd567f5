"""Routes: which stored events go to which target, in what shape, in what order, how patiently.

    routes:
      - name: erp-shipments
        match: {event_types: [ObjectEvent], biz_steps: [shipping], plants: [plant-a]}
        target: {kind: webhook, config: {url: "https://erp.example.com/hooks/epcis", secret: "..."}}
        payload: event                 # or document (an EPCISDocument), or transform: <JSONata>
        ordering: lot                  # per-key FIFO: lot, order, order:po, correlation, or a JSONata expression
        retry: {max_attempts: 8, base_delay: 1, max_delay: 300, give_up_after: 86400}
        breaker: {failure_threshold: 5, reset_after: 30}

The idempotency key of a delivery derives from the route and the event hash, so the same event delivered
twice (a retry, a crash, a replay) always carries the same key.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field, model_validator

from lotline.connectors.wrappers import RetryPolicy
from lotline.epcis.vocab import short_cbv

EVENT_TYPES = (
    "ObjectEvent",
    "AggregationEvent",
    "TransactionEvent",
    "TransformationEvent",
    "AssociationEvent",
)
LOT_CLASS_FIELDS = ("quantityList", "childQuantityList", "inputQuantityList", "outputQuantityList")
EPC_FIELDS = ("epcList", "childEPCs", "inputEPCList", "outputEPCList")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RouteMatch(_Strict):
    """Which events a route takes. An empty list matches anything; several lists must all match."""

    event_types: list[Literal[EVENT_TYPES]] = Field(  # type: ignore[valid-type]
        default_factory=list, description="EPCIS event types, e.g. ObjectEvent."
    )
    biz_steps: list[str] = Field(
        default_factory=list, description="CBV business steps, short (shipping) or as URIs."
    )
    plants: list[str] = Field(default_factory=list, description="Plants (the connector event's provenance).")
    actions: list[Literal["ADD", "OBSERVE", "DELETE"]] = Field(default_factory=list, description="Actions.")
    include_error_declarations: bool = Field(
        default=False, description="Also deliver error declarations of events this route delivered."
    )


class TargetConfig(_Strict):
    """A registered connector kind with a Sink (`webhook`, `mqtt`, `memory`, an ERP, ...) and its config."""

    kind: str = Field(description="The connector kind, as registered (see docs/connectors.md).")
    config: dict[str, Any] = Field(default_factory=dict, description="That connector's options.")
    endpoint: str | None = Field(
        default=None,
        description="Name of the endpoint for the circuit breaker (routes sharing one share a breaker); "
        "default: the URL of a webhook, else the route name.",
    )


class RetrySettings(_Strict):
    max_attempts: int = Field(
        default=8, ge=1, description="Attempts that reached the target, first included."
    )
    base_delay: float = Field(default=1.0, ge=0, description="Seconds; the cap doubles after each attempt.")
    max_delay: float = Field(default=300.0, ge=0, description="Longest wait between attempts (seconds).")
    give_up_after: float = Field(
        default=86_400.0, gt=0, description="Dead-letter a delivery still failing this long after it started."
    )

    @model_validator(mode="after")
    def _delays(self) -> RetrySettings:
        if self.max_delay < self.base_delay:
            raise ValueError("max_delay must be at least base_delay")
        return self

    def policy(self) -> RetryPolicy:
        return RetryPolicy(self.max_attempts, self.base_delay, self.max_delay)


class BreakerSettings(_Strict):
    failure_threshold: int = Field(default=5, ge=1, description="Failures in a row that open the circuit.")
    reset_after: float = Field(default=30.0, gt=0, description="Seconds before a trial call is let through.")


class RouteConfig(_Strict):
    """One outbound route."""

    name: str = Field(pattern=r"^[A-Za-z0-9_.-]{1,100}$", description="Unique; part of every delivery key.")
    match: RouteMatch = Field(default_factory=RouteMatch, description="Which events this route takes.")
    target: TargetConfig = Field(description="Where they go.")
    payload: Literal["event", "document"] = Field(
        default="event",
        description="`event`: the EPCIS event (JSON-LD); `document`: an EPCISDocument of one.",
    )
    transform: str | None = Field(
        default=None, description="A JSONata expression over the event giving the JSON to send instead."
    )
    ordering: str | None = Field(
        default=None,
        description="Per-key FIFO: `lot`, `order` (any business transaction), `order:<type>` (e.g. order:po), "
        "`correlation`, or a JSONata expression over the event. Unset: no ordering (parallel).",
    )
    retry: RetrySettings = Field(default_factory=RetrySettings, description="Redelivery policy.")
    breaker: BreakerSettings = Field(default_factory=BreakerSettings, description="Circuit breaker.")
    enabled: bool = Field(default=True, description="A disabled route starts no new deliveries.")

    @property
    def endpoint(self) -> str:
        if self.target.endpoint:
            return self.target.endpoint
        url = self.target.config.get("url")
        return str(url) if isinstance(url, str) else f"route:{self.name}"


class OutboundConfig(_Strict):
    """The `outbound:` section: routes and the dispatcher's pace."""

    routes: list[RouteConfig] = Field(default_factory=list, description="The routes.")
    poll_interval: float = Field(default=0.5, gt=0, description="Seconds between looks at the event table.")
    batch: int = Field(default=500, ge=1, description="Events taken per look.")
    gap_grace: float = Field(
        default=2.0,
        ge=0,
        description="PostgreSQL: the least age (seconds) of a gap in event ids before the dispatcher passes "
        "it, once the transactions running when it was seen have all ended.",
    )
    queue_poll: float = Field(default=0.2, gt=0, description="Seconds between DBOS queue polls.")
    concurrency: int = Field(default=32, ge=1, description="Deliveries in flight per process.")
    start: Literal["now", "beginning"] = Field(
        default="now",
        description="On the very first start, route the events stored from now on, or every stored event.",
    )

    @model_validator(mode="after")
    def _unique(self) -> OutboundConfig:
        names = [r.name for r in self.routes]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"route names must be unique: {', '.join(dup)}")
        return self


# --- what a route does with one stored event -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EventRow:
    """The columns of a stored event the dispatcher routes on."""

    id: int
    event_hash: str
    event_type: str
    action: str | None
    biz_step: str | None
    plant: str | None
    error_declared: bool
    correlation_id: str | None


def matches(route: RouteConfig, row: EventRow) -> bool:
    m = route.match
    if not route.enabled or (row.error_declared and not m.include_error_declarations):
        return False
    if m.event_types and row.event_type not in m.event_types:
        return False
    if m.actions and row.action not in m.actions:
        return False
    if m.plants and row.plant not in m.plants:
        return False
    return not m.biz_steps or row.biz_step in {short_cbv("bizStep", s) for s in m.biz_steps}


def delivery_key(route: str, event_hash: str, error_declared: bool = False) -> str:
    """The idempotency key (and workflow id) of delivering one event on one route: the route and the CBV
    2.0 event hash, so it is the same wherever and however often the event is delivered."""
    digest = hashlib.sha256(event_hash.encode()).hexdigest()[:32]
    return f"deliver:{route}:{digest}" + (":err" if error_declared else "")


def ordering_key(route: RouteConfig, event: Mapping[str, Any], correlation_id: str | None) -> str | None:
    """The key whose deliveries must stay in capture order, or None (no ordering, or the event has none:
    it then goes in a partition of its own)."""
    spec = route.ordering
    if spec is None:
        return None
    if spec == "lot":
        return _first_lot(event)
    if spec == "correlation":
        return correlation_id
    if spec == "order" or spec.startswith("order:"):
        wanted = spec.partition(":")[2]
        for tx in event.get("bizTransactionList") or []:
            if isinstance(tx, Mapping) and (
                not wanted or short_cbv("bizTransactionType", str(tx.get("type", ""))) == wanted
            ):
                return str(tx.get("bizTransaction"))
        return None
    from lotline.mapping.expr import UNDEFINED, Expr

    value = Expr(spec, f"route {route.name} ordering").evaluate(event, {})
    if value is UNDEFINED or value is None:
        return None
    return value if isinstance(value, str) else orjson.dumps(value).decode()


def _first_lot(event: Mapping[str, Any]) -> str | None:
    for field in LOT_CLASS_FIELDS:
        for quantity in event.get(field) or []:
            if isinstance(quantity, Mapping) and quantity.get("epcClass"):
                return str(quantity["epcClass"])
    for field in EPC_FIELDS:
        for epc in event.get(field) or []:
            return str(epc)
    parent = event.get("parentID")
    return str(parent) if parent else None


def payload(route: RouteConfig, event: dict[str, Any]) -> bytes:
    """The bytes a route sends for one event."""
    if route.transform is not None:
        from lotline.mapping.expr import UNDEFINED, Expr, to_json

        value = Expr(route.transform, f"route {route.name} transform").evaluate(event, {})
        return orjson.dumps(None if value is UNDEFINED else to_json(value))
    if route.payload == "document":
        from lotline.epcis.document import STANDARD_CONTEXT
        from lotline.epcis.timefmt import format_time, now_micros

        context = [STANDARD_CONTEXT]
        local = event.pop("@context", None)
        if local is not None:
            context += local if isinstance(local, list) else [local]
        return orjson.dumps(
            {
                "@context": context,
                "type": "EPCISDocument",
                "schemaVersion": "2.0",
                "creationDate": event.get("recordTime") or format_time(now_micros()),
                "epcisBody": {"eventList": [event]},
            }
        )
    return orjson.dumps(event)


def by_name(routes: Sequence[RouteConfig]) -> dict[str, RouteConfig]:
    return {route.name: route for route in routes}
