"""The `outbound:` section's checks the route model cannot make alone, each at the line that is wrong.

The section itself is `lotline.outbound.OutboundConfig`, the same model `lotline deliver --routes` reads
(validated with the rest of the file by `LotlineConfig`). Here: every route's target is a registered
connector kind with a sink and its `config` passes that kind's own options model; `transform` and a
JSONata `ordering` compile; and the database can hold DBOS's state (not an in-memory SQLite).
"""

from __future__ import annotations

import pydantic
from sqlalchemy.engine import make_url

from lotline.config.model import LotlineConfig
from lotline.config.problems import Problems
from lotline.connectors.registry import Registry, UnknownConnector
from lotline.errors import MappingError
from lotline.mapping.expr import Expr
from lotline.store.engine import normalise_url

__all__ = ["check_outbound"]

ORDERING_WORDS = ("lot", "order", "correlation")


def check_outbound(model: LotlineConfig, registry: Registry, problems: Problems) -> None:
    """Add a located problem for each route target, expression or database that cannot work."""
    outbound = model.outbound
    if outbound is None:
        return
    for index, route in enumerate(outbound.routes):
        path: list[str | int] = ["outbound", "routes", index]
        try:
            spec = registry.get(route.target.kind)
        except UnknownConnector as exc:
            problems.add([*path, "target", "kind"], str(exc))
        else:
            if spec.sink is None:
                problems.add(
                    [*path, "target", "kind"],
                    f"connector kind {route.target.kind!r} cannot send messages (it has no sink)",
                )
            else:
                try:
                    spec.config.model_validate(route.target.config)
                except pydantic.ValidationError as exc:
                    problems.from_pydantic(exc, spec.config, [*path, "target", "config"], what="option")
        expressions: dict[str, str | None] = {"transform": route.transform}
        ordering = route.ordering
        if ordering is not None and ordering not in ORDERING_WORDS and not ordering.startswith("order:"):
            expressions["ordering"] = ordering
        for field, source in expressions.items():
            if source is None:
                continue
            try:
                Expr(source)
            except MappingError as exc:
                problems.add([*path, field], str(exc))
    if _in_memory(model.database.url):
        problems.add(
            ["outbound"],
            "durable delivery keeps its state beside the database: use a SQLite file or PostgreSQL, "
            "not an in-memory SQLite",
        )


def _in_memory(url: str) -> bool:
    try:
        parsed = make_url(normalise_url(url))
    except Exception:  # a bad URL is reported where the database is opened
        return False
    return parsed.get_backend_name() == "sqlite" and parsed.database in (None, "", ":memory:")
