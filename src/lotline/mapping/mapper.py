"""The Mapper: one loaded mapping, callable as `mapper(message) -> list[dict]`.

What it returns, in the order of the mapping's outputs (and of `foreach` elements):
- an EPCIS 2.0 event as a JSON-LD object (`{"type": "ObjectEvent", ...}`), ready for the pipeline's
  validate stage; no `eventID` unless the mapping sets one (the capture stage uses the event hash);
- an operational event wrapped in its CloudEvents 1.0 envelope (`{"specversion": "1.0", "type":
  "io.lotline.equipment.state.v1", "data": {...}, ...}`). `is_operational(item)` tells them apart: only
  envelopes have `specversion`. The envelope `id` is derived from the source message id, the mapping,
  the output and the element index, so mapping a redelivered message gives the same id.

Mapping is a pure function of the message (and the lookups): no clock, no randomness. Every failure is
a MappingError naming the mapping, the output (`rule`), the field and the file:line of the expression.
"""

from __future__ import annotations

import fnmatch
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
import pydantic
from lxml import etree

from lotline.connectors.base import Message
from lotline.epcis.timefmt import format_time
from lotline.errors import MappingError
from lotline.mapping.b2mml import is_xml, xml_to_dict
from lotline.mapping.expr import UNDEFINED, Expr
from lotline.mapping.source import locate
from lotline.mapping.template import Node
from lotline.model.envelope import CloudEvent
from lotline.model.operational import OperationalEvent, event_data

__all__ = ["Mapper", "Rule", "is_operational", "topic_matches"]


def is_operational(item: Mapping[str, Any]) -> bool:
    """True for an operational event's CloudEvents envelope, False for an EPCIS event."""
    return "specversion" in item


def topic_matches(pattern: str, topic: str) -> bool:
    """MQTT topic filter semantics: `+` matches one level, a final `#` matches any remaining levels."""
    wanted, parts = pattern.split("/"), topic.split("/")
    for i, level in enumerate(wanted):
        if level == "#":
            return True
        if i >= len(parts) or (level != "+" and level != parts[i]):
            return False
    return len(wanted) == len(parts)


@dataclass(frozen=True, slots=True)
class Rule:
    """One compiled output."""

    name: str
    template: Node
    model: type[OperationalEvent] | None = None  # None: an EPCIS event
    when: Expr | None = None
    foreach: Expr | None = None
    subject: Node | None = None
    correlationid: Node | None = None
    raw: Any = None  # the template as written (with locations), to point at a field that fails


@dataclass(slots=True)
class Mapper:
    """A loaded mapping. Build it with `lotline.mapping.load_mapping`."""

    name: str
    version: str
    rules: Sequence[Rule]
    plant: str | None = None
    files: Sequence[str] = ()  # the file, then the files it extends
    plants: Sequence[str] = ()  # the plants that have a `plants:` section (overrides)
    topics: Sequence[str] = ()
    sources: Sequence[str] = ()
    when: Expr | None = None
    variables: Sequence[tuple[str, Node]] = ()
    functions: Mapping[str, Any] = field(default_factory=dict)

    def matches(self, message: Message) -> bool:
        """Whether the mapping takes this message (topic, source and `match.when`)."""
        if self.topics and not any(topic_matches(t, message.topic) for t in self.topics):
            return False
        if self.sources and not any(fnmatch.fnmatchcase(message.source, s) for s in self.sources):
            return False
        if self.when is not None:
            payload = self._decode(message)
            bindings = self._bindings(message, payload)
            try:
                return bool(self.when.evaluate(payload, bindings))
            except MappingError as exc:
                raise self._error(exc, "match", "match.when") from None
        return True

    def __call__(self, message: Message) -> list[dict[str, Any]]:
        """The canonical events for `message` (see the module docstring), or a MappingError."""
        payload = self._decode(message)
        bindings = self._bindings(message, payload)
        out: list[dict[str, Any]] = []
        for rule in self.rules:
            if rule.when is not None and not self._eval(rule.when, rule, "when", payload, bindings):
                continue
            if rule.foreach is None:
                out.append(self._render(rule, message, payload, bindings, 0))
                continue
            elements = self._eval(rule.foreach, rule, "foreach", payload, bindings)
            if elements is UNDEFINED:
                continue
            for index, each in enumerate(elements if isinstance(elements, list) else [elements]):
                scoped = {**bindings, "each": each, "index": index}
                out.append(self._render(rule, message, payload, scoped, index))
        return out

    # --- internals ----------------------------------------------------------------------------------

    def _decode(self, message: Message) -> Any:
        if is_xml(message.headers.get("content-type")):  # e.g. B2MML from the files connector
            try:
                return xml_to_dict(message.payload)
            except etree.XMLSyntaxError as exc:
                raise MappingError(
                    f"mapping {self.name} v{self.version}: the payload of {message.message_id} is not "
                    f"well-formed XML: {exc}",
                    mapping=self.name,
                ) from None
        try:
            return orjson.loads(message.payload)
        except orjson.JSONDecodeError as exc:
            raise MappingError(
                f"mapping {self.name} v{self.version}: the payload of {message.message_id} is not JSON: {exc}",
                mapping=self.name,
            ) from None

    def _bindings(self, message: Message, payload: Any) -> dict[str, Any]:
        bindings: dict[str, Any] = dict(self.functions)
        bindings["message"] = {
            "source": message.source,
            "messageId": message.message_id,
            "topic": message.topic,
            "headers": dict(message.headers),
            "receivedAt": format_time(message.received_at),
        }
        bindings["plant"] = self.plant if self.plant is not None else message.headers.get("plant")
        for name, node in self.variables:
            try:
                value = node.render(payload, bindings)
            except MappingError as exc:
                raise self._error(exc, "vars", f"vars.{name}") from None
            if value is not UNDEFINED:
                bindings[name] = value
        return bindings

    def _eval(self, expr: Expr, rule: Rule, field: str, payload: Any, bindings: Mapping[str, Any]) -> Any:
        try:
            return expr.evaluate(payload, bindings)
        except MappingError as exc:
            raise self._error(exc, rule.name, f"outputs[{rule.name}].{field}") from None

    def _render(
        self, rule: Rule, message: Message, payload: Any, bindings: Mapping[str, Any], index: int
    ) -> dict[str, Any]:
        try:
            return self._build(rule, message, payload, bindings, index)
        except MappingError as exc:
            raise self._error(exc, rule.name, exc.field or f"outputs[{rule.name}]") from None

    def _build(
        self, rule: Rule, message: Message, payload: Any, bindings: Mapping[str, Any], index: int
    ) -> dict[str, Any]:
        body = rule.template.render(payload, bindings)
        if rule.model is None:
            return dict(body)
        data = dict(body)
        data.setdefault("time", bindings["message"]["receivedAt"])
        if bindings["plant"] is not None:
            data.setdefault("plant", bindings["plant"])
        try:
            event = rule.model.model_validate(data)
        except pydantic.ValidationError as exc:
            error = exc.errors()[0]
            path = [step for step in error["loc"] if isinstance(step, str | int)]
            loc = locate(rule.raw, path[:1])
            where = f"outputs[{rule.name}].data." + ".".join(str(step) for step in path)
            got = data.get(str(path[0])) if path else data
            raise MappingError(
                f"{error['msg']} (got {got!r})", field=where, location=str(loc) if loc else None
            ) from None
        subject = rule.subject.render(payload, bindings) if rule.subject else UNDEFINED
        correlation = rule.correlationid.render(payload, bindings) if rule.correlationid else UNDEFINED
        key = f"{message.source}\n{message.message_id}\n{self.name}\n{rule.name}\n{index}"
        envelope = CloudEvent(
            id=hashlib.sha256(key.encode()).hexdigest()[:32],
            source=message.source,
            type=rule.model.EVENT_TYPE,
            time=event_data(event)["time"],
            subject=str(subject) if subject is not UNDEFINED else event.subject(),
            data=event_data(event),
            plant=event.plant,
            correlationid=str(correlation)
            if correlation is not UNDEFINED
            else message.headers.get("correlationid"),
            traceparent=message.headers.get("traceparent"),
        )
        return envelope.to_json()

    def _error(self, exc: MappingError, rule: str, field: str) -> MappingError:
        where = f" ({exc.location})" if exc.location else ""
        text = str(exc)
        if exc.location and text.startswith(exc.location):
            text = text[len(exc.location) :].lstrip(": ")
        return MappingError(
            f"mapping {self.name} v{self.version}, output {rule}, field {field}{where}: {text}",
            mapping=self.name,
            rule=rule,
            field=field,
            location=exc.location,
        )
