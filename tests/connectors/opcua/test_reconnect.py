"""Server restarts mid-stream: the source reconnects, resubscribes, loses no current value, repeats none.

Restarts are real: the asyncua server stops (every session and subscription dies) and a new server
starts on the same port with the line's state carried over, source timestamps included.
"""

from __future__ import annotations

from collections.abc import Coroutine
from typing import Any

import pytest

from lotline.connectors.opcua import OpcuaError, OpcuaSource
from lotline.sim.threaded import ThreadedLine
from tests.connectors.opcua.support import (
    VARIABLES,
    by_node,
    make_config,
    nothing_more,
    payload,
    read,
    run,
    until,
)


async def _restart(
    line: ThreadedLine, source: OpcuaSource, while_down: Coroutine[Any, Any, None] | None = None
) -> None:
    """Stop the server, wait until the source noticed and failed to reconnect at least once, change the
    line if asked, start the server again and wait until the source has resubscribed."""
    losses = source.stats.losses
    await line.call(line.sim.stop())
    await until(lambda: source.stats.losses > losses, what="the source to notice the server is gone")
    await until(lambda: "cannot reach" in source.last_error, what="a failed reconnect attempt")
    assert not source.connected and not (await source.check()).ok
    if while_down is not None:
        await line.call(while_down)
    sessions = source.stats.sessions
    await line.call(line.sim.start())
    await until(lambda: source.stats.sessions > sessions, what="the source to resubscribe")
    assert source.connected and source.last_error == ""


def test_restart_without_changes_delivers_nothing_twice_and_keeps_unacked_messages(
    line: ThreadedLine,
) -> None:
    async def body() -> None:
        async with OpcuaSource(make_config(line, events=True)) as source:
            unsettled, ack = await source.read()  # handed out, not yet settled when the server goes
            await read(source, len(VARIABLES) - 1)
            await _restart(line, source)
            await nothing_more(source)  # every value reported again, unchanged: not delivered twice
            assert source.stats.suppressed == len(VARIABLES) and source.unacked == 1
            await ack(RuntimeError("the store was down"))  # the message outlived the session
            [again] = await read(source, 1)
            assert again.message_id == unsettled.message_id and again.payload == unsettled.payload
            before = line.sim.value("GoodCount")
            await line.call(line.sim.produce(4))
            await line.call(line.sim.change_lot("L0200"))  # the event subscription is back too
            messages = await read(source, 3)
            await nothing_more(source)
        assert by_node(messages) == {"GoodCount": before + 4, "CurrentLot": "L0200"}
        assert [payload(m)["fields"]["LotId"] for m in messages if payload(m)["kind"] == "event"] == ["L0200"]

    run(body)


def test_changes_during_the_outage_arrive_once_as_their_latest_values(line: ThreadedLine) -> None:
    async def body() -> None:
        async with OpcuaSource(make_config(line, events=True)) as source:
            await read(source, len(VARIABLES))
            sterilizer = line.sim.value("SterilizerTemperature")
            state, reason = line.sim.value("MachineState"), line.sim.value("StateReason")
            await line.call(line.sim.set_temperatures(sterilizer=sterilizer + 1))
            [changed] = await read(source, 1)
            assert payload(changed)["value"] == sterilizer + 1

            async def while_down() -> None:
                await line.sim.set_temperatures(sterilizer=sterilizer)  # back to the value before
                await line.sim.produce(5)
                await line.sim.produce(5, scrap=2)  # GoodCount changes twice: the latest is what is seen
                await line.sim.change_lot("L0300")  # its LotChange event is raised while nobody can see it
                await line.sim.set_state("Down", "flap")  # changed and changed back: not observable
                await line.sim.set_state(state, reason)
                await line.sim.set_temperatures(product=6.0)
                await line.sim.set_temperatures(product=7.5)

            await _restart(line, source, while_down())
            messages = await read(source, 5)
            await nothing_more(source)
        assert by_node(messages) == {
            "GoodCount": line.sim.value("GoodCount"),
            "ScrapCount": line.sim.value("ScrapCount"),
            "CurrentLot": "L0300",
            "ProductTemperature": 7.5,
            "SterilizerTemperature": sterilizer,  # differs from the last value delivered
        }
        assert all(payload(m)["kind"] == "data_change" for m in messages), "events while down are gone"
        for m in messages:  # each carries the time it changed on the line, not the time of the restart
            expected = line.sim.data_value(m.topic).SourceTimestamp
            assert payload(m)["source_timestamp"] == expected.isoformat(timespec="microseconds")[:26] + "Z"

    run(body)


def test_a_network_blip_with_history_delivers_what_happened_in_between(line: ThreadedLine) -> None:
    """Connection cut, server up: nodes with `history` get the changes of the gap from HistoryRead
    (even a value that changed and changed back); nodes without it get their current value only."""

    async def body() -> None:
        nodes = [
            {"node_id": line.sim.node_id("MachineState"), "name": "state", "history": True},
            {"node_id": line.sim.node_id("StateReason"), "name": "reason", "history": True},
            {"node_id": line.sim.node_id("GoodCount"), "name": "good"},
        ]
        config = make_config(line, nodes=nodes, reconnect={"initial_s": 1.0})
        async with OpcuaSource(config) as source:
            await read(source, 3)
            state, reason, good = (line.sim.value(n) for n in ("MachineState", "StateReason", "GoodCount"))
            assert await line.call(line.sim.drop_connections()) >= 1
            await until(lambda: source.stats.losses == 1, what="the source to notice the cut")
            await line.call(line.sim.set_state("Down", "label jam"))
            await line.call(line.sim.produce(3))
            await line.call(line.sim.set_state(state, reason))
            await line.call(line.sim.produce(3))
            assert source.stats.sessions == 1, "the changes were made while the source was cut off"
            messages = await read(source, 5)
            await nothing_more(source)
        seen = [(m.topic, payload(m)["value"]) for m in messages]
        assert [v for t, v in seen if t == "state"] == ["Down", state]
        assert [v for t, v in seen if t == "reason"] == ["label jam", reason]
        assert [v for t, v in seen if t == "good"] == [good + 6]  # no history: the current value only

    run(body)


def test_connect_fails_clearly_when_the_server_is_not_there(line: ThreadedLine) -> None:
    async def body() -> None:
        source = OpcuaSource(make_config(line, endpoint="opc.tcp://127.0.0.1:9/"))
        with pytest.raises(OpcuaError, match=r"cannot reach the OPC UA server at opc\.tcp://127\.0\.0\.1:9/"):
            await source.connect()
        await source.close()

    run(body)
