"""Configured connectors: the plant rule, and what a configured source stamps on its messages."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from lotline.config import ConfigError, ConfiguredSource, load_config
from lotline.connectors.memory import MemoryBroker, MemoryConfig, MemorySource
from tests.config.helpers import BASE, write

TWO_PLANTS = BASE.replace("connectors:\n", "  - id: plant-b\nconnectors:\n")


def test_with_several_plants_a_connector_names_its_plant(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, TWO_PLANTS.replace("    line: line-1\n", "")), environ={})
    assert caught.value.problems == [
        f"{tmp_path / 'lotline.yaml'}:11:5: connectors[mes-line1]: name the connector's plant "
        "(plants: plant-a, plant-b)"
    ]
    config = load_config(write(tmp_path, TWO_PLANTS.replace("line: line-1", "plant: plant-a")), environ={})
    assert config.connectors["mes-line1"].plant == "plant-a"


def test_a_configured_source_stamps_name_plant_and_line() -> None:
    broker = MemoryBroker()
    broker.publish("c", [b"1"], headers={})
    broker.publish("c", [b"2"], headers={"plant": "own-plant"})  # what the connector says is kept
    source = ConfiguredSource(
        MemorySource(MemoryConfig(channel="c"), broker), "mes-line1", "plant-a", "line-1"
    )

    async def read_two() -> list[tuple[str, dict[str, str]]]:
        await source.connect()
        out = []
        for _ in range(2):
            message, ack = await source.read()
            await ack()
            out.append((message.source, dict(message.headers)))
        assert (await source.check()).ok
        await source.close()
        return out

    assert asyncio.run(read_two()) == [
        ("mes-line1", {"plant": "plant-a", "line": "line-1"}),
        ("mes-line1", {"plant": "own-plant", "line": "line-1"}),
    ]


def test_disabled_connectors_are_validated_but_not_started(tmp_path: Path) -> None:
    config = load_config(
        write(tmp_path, BASE.replace("kind: memory", "kind: memory\n    enabled: false")), environ={}
    )
    assert list(config.connectors) == ["mes-line1"] and config.sources() == {}
