"""What one delivery does, step by step (the durable workflow in `_durable` calls these).

A job is a small JSON object naming what to deliver, never the payload itself (payloads are built from the
store at each attempt, so a replay after fixing a route or a mapping sends the fixed payload):

    {"kind": "route",  "key": "deliver:<route>:<hash>", "route": "<name>", "event": <row id>}
    {"kind": "window", "key": "sub:<subscription>:<seq>", "subscription": "<id>", "seq": <n>}

The idempotency key is `job["key"]` (a window sent in several documents: `<key>:<part>`), the same on every
attempt, after a crash and on a replay.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import Callable, Mapping
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool

from lotline.connectors.base import Outbound, Sink
from lotline.connectors.registry import Registry
from lotline.connectors.webhook import Attempt, WebhookConfig, WebhookSink
from lotline.connectors.wrappers import CircuitBreaker, CircuitOpen, DeadLetter, RetryPolicy, describe
from lotline.errors import LotlineError, NotFound
from lotline.outbound.routes import RouteConfig
from lotline.store import subscriptions as subs
from lotline.store.dlq import park_on
from lotline.store.engine import writer
from lotline.store.schema import dead_letters, events

STAGE = "deliver"
DOCUMENT_EVENTS = 500  # events per EPCISQueryDocument sent to a subscriber
SUBSCRIPTION_RETRY = RetryPolicy(max_attempts=10, base_delay=1.0, max_delay=300.0)
SUBSCRIPTION_GIVE_UP = 86_400.0
SUBSCRIPTION_BREAKER = (5, 30.0)


class Delivery:
    """The lotline side of the delivery workflow: builds payloads from the store, sends through the
    route's sink and the endpoint's circuit breaker, parks what cannot be delivered."""

    def __init__(
        self,
        engine: Engine,
        routes: Mapping[str, RouteConfig],
        registry: Registry | None = None,
        *,
        rand: Callable[[], float] = random.random,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.engine = engine
        self.routes = dict(routes)
        self.registry = registry
        self._rand = rand
        self._clock = clock
        self._breakers: dict[str, CircuitBreaker] = {}
        self._sinks: dict[str, Sink] = {}
        self._sink_lock = asyncio.Lock()

    # --- the steps ---------------------------------------------------------------------------------------

    async def plan(self, job: dict[str, Any]) -> dict[str, Any]:
        started = self._clock()
        if job["kind"] == "route":
            route = self.routes.get(job["route"])
            if route is None:
                return {"gone": True}
            return {
                "parts": 1,
                "max_attempts": route.retry.max_attempts,
                "give_up_after": route.retry.give_up_after,
                "started": started,
            }
        window = await run_in_threadpool(subs.get_window, self.engine, job["subscription"], int(job["seq"]))
        if window is None:
            return {"gone": True}
        try:
            sub = await run_in_threadpool(subs.get_subscription, self.engine, job["subscription"])
            ids = await run_in_threadpool(self._window_ids, sub, window)
        except NotFound:  # unsubscribed, or its query deleted
            return {"gone": True}
        parts = -(-len(ids) // DOCUMENT_EVENTS)
        if not ids and not sub.stream and sub.report_if_empty:
            parts = 1  # reportIfEmpty: an empty EPCISQueryDocument
        return {
            "parts": parts,
            "events": len(ids),
            "max_attempts": SUBSCRIPTION_RETRY.max_attempts,
            "give_up_after": SUBSCRIPTION_GIVE_UP,
            "started": started,
        }

    async def attempt(self, job: dict[str, Any], part: int, number: int) -> dict[str, Any]:
        try:
            built = await run_in_threadpool(self._build, job, part)
        except (LotlineError, ValueError) as exc:  # the payload cannot be built (a transform fails): park
            return {
                "status": "permanent",
                "reason": f"building the payload: {describe(exc)}",
                "at": self._clock(),
            }
        except Exception as exc:  # the store is away for a moment: try again later
            wait = SUBSCRIPTION_RETRY.wait(number, None, self._rand)
            return {"status": "retry", "reason": describe(exc), "wait": wait, "at": self._clock()}
        if built is None:
            return {"status": "gone", "at": self._clock()}
        item, endpoint, breaker_settings, policy = built
        breaker = self._breaker(endpoint, *breaker_settings)
        try:
            breaker.before_call()
        except CircuitOpen as exc:
            wait = breaker.reset_after * (0.25 + 0.25 * self._rand())
            return {"status": "open", "reason": str(exc), "wait": wait, "at": self._clock()}
        try:
            result = await self._send(job, item)
        except Exception as exc:  # a sink that raises: transient if the retry policy says so
            result = Attempt(item.key, False, describe(exc), permanent=not policy.is_retryable(exc))
        except BaseException:  # cancelled (shutdown): free the breaker's trial slot
            breaker.record_failure()
            raise
        if result.delivered or result.permanent:
            breaker.record_success()  # the endpoint answered; a refusal is about the message, not the target
        else:
            breaker.record_failure()
        if result.delivered:
            return {"status": "delivered", "at": self._clock()}
        if result.permanent:
            return {"status": "permanent", "reason": result.reason, "at": self._clock()}
        error = _Hint(result.retry_after)
        return {
            "status": "retry",
            "reason": result.reason,
            "wait": policy.wait(number, error, self._rand),
            "at": self._clock(),
        }

    async def park(self, job: dict[str, Any], reason: str, attempts: int) -> None:
        await run_in_threadpool(self._park, job, reason, attempts)

    async def finish(self, job: dict[str, Any], plan: dict[str, Any]) -> None:
        if job["kind"] != "window":
            return
        window = await run_in_threadpool(subs.get_window, self.engine, job["subscription"], int(job["seq"]))
        if window is None:
            return
        sent = int(plan["parts"]) > 0
        state = subs.DONE if sent else subs.EMPTY
        await run_in_threadpool(
            subs.finish_window, self.engine, window, state, int(plan["events"]), notified=sent
        )

    # --- building and sending ----------------------------------------------------------------------------

    def _build(
        self, job: dict[str, Any], part: int
    ) -> tuple[Outbound, str, tuple[int, float], RetryPolicy] | None:
        if job["kind"] == "route":
            route = self.routes.get(job["route"])
            if route is None:
                return None
            with self.engine.connect() as conn:
                body = conn.execute(sa.select(events.c.body).where(events.c.id == int(job["event"]))).scalar()
            if body is None:
                return None
            from lotline.outbound.routes import payload

            item = Outbound(job["key"], payload(route, orjson.loads(body)))
            return (
                item,
                route.endpoint,
                (route.breaker.failure_threshold, route.breaker.reset_after),
                (route.retry.policy()),
            )
        window = subs.get_window(self.engine, job["subscription"], int(job["seq"]))
        if window is None:
            return None
        try:
            sub = subs.get_subscription(self.engine, job["subscription"])
            ids = self._window_ids(sub, window)
        except NotFound:
            return None
        chunk = ids[part * DOCUMENT_EVENTS : (part + 1) * DOCUMENT_EVENTS]
        document = self._document(sub, chunk)
        key = job["key"] if len(ids) <= DOCUMENT_EVENTS else f"{job['key']}:{part}"
        headers = {"GS1-EPCIS-Version": "2.0.0", "GS1-CBV-Version": "2.0.0"}
        return (
            Outbound(key, orjson.dumps(document), headers=headers),
            sub.dest,
            SUBSCRIPTION_BREAKER,
            (SUBSCRIPTION_RETRY),
        )

    async def _send(self, job: dict[str, Any], item: Outbound) -> Attempt:
        sink = await self._sink(job)
        if isinstance(sink, WebhookSink):
            return await sink.attempt(item)
        result = await sink.send([item])
        if item.key in result.delivered:
            return Attempt(item.key, True)
        reason = result.failed.get(item.key, "the sink reported no outcome")
        return Attempt(item.key, False, reason, permanent=reason.startswith("permanent:"))

    async def _sink(self, job: dict[str, Any]) -> Sink:
        if job["kind"] == "window":
            sub = await run_in_threadpool(subs.get_subscription, self.engine, job["subscription"])
            name = f"subscription:{sub.id}"
            config: Any = WebhookConfig(url=sub.dest, secret=sub.signature_token, signature="gs1")
            factory: Callable[[Any], Sink] = WebhookSink
        else:
            route = self.routes[job["route"]]
            name = f"route:{route.name}"
            if route.target.kind == "webhook":
                config, factory = WebhookConfig.model_validate(route.target.config), WebhookSink
            else:
                registry = self.registry or Registry.discover()
                spec = registry.get(route.target.kind)
                if spec.sink is None:
                    raise ValueError(f"connector kind {route.target.kind!r} has no sink")
                config, factory = spec.config.model_validate(route.target.config), spec.sink
        async with self._sink_lock:
            sink = self._sinks.get(name)
            if sink is None:
                sink = self._sinks[name] = factory(config)
                await sink.connect()
        return sink

    async def close(self) -> None:
        sinks, self._sinks = self._sinks, {}
        for sink in sinks.values():
            with contextlib.suppress(Exception):  # closing is best effort
                await sink.close()

    def _breaker(self, endpoint: str, threshold: int, reset_after: float) -> CircuitBreaker:
        breaker = self._breakers.get(endpoint)
        if breaker is None:
            breaker = self._breakers[endpoint] = CircuitBreaker(endpoint, threshold, reset_after)
        return breaker

    def breaker_states(self) -> dict[str, str]:
        return {endpoint: b.state.value for endpoint, b in sorted(self._breakers.items())}

    # --- subscriptions -------------------------------------------------------------------------------------

    def _window_ids(self, sub: subs.Subscription, window: subs.Window) -> list[int]:
        """The ids of the events in a window that match the subscription's query, in capture order."""
        from lotline.store.query import parse_query

        named = subs.get_query(self.engine, sub.query_name)
        query = parse_query(_conditions_only(named.query))
        stmt = (
            sa.select(events.c.id)
            .where(
                events.c.id > window.from_event,
                events.c.id <= window.to_event,
                events.c.record_time >= sub.initial_record_time,
                *query.conditions,
            )
            .order_by(events.c.id)
        )
        with self.engine.connect() as conn:
            return [int(i) for i in conn.execute(stmt).scalars()]

    def _document(self, sub: subs.Subscription, ids: list[int]) -> dict[str, Any]:
        from lotline.api.epcis import query_document
        from lotline.epcis.epc_format import translate_event

        bodies: dict[int, str] = {}
        if ids:
            with self.engine.connect() as conn:
                stmt = sa.select(events.c.id, events.c.body).where(events.c.id.in_(ids))
                bodies = {int(i): b for i, b in conn.execute(stmt)}
        found = [translate_event(orjson.loads(bodies[i]), sub.epc_format) for i in ids if i in bodies]
        document = query_document(found)
        results = document["epcisBody"]["queryResults"]
        results["subscriptionID"] = sub.id
        results["queryName"] = "SimpleEventQuery"
        return document

    # --- dead letters ----------------------------------------------------------------------------------------

    def _park(self, job: dict[str, Any], reason: str, attempts: int) -> None:
        built = None
        try:
            built = self._build(job, 0)
        except Exception:  # the payload cannot even be built: park the job itself
            built = None
        payload = built[0].payload if built is not None else orjson.dumps(job)
        source = f"route:{job['route']}" if job["kind"] == "route" else f"subscription:{job['subscription']}"
        headers = {k: str(v) for k, v in job.items()}
        letter = DeadLetter(source, job["key"], payload, STAGE, reason, attempts, headers=headers)
        window = None
        if job["kind"] == "window":
            window = subs.get_window(self.engine, job["subscription"], int(job["seq"]))
        # the letter and the window's state in one transaction: whoever sees the letter sees the window dead
        with writer(self.engine).begin() as conn:
            # a repeated step (crash after the insert, before the checkpoint) parks nothing more
            exists = conn.execute(
                sa.select(dead_letters.c.id).where(
                    dead_letters.c.source == source,
                    dead_letters.c.message_id == job["key"],
                    dead_letters.c.stage == STAGE,
                    dead_letters.c.replayed_at.is_(None),
                    dead_letters.c.discarded_at.is_(None),
                )
            ).first()
            if exists is None:
                park_on(conn, [letter])
            if window is not None:
                subs.finish_window_on(conn, window, subs.DEAD, 0, notified=False)


class _Hint(Exception):
    """Carries a target's Retry-After to RetryPolicy.wait."""

    def __init__(self, retry_after: float | None) -> None:
        super().__init__("retry")
        self.retry_after = retry_after


CONTROL_PARAMS = frozenset(
    {"orderBy", "orderDirection", "eventCountLimit", "maxEventCount", "perPage", "nextPageToken"}
)


def _conditions_only(query: Mapping[str, list[str]]) -> dict[str, list[str]]:
    """A subscription delivers every match of its window: the query's paging and ordering do not apply."""
    return {k: v for k, v in query.items() if k not in CONTROL_PARAMS}
