"""MQTT connector: subscribe with topic filters (QoS 1, persistent session, manual PUBACK) and publish.

The source PUBACKs a QoS 1 message only when lotline calls the message's ack, i.e. after the message is
durably kept. Unacknowledged messages stay in the broker's session for this client id and are redelivered
after a crash, a reconnect or a broker restart. See docs/mqtt.md.

`message_id` (the inbox's dedupe key), in order of preference:
1. `id_property`: an MQTT 5 user property the publisher sets (e.g. `message-id`): exact, recommended.
2. `id_field`: a top-level field of a JSON payload (e.g. `eventId`), prefixed with the topic.
3. otherwise `blake2b:` + digest of topic and payload. Stable across redelivery, but two identical payloads
   on one topic are one message (publishers should include a timestamp or a counter in the payload).
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal

import orjson
from pydantic import Field, field_validator

from lotline.connectors.base import Ack, Check, ConnectorSpec, Lifecycle, Message, Outbound, SendResult
from lotline.connectors.mqtt_options import MqttConnection
from lotline.connectors.registry import require

if TYPE_CHECKING:
    from lotline.connectors.mqtt_client import Session
    from lotline.connectors.mqtt_deliveries import Delivery


class MqttConfig(MqttConnection):
    """Options of the `mqtt` connector (source: subscribe; sink: publish)."""

    topics: list[str] = Field(
        default_factory=list,
        description="Topic filters to subscribe to (`+` one level, `#` the rest), e.g. `plant1/+/lots/#`.",
    )
    qos: Literal[0, 1] = Field(
        1, description="Subscription QoS. 1 (at least once) is needed for acknowledgement and redelivery."
    )
    content_type: str = Field(
        "application/json",
        description="Content type recorded on each message when the publisher does not send one (MQTT 5).",
    )
    id_property: str | None = Field(
        None,
        description="MQTT 5 user property carrying the publisher's message id, used as the dedupe key. The sink "
        "sets it to each outbound message's key.",
    )
    id_field: str | None = Field(
        None,
        description="Top-level field of a JSON payload that identifies the message (when no id_property).",
    )
    publish_topic: str | None = Field(None, description="Sink: topic for outbound messages that have none.")
    publish_qos: Literal[0, 1] = Field(1, description="Sink: QoS of published messages.")
    publish_retain: bool = Field(False, description="Sink: publish with the retain flag.")
    publish_timeout: float = Field(10.0, gt=0, description="Sink: seconds to wait for the broker's PUBACK.")

    @field_validator("topics")
    @classmethod
    def _filters(cls, topics: list[str]) -> list[str]:
        for t in topics:
            levels = t.split("/")
            bad = any(
                ("#" in lv and (lv != "#" or i != len(levels) - 1)) or ("+" in lv and lv != "+")
                for i, lv in enumerate(levels)
            )
            if not t or bad:
                raise ValueError(f"{t!r} is not a valid MQTT topic filter")
        return topics


def message_id(config: MqttConfig, topic: str, payload: bytes, user_properties: dict[str, str]) -> str:
    """The deterministic id of a message (see the module docstring for the order of preference)."""
    if config.id_property and user_properties.get(config.id_property):
        return user_properties[config.id_property]
    if config.id_field:
        try:
            doc = orjson.loads(payload)
        except orjson.JSONDecodeError:
            doc = None
        value = doc.get(config.id_field) if isinstance(doc, dict) else None
        if isinstance(value, str | int) and not isinstance(value, bool):
            return f"{topic}#{value}"
    digest = hashlib.blake2b(topic.encode() + b"\0" + payload, digest_size=20).hexdigest()
    return f"blake2b:{digest}"


class MqttSource(Lifecycle):
    """Messages from the subscribed topic filters, each acknowledged (PUBACK) only when lotline acks it."""

    def __init__(self, config: MqttConfig) -> None:
        if not config.topics:
            raise ValueError("an MQTT source needs at least one topic filter in `topics`")
        self.config = config
        self.name = config.name or f"mqtt://{config.host}:{config.port}"
        self._session: Session | None = None
        self._subscribed = False

    async def connect(self) -> None:
        if self._session is not None:
            return
        require("paho.mqtt", "mqtt")
        from lotline.connectors.mqtt_client import Session

        session = Session(self.config.client_options(), on_connected=self._on_connected)
        await session.start()
        self._session = session

    def _on_connected(self, session: Session, session_present: bool) -> None:
        # A resumed session still has its subscriptions; subscribe anyway once per process so that a changed
        # topic list takes effect (on MQTT 5 this does not resend retained messages).
        if not session_present or not self._subscribed:
            session.subscribe([(t, self.config.qos) for t in self.config.topics])
            self._subscribed = True

    async def read(self) -> tuple[Message, Ack]:
        session = self._require()
        d = await session.next()
        if d.converted is None:
            d.converted = self._to_message(d)
        message: Message = d.converted

        async def ack(error: BaseException | None = None, /) -> None:
            session.settle(d, error)

        return message, ack

    def _to_message(self, d: Delivery) -> Message:
        headers = dict(d.user_properties)
        headers.update(
            {
                "content-type": d.content_type or self.config.content_type,
                "mqtt-qos": str(d.qos),
                "mqtt-retain": "true" if d.retain else "false",
                "mqtt-dup": "true" if d.dup else "false",
            }
        )
        mid = message_id(self.config, d.topic, d.payload, dict(d.user_properties))
        return Message(source=self.name, message_id=mid, payload=d.payload, topic=d.topic, headers=headers)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.stop()
            self._session = None

    async def check(self) -> Check:
        return await check_connection(self.config, self._session)

    def _require(self) -> Session:
        if self._session is None:
            raise RuntimeError("MqttSource.read() before connect()")
        return self._session


class MqttSink(Lifecycle):
    """Publishes outbound messages (QoS 1 by default, confirmed by the broker's PUBACK). Its client id is the
    configured one plus `-sink`, so a source and a sink with one config do not take each other's session."""

    def __init__(self, config: MqttConfig) -> None:
        self.config = config
        self._session: Session | None = None

    async def connect(self) -> None:
        if self._session is not None:
            return
        require("paho.mqtt", "mqtt")
        from lotline.connectors.mqtt_client import Session

        session = Session(self.config.client_options(client_id=f"{self.config.client_id}-sink"))
        await session.start()
        self._session = session

    async def send(self, batch: Sequence[Outbound]) -> SendResult:
        if self._session is None:
            raise RuntimeError("MqttSink.send() before connect()")
        results = await asyncio.gather(*(self._send_one(self._session, o) for o in batch))
        delivered = tuple(o.key for o, err in zip(batch, results, strict=True) if err is None)
        failed = {o.key: err for o, err in zip(batch, results, strict=True) if err is not None}
        return SendResult(delivered=delivered, failed=failed)

    async def _send_one(self, session: Session, o: Outbound) -> str | None:
        topic = o.topic or self.config.publish_topic
        if not topic:
            return "no topic: set the outbound message's topic or publish_topic"
        props = dict(o.headers)
        if self.config.id_property:
            props[self.config.id_property] = o.key
        from lotline.connectors.mqtt_client import MqttPublishError

        try:
            await session.publish(
                topic,
                o.payload,
                qos=self.config.publish_qos,
                retain=self.config.publish_retain,
                props=props,
                timeout=self.config.publish_timeout,
            )
        except MqttPublishError as exc:
            return str(exc)
        return None

    async def close(self) -> None:
        if self._session is not None:
            await self._session.stop()
            self._session = None

    async def check(self) -> Check:
        return await check_connection(self.config, self._session)


async def check_connection(config: MqttConnection, session: Session | None) -> Check:
    """Connected already, or can a throw-away clean session (client id + `-check`) connect now?"""
    where = f"{config.host}:{config.port}"
    if session is not None and session.connected.is_set():
        return Check(True, f"connected to {where} as {session.options.client_id!r}")
    try:
        require("paho.mqtt", "mqtt")
    except Exception as exc:
        return Check(False, str(exc))
    from lotline.connectors.mqtt_client import MqttConnectError, Session

    probe_options = config.model_copy(update={"clean_start": True}).client_options(
        client_id=f"{config.client_id}-check"
    )
    probe = Session(probe_options)
    try:
        await probe.start()
    except MqttConnectError as exc:
        return Check(False, str(exc))
    await probe.stop()
    return Check(
        True, f"{where} accepts connections" + (" (this connector is not connected)" if session else "")
    )


SPEC = ConnectorSpec(
    kind="mqtt",
    config=MqttConfig,
    summary="MQTT 3.1.1/5 broker: subscribe with topic filters (QoS 1, persistent session, PUBACK after "
    "lotline stored the message) and publish outbound messages.",
    source=MqttSource,
    sink=MqttSink,
    extra="mqtt",
)
