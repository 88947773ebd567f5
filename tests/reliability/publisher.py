"""A QoS 1 publisher process for the reliability tests: N EPCIS events, each with a unique message id.

    python -m tests.reliability.publisher PORT COUNT [TOPIC]

Message i is the ObjectEvent of serial i with the MQTT 5 user property `message-id: m{i:07d}`. It publishes
everything, then waits for the broker's PUBACKs; across a broker restart paho sends unconfirmed messages
again after reconnecting, and whatever is still unconfirmed after a quiet spell is published again (same id:
the subscriber's inbox recognises it). Exits 0 once the broker has confirmed every message, 1 otherwise.
"""

from __future__ import annotations

import sys
import time

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from tests.pipeline.helpers import event_payload

ID_PROPERTY = "message-id"


def message_id(i: int) -> str:
    return f"m{i:07d}"


WINDOW = 10_000  # unconfirmed messages at most: paho's packet ids (1..65535) must not wrap onto one in use


def confirmed(info: paho.MQTTMessageInfo) -> bool:
    # is_published() raises for a message first queued while disconnected, even after paho has sent it
    # on reconnecting and the broker has confirmed it.
    return bool(info._published)


def main(port: int, count: int, topic: str) -> int:
    client = paho.Client(CallbackAPIVersion.VERSION2, client_id=f"publisher-{port}", protocol=paho.MQTTv5)
    client.max_inflight_messages_set(
        0
    )  # paho's queue of waiting messages is scanned per PUBACK: keep it empty
    client.max_queued_messages_set(0)
    client.reconnect_delay_set(1, 2)
    acks = [0]
    client.on_publish = lambda c, u, mid, rc, p: acks.__setitem__(0, acks[0] + 1)
    client.connect("127.0.0.1", port)
    client.loop_start()
    deadline = time.monotonic() + 300
    try:
        pending = list(range(count))
        for _ in range(5):  # bounded: rounds of publishing what the broker has not confirmed yet
            infos = {}
            sent_before = acks[0]
            for n, i in enumerate(pending):
                while n - (acks[0] - sent_before) >= WINDOW and time.monotonic() < deadline:
                    time.sleep(0.002)
                props = Properties(PacketTypes.PUBLISH)  # type: ignore[no-untyped-call]
                props.UserProperty = [(ID_PROPERTY, message_id(i))]
                infos[i] = client.publish(topic, event_payload(i), qos=1, properties=props)
            done, quiet_since = 0, time.monotonic()
            while time.monotonic() - quiet_since < 15:
                now = sum(1 for info in infos.values() if confirmed(info))
                if now == len(infos):
                    break
                if now > done:
                    done, quiet_since = now, time.monotonic()
                time.sleep(0.2)
            pending = [i for i, info in infos.items() if not confirmed(info)]
            if not pending:
                print(f"published {count}", flush=True)
                return 0
            print(f"{len(pending)} unconfirmed: publishing them again", file=sys.stderr, flush=True)
        return 1
    finally:
        client.disconnect()
        client.loop_stop()


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]), int(sys.argv[2]), sys.argv[3] if len(sys.argv) > 3 else "burst/line-1"))
