"""The `sparkplug` connector: lotline as a Sparkplug B 3.0 host application.

On every connection it subscribes to its own STATE topic and to the groups' topics, then publishes the
retained `spBv1.0/STATE/<host_id>` {"online": true, "timestamp": t}; the MQTT will (and close()) publish the
same with "online": false. Each NBIRTH/NDATA/NDEATH/DBIRTH/DDATA/DDEATH becomes one lotline Message whose
payload is the JSON record of `HostApplication.handle` (aliases resolved to names). Rebirth requests are
published as the host decides. PUBACK (for QoS 1 messages) follows lotline's ack, as in the `mqtt` connector.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import time
from typing import TYPE_CHECKING, Any

import orjson
from pydantic import Field, field_validator

from lotline.connectors.base import Ack, Check, ConnectorSpec, Lifecycle, Message
from lotline.connectors.mqtt_options import MqttConnection, Will
from lotline.connectors.registry import require
from lotline.connectors.sparkplug.host import HostApplication
from lotline.connectors.sparkplug.topics import NAMESPACE, TopicError, parse, state_topic

if TYPE_CHECKING:
    from lotline.connectors.mqtt_client import Session
    from lotline.connectors.mqtt_deliveries import Delivery

log = logging.getLogger(__name__)


class SparkplugConfig(MqttConnection):
    """Options of the `sparkplug` connector (a Sparkplug B 3.0 host application)."""

    host_id: str = Field(
        min_length=1,
        pattern=r"^[^/+#]+$",
        description="Sparkplug host application id: the STATE topic is spBv1.0/STATE/<host_id>.",
    )
    group_ids: list[str] = Field(
        default_factory=list, description="Sparkplug groups to follow; all groups (spBv1.0/#) when empty."
    )
    clean_start: bool = Field(
        True,
        description="Sparkplug 3.0 requires a clean session for host applications (edge nodes store and "
        "forward while the host is offline, then send the data as historical metrics). False keeps a "
        "persistent session, which is not conformant but keeps unacknowledged QoS 1 messages over a crash.",
    )
    rebirth_interval: float = Field(
        5.0, gt=0, description="Seconds between two rebirth requests to the same edge node."
    )

    @field_validator("group_ids")
    @classmethod
    def _group_ids(cls, ids: list[str]) -> list[str]:
        for g in ids:
            if not g or any(c in g for c in "/+#"):
                raise ValueError(f"{g!r} is not a Sparkplug group id (non-empty, without / + #)")
        return ids


class SparkplugSource(Lifecycle):
    def __init__(self, config: SparkplugConfig) -> None:
        self.config = config
        self.name = config.name or f"sparkplug://{config.host}:{config.port}/{config.host_id}"
        self.host = HostApplication(config.host_id, rebirth_interval=config.rebirth_interval)
        self.state_topic = state_topic(config.host_id)
        self._session: Session | None = None
        self._state_ts = 0

    async def connect(self) -> None:
        if self._session is not None:
            return
        require("paho.mqtt", "mqtt")
        require("google.protobuf", "mqtt")
        from lotline.connectors.mqtt_client import Session

        session = Session(self.config.client_options(), on_connected=self._on_connected, will=self._will)
        await session.start()
        self._session = session

    def _state(self, online: bool) -> bytes:
        return orjson.dumps({"online": online, "timestamp": self._state_ts})

    def _will(self) -> Will:  # paho's thread, before each CONNECT
        self._state_ts = time.time_ns() // 1_000_000
        return Will(self.state_topic, self._state(False), qos=1, retain=True)

    def _on_connected(self, session: Session, session_present: bool) -> None:  # paho's thread
        groups = self.config.group_ids
        filters = [f"{NAMESPACE}/{g}/#" for g in groups] if groups else [f"{NAMESPACE}/#"]
        session.subscribe([(self.state_topic, 1), *((f, 1) for f in filters)])
        session.publish_nowait(self.state_topic, self._state(True), qos=1, retain=True)

    async def read(self) -> tuple[Message, Ack]:
        session = self._require()
        while True:
            d = await session.next()
            if d.converted is None:
                d.converted = self._convert(session, d)
            if d.converted is not None:
                break
            session.settle(d)  # not data (STATE, commands): nothing to keep
        message: Message = d.converted

        async def ack(error: BaseException | None = None, /) -> None:
            session.settle(d, error)

        return message, ack

    def _convert(self, session: Session, d: Delivery) -> Message | None:
        from lotline.connectors.sparkplug import codec

        headers = {"content-type": "application/json", "mqtt-qos": str(d.qos)}
        record: dict[str, Any] | None
        try:
            topic = parse(d.topic)
            if topic.message_type == "STATE":
                self._on_state(session, topic.host_id, d.payload)
                return None
            outcome = self.host.handle(topic, codec.decode(d.payload))
        except Exception as exc:  # a message lotline cannot read is still kept (the mapping dead-letters it)
            if not isinstance(exc, TopicError | codec.PayloadError):
                log.warning("Sparkplug message on %s could not be decoded: %r", d.topic, exc)
            record = {"error": str(exc), "payload_base64": _b64(d.payload)}
            headers["sparkplug-error"] = type(exc).__name__
        else:
            for command in outcome.commands:
                session.publish_nowait(command.topic, codec.encode(command.payload), qos=0)
            record = outcome.record
            if record is None:
                return None
            headers["sparkplug-message-type"] = topic.message_type
        digest = hashlib.blake2b(d.topic.encode() + b"\0" + d.payload, digest_size=20).hexdigest()
        return Message(
            source=self.name,
            message_id=f"blake2b:{digest}",
            payload=orjson.dumps(record),
            topic=d.topic,
            headers=headers,
        )

    def _on_state(self, session: Session, host_id: str | None, payload: bytes) -> None:
        """Our own STATE reported offline (a late will) while we are connected: say online again."""
        if host_id != self.config.host_id:
            return
        try:
            online = orjson.loads(payload).get("online")
        except (orjson.JSONDecodeError, AttributeError):
            online = None
        if online is not True:
            session.publish_nowait(self.state_topic, self._state(True), qos=1, retain=True)

    async def close(self) -> None:
        if self._session is None:
            return
        from lotline.connectors.mqtt_client import MqttPublishError

        with contextlib.suppress(MqttPublishError):  # if not, the will says offline
            await self._session.publish(self.state_topic, self._state(False), qos=1, retain=True, timeout=5)
        await self._session.stop()
        self._session = None

    async def check(self) -> Check:
        from lotline.connectors.mqtt import check_connection

        return await check_connection(self.config, self._session)

    def _require(self) -> Session:
        if self._session is None:
            raise RuntimeError("SparkplugSource.read() before connect()")
        return self._session


def _b64(data: bytes) -> str:
    import base64

    return base64.b64encode(data).decode()


SPEC = ConnectorSpec(
    kind="sparkplug",
    config=SparkplugConfig,
    summary="Sparkplug B 3.0 host application over MQTT: births, data and deaths with aliases resolved, "
    "bdSeq and sequence checks, rebirth requests, STATE publication.",
    source=SparkplugSource,
    extra="mqtt",
)
