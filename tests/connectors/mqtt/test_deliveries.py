"""PUBACK bookkeeping without a broker: arrival order, local redelivery, connections."""

from __future__ import annotations

import asyncio

from lotline.connectors.mqtt_deliveries import Deliveries, Delivery


def delivery(mid: int, generation: int = 1, qos: int = 1) -> Delivery:
    return Delivery(f"t/{mid}", b"x", qos, False, False, mid, generation)


def test_pubacks_follow_arrival_order_and_a_nack_redelivers_the_same_delivery() -> None:
    async def scenario() -> list[int]:
        acked: list[int] = []
        q = Deliveries(lambda d: acked.append(d.mid))
        for mid in (1, 2, 3):
            q.arrived(delivery(mid))
        d1, d2, d3 = [await q.next() for _ in range(3)]
        q.settle(d3)
        q.settle(d2, RuntimeError("later"))
        assert acked == [] and q.unsettled == 3
        assert await q.next() is d2
        q.settle(d1)
        assert acked == [1]
        q.settle(d2)
        q.settle(d2)  # twice is once
        assert acked == [1, 2, 3] and q.unsettled == 0
        return acked

    asyncio.run(scenario())


def test_a_new_connection_drops_the_acks_of_the_old_one_and_qos0_needs_none() -> None:
    async def scenario() -> list[int]:
        acked: list[int] = []
        q = Deliveries(lambda d: acked.append(d.mid))
        q.arrived(delivery(1, generation=1))
        q.arrived(delivery(1, generation=2))  # the broker redelivers after a reconnect
        q.arrived(delivery(7, generation=2, qos=0))
        old, new, qos0 = [await q.next() for _ in range(3)]
        q.settle(qos0)
        q.settle(old)  # its connection is gone: no PUBACK
        q.settle(new)
        return acked

    assert asyncio.run(scenario()) == [1]
