"""The hand-over from paho's network thread to the event loop (`Session._message` -> `Session.next`): every
message arrives, in order, whether the loop is busy while a burst comes in or consumes it concurrently."""

from __future__ import annotations

import asyncio
import threading

import paho.mqtt.client as paho

from lotline.connectors.mqtt import MqttConfig
from lotline.connectors.mqtt_client import Session


def deliver(session: Session, start: int, count: int) -> None:
    """What paho's thread does for each PUBLISH it reads: call the session's on_message callback."""
    for i in range(start, start + count):
        msg = paho.MQTTMessage(mid=i % 65535 + 1, topic=b"line/1")
        msg.payload = str(i).encode()
        msg.qos = 1
        session._message(session._client, None, msg)


def test_bursts_and_concurrent_arrivals_reach_the_loop_complete_and_in_order() -> None:
    async def scenario() -> list[bytes]:
        session = Session(MqttConfig(client_id="bridge-test", topics=["line/#"]).client_options())
        burst = threading.Thread(target=deliver, args=(session, 0, 2000))
        burst.start()
        burst.join()  # the loop is blocked meanwhile: the whole burst waits for one hand-over
        got = [(await asyncio.wait_for(session.next(), 5)).payload for _ in range(1000)]
        streaming = threading.Thread(target=deliver, args=(session, 2000, 20000))
        streaming.start()  # arrivals race the loop taking them
        got += [(await asyncio.wait_for(session.next(), 5)).payload for _ in range(21000)]
        streaming.join()
        session._client.reinitialise()
        return got

    assert asyncio.run(scenario()) == [str(i).encode() for i in range(22000)]
