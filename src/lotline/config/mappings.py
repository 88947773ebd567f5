"""Configured mappings: which mapping files apply to which connectors, loaded once per plant.

Each `mappings:` entry is loaded with `lotline.mapping.load_mapping` for every plant among the connectors
it applies to (so the mapping file's `plants:` overrides for that plant apply), and each connector gets
a `MappingSet` of the mappings that apply to it, in file order. `ConnectorMappings` is the runner's
mapper: it routes a message by its source (the connector's configured name) to that connector's set.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lotline.config.connectors import ConnectorSetup
from lotline.config.model import ConnectorEntry, MappingEntry
from lotline.config.problems import Problems, raw_line
from lotline.connectors.base import Message
from lotline.errors import MappingError
from lotline.mapping import Mapper, MappingSet, load_mapping, template_path
from lotline.mapping.loader import TEMPLATE_PREFIX
from lotline.mapping.source import locate

__all__ = ["ConnectorMappings", "LoadedMapping", "load_mappings"]


@dataclass(frozen=True)
class LoadedMapping:
    """One mapping entry loaded for one plant, and the connectors it serves."""

    index: int  # position in `mappings:`
    plant: str | None
    mapper: Mapper
    connectors: tuple[str, ...]


class ConnectorMappings:
    """The runner's mapper: each message goes to the MappingSet of the connector it came from."""

    def __init__(self, sets: Mapping[str, MappingSet]) -> None:
        self.sets = dict(sets)

    def mapper_for(self, message: Message) -> Mapper:
        chosen = self.sets.get(message.source)
        if chosen is None:
            known = ", ".join(sorted(self.sets)) or "none"
            raise MappingError(
                f"no connector named {message.source!r} in the configuration (connectors: {known}); "
                "a message from a removed connector: add the connector back, or discard the dead letter"
            )
        return chosen.mapper_for(message)

    def __call__(self, message: Message) -> list[dict[str, Any]]:
        return self.mapper_for(message)(message)


def load_mappings(
    entries: Sequence[MappingEntry],
    connectors: Sequence[ConnectorEntry],
    setups: Mapping[str, ConnectorSetup],
    base: Path,
    problems: Problems,
) -> tuple[list[LoadedMapping], ConnectorMappings]:
    """Load every entry for the plants of its connectors; problems are added, never raised."""
    names = [c.name for c in connectors]
    loaded: list[LoadedMapping] = []
    per_connector: dict[str, list[Mapper]] = {name: [] for name in setups}
    failed: set[str] = set()  # connectors whose mapping failed to load (that problem explains them)
    for index, entry in enumerate(entries):
        ref = _reference(entry, index, base, problems)
        targets = _targets(entry, index, names, problems)
        plants = list(dict.fromkeys(setups[n].plant for n in targets if n in setups)) or [None]
        for plant in plants:
            mapper = _load(ref, plant, index, problems) if ref is not None else None
            if mapper is None:
                failed.update(targets)
                continue
            if entry.topics is not None:
                mapper = dataclasses.replace(mapper, topics=tuple(entry.topics))
            served = tuple(n for n in targets if n in setups and setups[n].plant == plant)
            loaded.append(LoadedMapping(index, plant, mapper, served))
            for name in served:
                per_connector[name].append(mapper)
    for position, connector in enumerate(connectors):
        name = connector.name
        if name in setups and name not in failed and not per_connector[name]:
            problems.add(
                ["connectors", position, "name"],
                "no mapping applies to this connector: add a `mappings:` entry for it (its messages "
                "would all be dead-lettered)",
            )
    return loaded, ConnectorMappings({n: MappingSet(m) for n, m in per_connector.items()})


def _reference(entry: MappingEntry, index: int, base: Path, problems: Problems) -> str | None:
    """The entry's file as load_mapping takes it (absolute path or template:NAME), if it exists."""
    ref = entry.ref
    key = "file" if entry.file is not None else "template"
    if ref.startswith(TEMPLATE_PREFIX):
        name = ref[len(TEMPLATE_PREFIX) :]
        if not template_path(name).is_file():
            shipped = ", ".join(sorted(p.stem for p in template_path("x").parent.glob("*.yaml")))
            problems.add(["mappings", index, key], f"no shipped template {name!r} (templates: {shipped})")
            return None
        return ref
    path = Path(ref) if Path(ref).is_absolute() else base / ref
    if not path.is_file():
        problems.add(["mappings", index, key], f"mapping file {ref!r} not found (looked for {path})")
        return None
    return str(path)


def _targets(entry: MappingEntry, index: int, names: Sequence[str], problems: Problems) -> list[str]:
    if not entry.connectors:
        return list(names)
    for position, name in enumerate(entry.connectors):
        if name not in names:
            problems.add(
                ["mappings", index, "connectors", position],
                f"no connector named {name!r} (connectors: {', '.join(names) or 'none'})",
            )
    return [name for name in entry.connectors if name in names]


def _load(ref: str, plant: str | None, index: int, problems: Problems) -> Mapper | None:
    try:
        return load_mapping(ref, plant=plant)
    except MappingError as exc:
        where = locate(problems.tree, ["mappings", index])
        for_plant = f", plant {plant}" if plant else ""
        raw_line(problems, f"{exc} (mappings[{index}] at {where}{for_plant})")
        return None
