"""A plain paho client for the tests: the other side of the connection (publisher, edge node, observer)."""

from __future__ import annotations

import queue
import secrets
import threading
from collections.abc import Mapping

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties


class Peer:
    def __init__(self, host: str, port: int, client_id: str | None = None, **connect: object) -> None:
        self.client = paho.Client(
            CallbackAPIVersion.VERSION2,
            client_id=client_id or f"peer-{secrets.token_hex(6)}",
            protocol=paho.MQTTv5,
        )
        self.messages: queue.Queue[paho.MQTTMessage] = queue.Queue()
        self._connected = threading.Event()
        self._subscribed = threading.Event()
        self.client.on_connect = lambda c, u, f, rc, p: self._connected.set()
        self.client.on_disconnect = lambda c, u, f, rc, p: self._connected.clear()
        self.client.on_subscribe = lambda c, u, mid, rc, p: self._subscribed.set()
        self.client.on_message = lambda c, u, msg: self.messages.put(msg)
        self.client.connect(host, port, **connect)  # type: ignore[arg-type]
        self.client.loop_start()
        assert self._connected.wait(5), "peer could not connect"

    def publish(
        self,
        topic: str,
        payload: bytes,
        qos: int = 1,
        retain: bool = False,
        props: Mapping[str, str] | None = None,
    ) -> None:
        properties = None
        if props:
            properties = Properties(PacketTypes.PUBLISH)
            properties.UserProperty = list(props.items())
        assert self._connected.wait(10), "peer is not connected"
        info = self.client.publish(topic, payload, qos=qos, retain=retain, properties=properties)
        if info.rc == paho.MQTT_ERR_NO_CONN:
            return  # lost the connection just now: paho sends the message again once reconnected
        info.wait_for_publish(5)
        assert info.is_published(), f"publish to {topic} not confirmed"

    def subscribe(self, topic_filter: str, qos: int = 1) -> None:
        self._subscribed.clear()
        self.client.subscribe(topic_filter, qos)
        assert self._subscribed.wait(5), "no SUBACK"

    def get(self, timeout: float = 5.0) -> paho.MQTTMessage:
        return self.messages.get(timeout=timeout)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()
        self.client.reinitialise()  # closes the socket pair of paho's thread now
