"""What the end-to-end tests share: the shop floor (MQTT messages derived from the order lotline read from
the ERP), the runner in a background task, outbound delivery through the engine's wrappers with an ERP
outage, and the trace checks.

One order, the same in every ERP: finished item FG-1 (GS1 item reference 011111) made in two operations,
0010 consuming sugar lot S-17 (RM-7, 022222) and 0020 (final) consuming bottle lot B-3 (RM-8, 033333),
both reporting one produced lot. The MES speaks GS1 item references; the ERP its item codes; ITEM_REFS is
the master data between them.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from lotline.api.app import create_app
from lotline.connectors.base import Outbound, SendResult, Sink, Source
from lotline.connectors.mqtt import MqttConfig, MqttSource
from lotline.connectors.wrappers import CircuitBreaker, DeadLetter, RetryPolicy, resilient
from lotline.mapping import MappingSet, load_mapping
from lotline.mapping.erp_commands import erp_outbound
from lotline.model.operational import OperationConfirmation, OrderStatus
from lotline.pipeline.runner import Runner, RunnerSettings
from lotline.store import dlq
from lotline.store.keys import create_key
from lotline.store.operational import OperationalQuery, list_operational
from lotline.store.schema import events as events_table
from tests.connectors.mqtt.peer import Peer
from tests.fakes.server import Faults, LiveServer

GCP = "4012345"  # the company prefix of the MES template's items
ITEM_REFS = {"FG-1": "011111", "RM-7": "022222", "RM-8": "033333"}  # ERP item code -> GS1 item reference
ERP_ITEMS = {ref: code for code, ref in ITEM_REFS.items()}  # what erp_outbound needs back
FINISHED = "FG-1"
# (operation, work centre, component, its lot, quantity, unit, final)
OPERATIONS = (
    ("0010", "MIX-2", "RM-7", "S-17", 300.0, "KGM", False),
    ("0020", "FILL-1", "RM-8", "B-3", 990.0, "EA", True),
)
RAW_LOTS = {(component, lot) for _, _, component, lot, *_ in OPERATIONS}
YIELD = 990.0
WAIT = 8.0  # seconds any one step may take


def lgtin(item: str, lot: str) -> str:
    """The lot's enterprise identity (EPC class URN) from the ERP's item code and lot number."""
    return f"urn:epc:class:lgtin:{GCP}.{ITEM_REFS[item]}.{lot}"


# --- the shop floor ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ShopMessage:
    message_id: str
    payload: dict[str, Any]


def shop_floor(order: Mapping[str, Any], produced_lot: str) -> list[ShopMessage]:
    """The MES confirmations for an order as lotline stored it from the ERP (an OrderStatus's data): the
    order id and the finished item come from the ERP record, nothing is typed twice."""
    assert order["item"] == FINISHED, order
    messages = []
    for hour, (operation, centre, component, lot, quantity, uom, final) in enumerate(OPERATIONS, 8):
        payload = {
            "type": "confirmation",
            "order": order["orderId"],
            "operation": operation,
            "workCenter": centre,
            "material": ITEM_REFS[order["item"]],
            "batch": produced_lot,
            "yield": YIELD,
            "scrap": 0,
            "uom": "EA",
            "final": final,
            "timestamp": f"2026-12-01T{hour:02d}:30:00+01:00",
            "consumed": [{"material": ITEM_REFS[component], "lot": lot, "qty": quantity, "uom": uom}],
        }
        messages.append(ShopMessage(f"{order['orderId']}/{operation}", payload))
    return messages


class Publisher:
    """The MES: a plain MQTT client publishing QoS 1 with a `message-id` user property."""

    def __init__(self, host: str, port: int, prefix: str) -> None:
        self.host, self.port, self.prefix = host, port, prefix
        self.peer = Peer(host, port, client_id=f"mes-{secrets.token_hex(4)}")

    def publish(self, message: ShopMessage) -> None:
        topic = f"{self.prefix}/line1/confirmations"
        body = json.dumps(message.payload).encode()
        self.peer.publish(topic, body, qos=1, props={"message-id": message.message_id})

    def close(self) -> None:
        self.peer.close()


def mqtt_source(host: str, port: int, prefix: str) -> MqttSource:
    """The shop-floor source: a persistent session (the same client id after a restart), QoS 1."""
    config = MqttConfig.model_validate(
        {
            "name": "mes",
            "host": host,
            "port": port,
            "client_id": f"lotline-e2e-{prefix.rsplit('/', 1)[-1]}",
            "topics": [f"{prefix}/+/confirmations"],
            "id_property": "message-id",
            "reconnect_max_delay": 1,
            "session_expiry": 60,  # the shared broker forgets the test's session soon after
        }
    )
    return MqttSource(config)


def mapper(order_template: str) -> MappingSet:
    """The shipped templates: the ERP's order template (matched by topic) and the MES confirmation."""
    return MappingSet(
        [load_mapping(f"template:{order_template}"), load_mapping("template:mes-production-confirmation")]
    )


# --- the runner -------------------------------------------------------------------------------------------

SETTINGS = RunnerSettings(batch_wait=0.001, rescan_interval=0.2)


@contextlib.asynccontextmanager
async def running(
    engine: Engine, sources: Mapping[str, Source], mapping: MappingSet
) -> AsyncIterator[Runner]:
    """The runner in a task; stopped (sources closed) on the way out, also when the test fails."""
    runner = Runner(engine, sources, mapping, SETTINGS)
    stop = asyncio.Event()
    task = asyncio.create_task(runner.run(stop))
    try:
        yield runner
    finally:
        stop.set()
        try:
            await asyncio.wait_for(task, WAIT)
        except TimeoutError:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
    if task.done() and not task.cancelled() and task.exception() is not None:
        raise task.exception()  # type: ignore[misc]


async def eventually(check: Callable[[], Any], what: str, timeout: float = WAIT) -> Any:
    """Poll `check` (run in a thread: it reads the database) until it returns something truthy."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = await asyncio.to_thread(check)
        if value:
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(0.05)


# --- what the store holds ---------------------------------------------------------------------------------


def operational(engine: Engine, kind: str) -> list[dict[str, Any]]:
    return [envelope for _, _, envelope in list_operational(engine, OperationalQuery(type=kind, limit=1000))]


def orders(engine: Engine) -> list[dict[str, Any]]:
    return operational(engine, OrderStatus.EVENT_TYPE)


def confirmations(engine: Engine) -> list[dict[str, Any]]:
    return operational(engine, OperationConfirmation.EVENT_TYPE)


def epcis_events(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        bodies = conn.execute(select(events_table.c.body).order_by(events_table.c.id)).scalars().all()
    return [orjson.loads(body) for body in bodies]


def open_letters(engine: Engine) -> list[dlq.DeadLetterRecord]:
    return dlq.list_letters(engine, state=dlq.LetterState.OPEN)


# --- back to the ERP --------------------------------------------------------------------------------------


def commands(engine: Engine) -> list[Outbound]:
    """The ERP commands for everything stored: confirmations in time order, with their transformations."""
    return erp_outbound([*epcis_events(engine), *confirmations(engine)], items=ERP_ITEMS)


@dataclass
class Outage:
    """Takes the ERP's server down; after `retries` retry waits of the sink it comes back, answering one
    503 and then one 429 with `Retry-After` before it works again. Records every wait the sink asked for."""

    server: LiveServer
    faults: Faults
    retries: int = 3
    retry_after: int = 1
    waits: list[float] = field(default_factory=list)
    down: bool = False
    restored_after: int | None = None

    def begin(self) -> None:
        self.server.stop()
        self.down = True

    async def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        if self.down and len(self.waits) >= self.retries:
            await asyncio.to_thread(self.server.start)
            self.faults.unavailable, self.faults.rate_limited = 1, 1
            self.faults.retry_after = self.retry_after
            self.down, self.restored_after = False, len(self.waits)
        await asyncio.sleep(seconds)

    def check(self) -> None:
        """The ERP was down for `retries` attempts, then its 503 and its 429 were retried, the 429 no sooner
        than its Retry-After said."""
        assert self.restored_after == self.retries, "delivered before the ERP was back?"
        assert self.faults.unavailable == self.faults.rate_limited == 0, "the 503 and 429 were not sent"
        assert max(self.waits[self.retries :]) >= self.retry_after, f"Retry-After not honoured: {self.waits}"


@dataclass
class Delivery:
    result: SendResult
    parked: list[DeadLetter] = field(default_factory=list)


async def deliver(
    engine: Engine, sink: Sink, name: str, items: Sequence[Outbound], outage: Outage
) -> Delivery:
    """Send `items` through the usual stack (dead letters <- retry (Retry-After) <- breaker <- sink)."""
    parked: list[DeadLetter] = []

    async def park(letters: list[DeadLetter]) -> None:
        parked.extend(letters)
        await asyncio.to_thread(dlq.park, engine, letters)

    wrapped = resilient(
        sink,
        name=name,
        retry=RetryPolicy(max_attempts=20, base_delay=0.02, max_delay=2.0),
        breaker=CircuitBreaker(name, failure_threshold=2, reset_after=0.05),
        park=park,
        sleep=outage.sleep,
        rand=lambda: 0.5,  # half of each backoff cap: short waits, unless Retry-After asks for more
    )
    await wrapped.connect()
    try:
        result = await wrapped.send(list(items))
    finally:
        await wrapped.close()
    return Delivery(result, parked)


# --- the scenario -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Erp:
    """One ERP as the scenario sees it: its fake's app, how lotline reads it and writes to it."""

    name: str
    app: Any
    source: Callable[[str], Source]  # base URL -> the ERP source (production orders)
    sink: Callable[[str], Sink]  # base URL -> the ERP sink
    template: str  # the order mapping template
    write: str  # "METHOD /path" of the request that posts a confirmation document (its answer gets lost)
    faults: Faults  # the fake's injectable faults


@dataclass
class Outcome:
    order: dict[str, Any]  # the OrderStatus data lotline stored from the ERP
    items: list[Outbound]  # the commands sent back
    deliveries: list[Delivery]
    outage: Outage


async def order_to_confirmation(
    erp: Erp, server: LiveServer, publisher: Publisher, engine: Engine, produced: str
) -> Outcome:
    """The ERP's released order is read; the ERP goes away; the shop floor confirms over MQTT; the commands
    built from the stored events are delivered once the ERP is back."""
    sources = {
        erp.name: erp.source(server.url),
        "mes": mqtt_source(publisher.host, publisher.port, publisher.prefix),
    }
    outage = Outage(server, erp.faults)
    async with running(engine, sources, mapper(erp.template)):
        [order] = await eventually(lambda: orders(engine), f"the order from {erp.name}")
        assert order["data"]["status"] == "released", order
        outage.begin()  # the ERP goes away before the shop floor reports: nothing on the floor waits for it
        for message in shop_floor(order["data"], produced):
            await asyncio.to_thread(publisher.publish, message)
        await eventually(lambda: len(confirmations(engine)) == len(OPERATIONS), "the confirmations stored")
    items = await asyncio.to_thread(commands, engine)
    delivery = await deliver(engine, erp.sink(server.url), erp.name, items, outage)
    outage.check()
    return Outcome(order["data"], items, [delivery], outage)


async def restart_in_the_middle(
    erp: Erp, server: LiveServer, publisher: Publisher, engine: Engine, produced: str
) -> Outcome:
    """Runner one reads the order and the first confirmation, whose commands go out (through an outage);
    it stops; the second confirmation arrives while no runner runs; runner two, on the same database and
    MQTT session, re-reads the order (a duplicate), takes the second confirmation, and everything stored
    is delivered again: what landed before is recognised by its key, not posted twice."""
    first, second = OPERATIONS[0][0], OPERATIONS[1][0]

    def sources() -> dict[str, Source]:
        return {
            erp.name: erp.source(server.url),
            "mes": mqtt_source(publisher.host, publisher.port, publisher.prefix),
        }

    outage = Outage(server, erp.faults)
    async with running(engine, sources(), mapper(erp.template)):
        [order] = await eventually(lambda: orders(engine), f"the order from {erp.name}")
        messages = {m.payload["operation"]: m for m in shop_floor(order["data"], produced)}
        await asyncio.to_thread(publisher.publish, messages[first])
        await eventually(lambda: len(confirmations(engine)) == 1, "the first confirmation stored")
    outage.begin()
    early = await asyncio.to_thread(commands, engine)
    deliveries = [await deliver(engine, erp.sink(server.url), erp.name, early, outage)]
    outage.check()
    await asyncio.to_thread(publisher.publish, messages[second])  # no runner is running
    async with running(engine, sources(), mapper(erp.template)) as runner:
        await eventually(lambda: len(confirmations(engine)) == len(OPERATIONS), "the second confirmation")
        await eventually(lambda: runner.counters.of(erp.name).redelivered >= 1, "the order read again")
    items = await asyncio.to_thread(commands, engine)
    assert {o.key for o in early} < {o.key for o in items}
    deliveries.append(await deliver(engine, erp.sink(server.url), erp.name, items, outage))
    return Outcome(order["data"], items, deliveries, outage)


# --- traces -----------------------------------------------------------------------------------------------


def traced(engine: Engine, direction: str, item: str, lot: str) -> set[str]:
    """The ids of the items a trace from a lot reaches, asked as the quality team asks: GET
    /api/v1/trace/{direction} with a key of scope `trace`."""
    _, token = create_key(engine, f"e2e-{secrets.token_hex(3)}", frozenset({"trace"}))
    with TestClient(create_app(engine)) as client:
        response = client.get(
            f"/api/v1/trace/{direction}",
            params={"id": lgtin(item, lot)},
            headers={"Authorization": f"Bearer {token}"},
        )
    assert response.status_code == 200, f"{direction} trace from {lgtin(item, lot)}: {response.text}"
    body = response.json()
    assert body["root"] == lgtin(item, lot) and body["direction"] == direction
    return {entry["id"] for entry in body["items"]}


class LoseAnswers:
    """ASGI middleware: the ERP carries out the first `count` requests matching `write`, then the answer is
    lost (503 instead). The ERP has the document; lotline must find it by its key, not post it again."""

    def __init__(self, app: Any, write: str, count: int = 1) -> None:
        self.app, self.write, self.left = app, write, count
        self.lost: list[str] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        request = f"{scope.get('method')} {scope.get('path')}"
        if scope["type"] != "http" or self.left <= 0 or request != self.write:
            await self.app(scope, receive, send)
            return
        answer: list[Any] = []

        async def hold(message: Any) -> None:
            answer.append(message)

        await self.app(scope, receive, hold)
        if not 200 <= answer[0]["status"] < 300:  # not carried out (an injected fault): pass it on
            for message in answer:
                await send(message)
            return
        self.left -= 1
        self.lost.append(request)
        await send(
            {"type": "http.response.start", "status": 503, "headers": [(b"content-type", b"text/plain")]}
        )
        await send({"type": "http.response.body", "body": b"answer lost on the way back (e2e test)"})


@contextlib.contextmanager
def serving(app: Any) -> Iterator[LiveServer]:
    server = LiveServer(app)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def run(
    scenario: Callable[..., Coroutine[Any, Any, Outcome]], erp: Erp, broker: Any, prefix: str, engine: Engine
) -> Outcome:
    """Serve the ERP fake and the MES publisher around one scenario; both are gone afterwards, pass or fail."""
    produced = f"FG-{secrets.token_hex(3).upper()}"
    app = LoseAnswers(erp.app, erp.write)
    with serving(app) as server:
        publisher = Publisher(broker.host, broker.port, prefix)
        try:
            outcome: Outcome = asyncio.run(scenario(erp, server, publisher, engine, produced))
        finally:
            publisher.close()
    outcome.order["produced"] = produced
    assert app.lost == [erp.write], "the ERP never posted a confirmation document"
    return outcome


def check_lotline_side(outcome: Outcome, engine: Engine) -> dict[str, list[dict[str, Any]]]:
    """Every delivery complete, nothing dead-lettered (in or out), each event stored once; returns the
    commands by kind as payloads with their keys."""
    for delivery in outcome.deliveries:
        assert delivery.result.ok and not delivery.parked, delivery
    assert set(outcome.deliveries[-1].result.delivered) == {o.key for o in outcome.items}
    assert not open_letters(engine)
    assert len(orders(engine)) == 1
    assert len(confirmations(engine)) == len(OPERATIONS)
    transformations = [e for e in epcis_events(engine) if e["type"] == "TransformationEvent"]
    assert len(transformations) == len(OPERATIONS)
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for item in outcome.items:
        command = orjson.loads(item.payload)
        by_kind.setdefault(command["kind"], []).append({"key": item.key, **command})
    confirmations_ = by_kind["production_confirmation"]
    assert len(confirmations_) == len(OPERATIONS)
    assert {(c["orderId"], c["operation"]) for c in confirmations_} == {
        (outcome.order["orderId"], operation) for operation, *_ in OPERATIONS
    }
    assert all(c["lot"] == outcome.order["produced"] and c["item"] == FINISHED for c in confirmations_)
    planned = {op: [(item, lot, quantity)] for op, _, item, lot, quantity, _, _ in OPERATIONS}
    for c in confirmations_:
        assert [(u["item"], u["lot"], u["quantity"]) for u in c["consumed"]] == planned[c["operation"]], c
    return by_kind


def expected_consumption(by_kind: Mapping[str, list[dict[str, Any]]]) -> list[tuple[str, str, str, float]]:
    """(key, item, lot, quantity) of every consumed lot the confirmations carry, sorted."""
    return sorted(
        (c["key"], used["item"], used["lot"], float(used["quantity"]))
        for c in by_kind["production_confirmation"]
        for used in c["consumed"]
    )


def check_traces(engine: Engine, produced: str) -> None:
    """Forward from each consumed raw-material lot reaches the produced lot; backward from the produced lot
    reaches exactly the consumed lots."""
    finished = lgtin(FINISHED, produced)
    for item, lot in RAW_LOTS:
        assert finished in traced(engine, "forward", item, lot), (item, lot)
    assert traced(engine, "backward", FINISHED, produced) == {lgtin(item, lot) for item, lot in RAW_LOTS}
