"""lotline's configuration file: plants, connectors, mappings, runner, database and server in one YAML file.

    from lotline.config import load_config

    config = load_config("lotline.yaml")      # raises ConfigError: every problem as file:line:col: field: fix
    config.sources()                           # the enabled connectors' sources, by name
    config.mapper                              # routes each message to its connector's mappings
    config.runner_settings()

See docs/config.md for the format, `${NAME}` references and the `LOTLINE_*` overrides.
"""

from lotline.config.connectors import ConfiguredSource, ConnectorSetup
from lotline.config.loader import Configuration, load_config
from lotline.config.mappings import ConnectorMappings, LoadedMapping
from lotline.config.model import (
    ConnectorEntry,
    DatabaseConfig,
    LineConfig,
    LotlineConfig,
    MappingEntry,
    PlantConfig,
    RunnerConfig,
    ServerConfig,
)
from lotline.errors import ConfigError

__all__ = [
    "ConfigError",
    "Configuration",
    "ConfiguredSource",
    "ConnectorEntry",
    "ConnectorMappings",
    "ConnectorSetup",
    "DatabaseConfig",
    "LineConfig",
    "LoadedMapping",
    "LotlineConfig",
    "MappingEntry",
    "PlantConfig",
    "RunnerConfig",
    "ServerConfig",
    "load_config",
]
