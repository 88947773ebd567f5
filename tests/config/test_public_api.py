"""The public surface of lotline.config is pinned: changing it is a decision, not an accident."""

from __future__ import annotations

import lotline.config


def test_public_api() -> None:
    assert sorted(lotline.config.__all__) == [
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
    for name in lotline.config.__all__:
        assert getattr(lotline.config, name) is not None
