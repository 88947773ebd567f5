"""The simulated filling line, read with a plain asyncua client (not through lotline's connector)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from asyncua import ua
from asyncua.client.client import Client
from asyncua.common.subscription import OpcEvent

from lotline.sim.filling_line import NAMESPACE, FillingLine
from lotline.sim.threaded import ThreadedLine


@pytest.fixture(scope="module")
def line() -> Iterator[ThreadedLine]:
    with ThreadedLine(FillingLine()) as threaded:
        yield threaded


async def _read(client: Client, name: str) -> ua.DataValue:
    ns = await client.get_namespace_index(NAMESPACE)
    node = client.get_node(ua.NodeId(ua.String(f"Filler.{name}"), ua.Int16(ns)))
    return await node.read_data_value()


def test_address_space_has_the_filler_variables_with_their_types(line: ThreadedLine) -> None:
    expected = {
        "GoodCount": ua.VariantType.UInt32,
        "ScrapCount": ua.VariantType.UInt32,
        "MachineState": ua.VariantType.String,
        "StateReason": ua.VariantType.String,
        "CurrentLot": ua.VariantType.String,
        "ProductTemperature": ua.VariantType.Double,
        "SterilizerTemperature": ua.VariantType.Double,
    }

    async def body() -> None:
        async with Client(line.endpoint) as client:
            for name, vtype in expected.items():
                dv = await _read(client, name)
                assert dv.Value is not None and dv.Value.VariantType == vtype, name
                assert dv.Value.Value == line.sim.value(name)

    asyncio.run(body())


def test_stepping_changes_values_and_raises_events(line: ThreadedLine) -> None:
    async def body() -> None:
        async with Client(line.endpoint) as client:
            ns = await client.get_namespace_index(NAMESPACE)
            sub = await client.create_subscription(50, None)
            filler = ua.NodeId(ua.String("Filler"), ua.Int16(ns))
            await sub.subscribe_events(filler, ua.NodeId(ua.String("LotChangeEventType"), ua.Int16(ns)))
            good = line.sim.value("GoodCount")
            await line.call(line.sim.produce(7, scrap=1))
            await line.call(line.sim.change_lot("L0777"))
            await line.call(line.sim.set_state("Down", "label jam"))
            assert (await _read(client, "GoodCount")).Value.Value == good + 7
            assert (await _read(client, "CurrentLot")).Value.Value == "L0777"
            assert (await _read(client, "StateReason")).Value.Value == "label jam"
            event = await sub.next_event(timeout=5)
            assert isinstance(event, OpcEvent)
            fields = event.event.get_event_props_as_fields_dict()
            assert fields["LotId"].Value == "L0777" and fields["SourceName"].Value == "Filler"
            await sub.delete()

    asyncio.run(body())


def test_unknown_machine_state_is_refused(line: ThreadedLine) -> None:
    with pytest.raises(ValueError, match="Running, Idle, Down"):
        line.run(line.sim.set_state("Exploded"))


def test_restart_keeps_port_values_and_source_timestamps_and_applies_changes_made_while_down(
    line: ThreadedLine,
) -> None:
    lot_before = line.sim.data_value("CurrentLot")
    line.run(line.sim.stop())
    assert not line.sim.running
    line.run(line.sim.produce(3))
    line.run(line.sim.start())

    async def body() -> None:
        async with Client(line.endpoint) as client:
            lot = await _read(client, "CurrentLot")
            assert lot.Value == lot_before.Value and lot.SourceTimestamp == lot_before.SourceTimestamp
            good = await _read(client, "GoodCount")
            assert good.Value is not None and good.Value.Value == line.sim.value("GoodCount")
            assert good.SourceTimestamp == line.sim.data_value("GoodCount").SourceTimestamp

    asyncio.run(body())


def test_the_demo_command_steps_the_same_story_for_the_same_seed() -> None:
    import random

    from typer.testing import CliRunner

    from lotline.cli import app
    from lotline.commands.sim import _step

    result = CliRunner().invoke(app, ["sim", "opcua-line", "--help"])
    assert result.exit_code == 0 and "Example" in result.stdout

    async def story(seed: int) -> list[object]:
        offline = FillingLine()  # never started: the state changes without a server
        rng = random.Random(seed)
        for _ in range(200):
            await _step(offline, rng)
        return [
            offline.value(name) for name in ("GoodCount", "ScrapCount", "MachineState", "ProductTemperature")
        ]

    first, again = asyncio.run(story(1)), asyncio.run(story(1))
    assert first == again and first[0] > 0
