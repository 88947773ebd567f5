"""Configured connectors: options validated by the registered kind's own model, and the sources `serve` runs.

A configured source is wrapped once (`ConfiguredSource`) so that every message it reads carries the
connector's configured name as its `source` (the inbox key and the events' provenance) and the
connector's plant and line as the `plant` and `line` headers, unless the connector set them itself.
That is how a message gets its plant: mappings read it as `$plant`, and the runner stores it with every
event. The wrapper costs one small object per message.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pydantic

from lotline.config.model import ConnectorEntry
from lotline.config.problems import Problems
from lotline.connectors.base import Ack, ConnectorConfig, ConnectorSpec, Message, Source, Wrapping
from lotline.connectors.registry import Registry, UnknownConnector

__all__ = ["ConfiguredSource", "ConnectorSetup", "validate_connector"]


@dataclass(frozen=True)
class ConnectorSetup:
    """A connector entry after validation: its spec from the registry and its typed options."""

    name: str
    kind: str
    plant: str | None
    line: str | None
    enabled: bool
    spec: ConnectorSpec
    options: ConnectorConfig

    def source(self) -> ConfiguredSource:
        """A new (unconnected) source for this connector."""
        assert self.spec.source is not None  # checked by validate_connector
        return ConfiguredSource(self.spec.source(self.options), self.name, self.plant, self.line)


def validate_connector(
    entry: ConnectorEntry,
    index: int,
    plant: str | None,
    registry: Registry,
    base: Path,
    problems: Problems,
) -> ConnectorSetup | None:
    """The validated connector, or None after adding its problems (unknown kind, bad options)."""
    path: list[str | int] = ["connectors", index]
    try:
        spec = registry.get(entry.kind)
    except UnknownConnector as exc:
        problems.add([*path, "kind"], str(exc))
        return None
    if spec.source is None:
        problems.add([*path, "kind"], f"connector kind {entry.kind!r} cannot read messages (it is a sink)")
        return None
    options = _with_paths(spec.config, dict(entry.options), base)
    if "name" in spec.config.model_fields and "name" not in options:
        options["name"] = entry.name
    try:
        model = spec.config.model_validate(options)
    except pydantic.ValidationError as exc:
        problems.from_pydantic(exc, spec.config, [*path, "options"], what="option")
        return None
    return ConnectorSetup(entry.name, entry.kind, plant, entry.line, entry.enabled, spec, model)


def _with_paths(model: type[ConnectorConfig], options: dict[str, Any], base: Path) -> dict[str, Any]:
    """Relative file options (certificates, keys, folders) resolved against the config file's folder."""
    for name, info in model.model_fields.items():
        value = options.get(name)
        if isinstance(value, str) and value and _is_path(info.annotation) and not Path(value).is_absolute():
            options[name] = str(base / value)
    return options


def _is_path(annotation: Any) -> bool:
    if annotation is Path:
        return True
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return any(arg is Path for arg in typing.get_args(annotation))
    return False


class ConfiguredSource(Wrapping[Source]):
    """A source as configured: messages stamped with the connector's name, plant and line."""

    def __init__(self, inner: Source, name: str, plant: str | None, line: str | None) -> None:
        super().__init__(inner)
        self.name = name
        self._stamp = {k: v for k, v in (("plant", plant), ("line", line)) if v is not None}

    async def read(self) -> tuple[Message, Ack]:
        message, ack = await self.inner.read()
        headers = message.headers
        if any(key not in headers for key in self._stamp):
            headers = {**self._stamp, **headers}
        return dataclasses.replace(message, source=self.name, headers=headers), ack
