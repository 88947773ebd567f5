"""A paho-mqtt 2.x client on its own network thread, bridged to asyncio, that sends PUBACK only on request.

Why not aiomqtt: aiomqtt 2.5 builds its paho client without `manual_ack` and has no call to acknowledge a
message, so it PUBACKs every QoS 1 message as soon as it is read. lotline must PUBACK only after the message
is durably stored, so it drives paho directly: paho's own thread does the network I/O and the reconnects
(with exponential backoff), and hands messages to the asyncio loop with `call_soon_threadsafe`.

The order of PUBACKs, local redelivery and what happens to acks across reconnects are the rules of
`lotline.connectors.mqtt_deliveries`; this module adds that a PUBACK is only sent on the connection the
message came in on (the paho thread and the loop agree on it under a lock).

Import this module only when connecting (it imports paho): the connectors stay importable without the extra.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode
from paho.mqtt.subscribeoptions import SubscribeOptions

from lotline.connectors.mqtt_deliveries import Deliveries, Delivery
from lotline.connectors.mqtt_options import ClientOptions, Will
from lotline.errors import LotlineError

log = logging.getLogger(__name__)
BARRIER_TOPIC = "$lotline/barrier"  # unsubscribed from (never subscribed) to learn the broker caught up


class MqttConnectError(LotlineError, ConnectionError):
    """The broker could not be reached or refused the connection (the message says why)."""


class MqttPublishError(LotlineError):
    """The broker did not confirm a QoS 1 publish in time, or refused it."""


OnConnected = Callable[["Session", bool], None]


class Session:
    """One MQTT client connection that survives broker restarts. Methods are called from the asyncio loop,
    except `subscribe` and `publish_nowait`, which `on_connected` may call from paho's thread."""

    def __init__(
        self,
        options: ClientOptions,
        *,
        on_connected: OnConnected | None = None,
        will: Callable[[], Will] | None = None,
    ) -> None:
        self.options = options
        self._on_connected = on_connected
        self._will = will
        self._loop = asyncio.get_running_loop()
        self.deliveries = Deliveries(self._puback)
        self._arriving: collections.deque[Delivery] = collections.deque()  # from paho's thread to the loop
        self._wake_posted = False  # a _take_arrivals call is scheduled on the loop
        self._waiters: dict[int, asyncio.Future[None]] = {}
        self._lock = threading.Lock()  # guards _generation/_live between paho's thread and the loop
        self._generation = 0
        self._live: int | None = None  # generation of the open connection, None while disconnected
        self._first: asyncio.Future[None] = self._loop.create_future()  # connected and subscribed
        self._subacks: set[int] = set()  # subscriptions not yet confirmed
        self._last_error = ""
        self.connected = asyncio.Event()
        self._client = self._build()

    def _build(self) -> paho.Client:
        o = self.options
        client = paho.Client(
            CallbackAPIVersion.VERSION2,
            client_id=o.client_id,
            protocol=paho.MQTTv5 if o.mqtt5 else paho.MQTTv311,
            clean_session=None if o.mqtt5 else o.clean_start,
            manual_ack=True,
        )
        client.reconnect_delay_set(*o.reconnect_delay)
        if o.username is not None:
            client.username_pw_set(o.username, o.password)
        if o.tls is not None:
            client.tls_set_context(o.tls.context())
            client.tls_insecure_set(o.tls.insecure)
        client.on_pre_connect = self._pre_connect
        client.on_connect = self._connected
        client.on_connect_fail = self._connect_failed
        client.on_disconnect = self._disconnected
        client.on_message = self._message
        client.on_publish = self._published_cb
        client.on_subscribe = self._subscribed
        client.on_unsubscribe = self._unsubscribed
        return client

    # --- lifecycle (asyncio side) --------------------------------------------------------------------------
    async def start(self) -> None:
        """Connect, wait for the CONNACK and the SUBACKs of `on_connected`'s subscriptions; raise
        MqttConnectError with the reason if the first attempt fails (later ones are retried with backoff)."""
        o = self.options
        if o.mqtt5:
            props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
            if o.session_expiry:
                props.SessionExpiryInterval = o.session_expiry
            if o.receive_maximum is not None:
                props.ReceiveMaximum = o.receive_maximum
            self._client.connect_async(
                o.host, o.port, o.keepalive, clean_start=o.clean_start, properties=props
            )
        else:
            self._client.connect_async(o.host, o.port, o.keepalive)
        self._client.loop_start()
        try:
            await asyncio.wait_for(asyncio.shield(self._first), o.connect_timeout)
        except (TimeoutError, MqttConnectError) as exc:
            self._first.cancel()  # later failure reports of this attempt have nobody to tell
            await self.stop(send_disconnect=False)
            detail = (
                str(exc) if isinstance(exc, MqttConnectError) else f"no answer within {o.connect_timeout:g} s"
            )
            raise MqttConnectError(
                f"MQTT broker {o.host}:{o.port} (client id {o.client_id!r}): {detail}"
            ) from None

    async def stop(self, *, send_disconnect: bool = True) -> None:
        """Disconnect (the broker keeps a persistent session) and stop the network thread."""
        if send_disconnect:
            await self._barrier()
            self._client.disconnect()
        await asyncio.to_thread(self._client.loop_stop)
        self._client.reinitialise()  # closes the thread's socket pair, which paho leaves to the garbage collector
        for waiter in self._waiters.values():
            if not waiter.done():
                waiter.set_exception(
                    MqttPublishError("session closed before the broker confirmed the publish")
                )
        self._waiters.clear()

    # --- receiving -----------------------------------------------------------------------------------------
    async def next(self) -> Delivery:
        return await self.deliveries.next()

    def settle(self, d: Delivery, error: BaseException | None = None) -> None:
        self.deliveries.settle(d, error)

    def _puback(self, d: Delivery) -> None:
        with self._lock:
            if self._live == d.generation:
                self._client.ack(d.mid, d.qos)

    # --- publishing ----------------------------------------------------------------------------------------
    def subscribe(self, filters: Sequence[tuple[str, int]]) -> None:
        """Subscribe; on MQTT 5 retained messages are sent only for new subscriptions, not on resubscribe."""
        if not filters:
            return
        if self.options.mqtt5:
            _, mid = self._client.subscribe(
                [(f, SubscribeOptions(qos=q, retainHandling=1)) for f, q in filters]
            )
        else:
            _, mid = self._client.subscribe(list(filters))
        if mid is not None:
            self._post(self._suback_expected, mid)

    def publish_nowait(
        self,
        topic: str,
        payload: bytes,
        qos: int = 0,
        retain: bool = False,
        props: Mapping[str, str] | None = None,
    ) -> paho.MQTTMessageInfo:
        properties = None
        if props and self.options.mqtt5:
            properties = Properties(PacketTypes.PUBLISH)  # type: ignore[no-untyped-call]
            properties.UserProperty = list(props.items())
        return self._client.publish(topic, payload, qos=qos, retain=retain, properties=properties)

    async def publish(
        self,
        topic: str,
        payload: bytes,
        *,
        qos: int = 1,
        retain: bool = False,
        props: Mapping[str, str] | None = None,
        timeout: float = 10.0,
    ) -> None:
        """Publish; with QoS 1 wait until the broker confirms (PUBACK) or raise MqttPublishError."""
        info = self.publish_nowait(topic, payload, qos, retain, props)
        if info.rc not in (paho.MQTT_ERR_SUCCESS, paho.MQTT_ERR_NO_CONN):
            raise MqttPublishError(f"publish to {topic!r} failed: {paho.error_string(info.rc)}")
        if qos == 0:
            return
        waiter = self._loop.create_future()
        self._waiters[info.mid] = waiter  # no await since publish(): the PUBACK cannot have been handled yet
        try:
            await asyncio.wait_for(waiter, timeout)
        except TimeoutError:
            raise MqttPublishError(f"no PUBACK for {topic!r} within {timeout:g} s") from None
        finally:
            self._waiters.pop(info.mid, None)

    async def _barrier(self, timeout: float = 2.0) -> None:
        """Wait until the broker has processed what was sent so far (PUBACKs above all): an UNSUBSCRIBE round
        trip. Without it, a new connection with the same client id can take the session over before the
        broker has read the old connection's last PUBACKs, and those messages are delivered again."""
        if not self.connected.is_set():
            return
        rc, mid = self._client.unsubscribe(BARRIER_TOPIC)
        if rc != paho.MQTT_ERR_SUCCESS or mid is None:
            return
        waiter = self._loop.create_future()
        self._waiters[mid] = waiter
        with contextlib.suppress(TimeoutError, MqttPublishError):
            await asyncio.wait_for(waiter, timeout)
        self._waiters.pop(mid, None)

    def _published(self, mid: int, failure: str | None) -> None:
        waiter = self._waiters.pop(mid, None)
        if waiter is None or waiter.done():
            return
        if failure:
            waiter.set_exception(MqttPublishError(f"the broker refused the publish: {failure}"))
        else:
            waiter.set_result(None)

    # --- paho's thread -------------------------------------------------------------------------------------
    def _post(self, fn: Callable[..., object], *args: Any) -> None:
        with contextlib.suppress(RuntimeError):  # a closed event loop: nobody is listening any more
            self._loop.call_soon_threadsafe(fn, *args)

    def _pre_connect(self, client: paho.Client, userdata: Any) -> None:
        if self._will is not None:
            w = self._will()
            client.will_set(w.topic, w.payload, qos=w.qos, retain=w.retain)

    def _connected(self, client: paho.Client, userdata: Any, flags: Any, rc: ReasonCode, props: Any) -> None:
        if rc.is_failure:
            self._last_error = f"connection refused: {rc}"
            self._post(self._fail_first, self._last_error)
            return
        with self._lock:
            self._generation += 1
            self._live = self._generation
        if self._on_connected is not None:
            self._on_connected(self, bool(flags.session_present))
        self._post(self._up)

    def _connect_failed(self, client: paho.Client, userdata: Any) -> None:
        self._last_error = "cannot connect (is the broker running, and are host, port and TLS right?)"
        self._post(self._fail_first, self._last_error)

    def _disconnected(
        self, client: paho.Client, userdata: Any, flags: Any, rc: ReasonCode, props: Any
    ) -> None:
        with self._lock:
            was_live = self._live is not None
            self._live = None
        if was_live and rc.value != 0:
            log.warning(
                "MQTT connection to %s:%s lost (%s); reconnecting", self.options.host, self.options.port, rc
            )
        self._post(self.connected.clear)

    def _message(self, client: paho.Client, userdata: Any, msg: paho.MQTTMessage) -> None:
        props = getattr(msg, "properties", None)
        user = dict(getattr(props, "UserProperty", None) or [])
        content_type = getattr(props, "ContentType", None)
        # No lock: only this thread (paho's) writes _live and _generation.
        generation = self._live or self._generation
        d = Delivery(
            msg.topic,
            bytes(msg.payload),
            msg.qos,
            msg.retain,
            msg.dup,
            msg.mid,
            generation,
            user,
            content_type,
        )
        self._arriving.append(d)
        if not self._wake_posted:  # one wake-up of the loop per burst, not one per message
            self._wake_posted = True
            self._post(self._take_arrivals)

    def _take_arrivals(self) -> None:
        """(loop) Hand what paho's thread has received, in arrival order, to the deliveries queue."""
        self._wake_posted = False  # before taking: a message appended from now on posts a new wake-up
        while self._arriving:
            self.deliveries.arrived(self._arriving.popleft())

    def _published_cb(self, client: paho.Client, userdata: Any, mid: int, rc: ReasonCode, props: Any) -> None:
        self._post(self._published, mid, str(rc) if rc.is_failure else None)

    def _subscribed(
        self, client: paho.Client, userdata: Any, mid: int, codes: list[ReasonCode], props: Any
    ) -> None:
        refused = [str(c) for c in codes if c.is_failure]
        self._post(self._suback, mid, "; ".join(refused))

    def _unsubscribed(self, client: paho.Client, userdata: Any, mid: int, codes: Any, props: Any) -> None:
        self._post(self._published, mid, None)

    def _suback_expected(self, mid: int) -> None:
        self._subacks.add(mid)

    def _suback(self, mid: int, refused: str) -> None:
        self._subacks.discard(mid)
        if refused:
            self._last_error = f"subscription refused: {refused}"
            log.error("MQTT %s", self._last_error)
            self._fail_first(self._last_error)
        elif self.connected.is_set() and not self._subacks and not self._first.done():
            self._first.set_result(None)

    def _up(self) -> None:
        self.connected.set()
        if not self._first.done() and not self._subacks:
            self._first.set_result(None)

    def _fail_first(self, reason: str) -> None:
        if not self._first.done():
            self._first.set_exception(MqttConnectError(reason))
