"""The configuration file format, as pydantic models: the single source for validation and for docs/config.md.

The `outbound:` section is `lotline.outbound.OutboundConfig` itself (one route model for `serve --config`
and `lotline deliver --routes`); its targets are checked in `lotline.config.outbound`.

Connector `options` stay a plain mapping here: they are validated against the registered connector's own
config model (`lotline.config.connectors`), which is found by `kind` through the connector registry.
Cross-references (a connector's plant and line, a mapping's connectors) are checked in
`lotline.config.checks`, where the YAML locations are at hand.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from lotline.outbound.routes import OutboundConfig
from lotline.store.engine import DEFAULT_URL

__all__ = [
    "ConnectorEntry",
    "DatabaseConfig",
    "LineConfig",
    "LotlineConfig",
    "MappingEntry",
    "PlantConfig",
    "RunnerConfig",
    "ServerConfig",
]

NAME = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"
SGLN = r"^urn:epc:id:sgln:\d{6,12}\.\d{0,6}\.[!-~]{1,20}$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DatabaseConfig(_Strict):
    """Where lotline keeps its events, inbox and dead letters."""

    url: str = Field(
        default=DEFAULT_URL,
        description="sqlite:///path.db (a relative path is relative to the config file's folder) or "
        "postgresql://user@host/db.",
    )


class ServerConfig(_Strict):
    """The HTTP API."""

    host: str = Field(default="127.0.0.1", description="Address to listen on (0.0.0.0: every interface).")
    port: int = Field(default=8000, ge=1, le=65535, description="Port to listen on.")


def gln_ok(value: str) -> bool:
    """A 13-digit GLN with a valid GS1 mod-10 check digit."""
    if len(value) != 13 or not value.isdigit():
        return False
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(reversed(value[:-1]), start=1))
    return (10 - total % 10) % 10 == int(value[-1])


class LineConfig(_Strict):
    """A production line (or work centre) of a plant."""

    id: str = Field(pattern=NAME, description="Unique in the plant, e.g. line-1.")
    name: str | None = Field(default=None, description="Display name.")
    sgln: str | None = Field(default=None, pattern=SGLN, description="The line's SGLN (read point).")


class PlantConfig(_Strict):
    """A plant: the `plant` of every event its connectors bring in."""

    id: str = Field(pattern=NAME, description="Short id used everywhere (events, mappings' plants:).")
    name: str | None = Field(default=None, description="Display name.")
    gln: str | None = Field(default=None, description="The plant's GLN (13 digits, valid check digit).")
    sgln: str | None = Field(default=None, pattern=SGLN, description="The plant's SGLN (business location).")
    lines: list[LineConfig] = Field(default_factory=list, description="Its production lines.")

    @field_validator("gln")
    @classmethod
    def _gln(cls, value: str | None) -> str | None:
        if value is not None and not gln_ok(value):
            raise ValueError("a GLN is 13 digits ending in a valid GS1 check digit")
        return value

    @field_validator("lines")
    @classmethod
    def _unique_lines(cls, lines: list[LineConfig]) -> list[LineConfig]:
        ids = [line.id for line in lines]
        if len(set(ids)) != len(ids):
            raise ValueError(f"line ids must be unique in a plant: {ids}")
        return lines


class ConnectorEntry(_Strict):
    """One configured connector: a kind from the registry, its options, and where it sits in the plant."""

    name: str = Field(
        pattern=NAME, description="Unique name; the `source` of every message and event it brings in."
    )
    kind: str = Field(description="A registered connector kind (`lotline connectors`, docs/connectors.md).")
    plant: str | None = Field(default=None, description="Plant id; may be left out when there is one plant.")
    line: str | None = Field(
        default=None, description="Line id within the plant, if the source is one line's."
    )
    enabled: bool = Field(default=True, description="False: validated, but not started by `serve`.")
    options: dict[str, Any] = Field(
        default_factory=dict, description="The connector kind's options (validated by its config model)."
    )


class MappingEntry(_Strict):
    """Which mapping file turns which connectors' messages into events."""

    file: str | None = Field(
        default=None, description="Mapping file (relative to the config file's folder), or template:NAME."
    )
    template: str | None = Field(
        default=None, description="A shipped template's name (same as file: template:NAME)."
    )
    connectors: list[str] = Field(
        default_factory=list, description="Connector names it applies to; all connectors when empty."
    )
    topics: list[str] | None = Field(
        default=None, description="Replaces the mapping's match.topic for these connectors (+ and # filters)."
    )

    @model_validator(mode="after")
    def _one_source(self) -> MappingEntry:
        if (self.file is None) == (self.template is None):
            raise ValueError("give exactly one of `file` (a path or template:NAME) or `template` (a name)")
        return self

    @property
    def ref(self) -> str:
        """What `lotline.mapping.load_mapping` takes: a path or template:NAME."""
        return self.file if self.file is not None else f"template:{self.template}"


class RunnerConfig(_Strict):
    """The pipeline runner (`lotline.pipeline.runner.RunnerSettings`)."""

    batch_size: int = Field(default=500, ge=1, description="Live messages per batch (one transaction).")
    batch_wait: float = Field(
        default=0.005, ge=0, description="Seconds a started batch may wait to fill (latency vs throughput)."
    )
    queue_size: int = Field(default=1000, ge=1, description="Per connector; a full queue stops reading.")
    backlog_share: float = Field(
        default=0.5, ge=0, le=1, description="Share of a batch for unfinished inbox rows (crash, replay)."
    )
    rescan_interval: float = Field(
        default=1.0, gt=0, description="Seconds between looks for replayed inbox rows once drained."
    )


class LotlineConfig(_Strict):
    """The whole configuration file."""

    database: DatabaseConfig = DatabaseConfig()
    server: ServerConfig = ServerConfig()
    plants: list[PlantConfig] = Field(default_factory=list)
    connectors: list[ConnectorEntry] = Field(default_factory=list)
    mappings: list[MappingEntry] = Field(default_factory=list)
    runner: RunnerConfig = RunnerConfig()
    outbound: OutboundConfig | None = Field(
        default=None,
        description="Outbound routes and the dispatcher's pace (`lotline.outbound.OutboundConfig`, the same "
        "model `lotline deliver --routes` reads). Absent: `serve` delivers nothing (DBOS is not launched).",
    )
