"""Outbound delivery: routes from stored events to sinks and EPCIS subscribers, durable through DBOS.

    from lotline.outbound import Outbound, OutboundConfig, RouteConfig

    config = OutboundConfig(routes=[RouteConfig(name="erp", target={"kind": "webhook", "config": {...}})])
    async with Outbound(engine, config, db_url=url):
        ...

Every delivery is a DBOS workflow whose id derives from the event (or the subscription window), so it is
started once; it retries with backoff and jitter behind a circuit breaker per endpoint, keeps per-key
order where the route asks for it, and ends delivered or dead-lettered (stage `deliver`, replayable with
`lotline dlq replay`). See docs/outbound.md and docs/subscriptions.md.
"""

from lotline.outbound.routes import (
    BreakerSettings,
    OutboundConfig,
    RetrySettings,
    RouteConfig,
    RouteMatch,
    TargetConfig,
    delivery_key,
)
from lotline.outbound.schedule import Schedule, ScheduleError
from lotline.outbound.service import Outbound, system_database_url

__all__ = [
    "BreakerSettings",
    "Outbound",
    "OutboundConfig",
    "RetrySettings",
    "RouteConfig",
    "RouteMatch",
    "Schedule",
    "ScheduleError",
    "TargetConfig",
    "delivery_key",
    "system_database_url",
]
