"""Loading a configuration file: YAML with locations, environment, validation, connectors, mappings.

    config = load_config("lotline.yaml")          # or ConfigError with every problem located
    runner = Runner(engine, config.sources(), config.mapper, config.runner_settings())

Steps, in order: read the YAML keeping file:line:col for every value (`lotline.mapping.source`);
replace `${NAME}` references and apply `LOTLINE_*` overrides (`lotline.config.env`); validate the file
format (`lotline.config.model`); check cross-references (`lotline.config.checks`); validate each
connector's options against its registered kind (`lotline.config.connectors`); load every mapping for
the plants it serves (`lotline.config.mappings`); check the outbound routes' targets
(`lotline.config.outbound`). All problems found are reported together. Relative
paths (mapping files, connector files, a SQLite database) are relative to the config file's folder.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pydantic
from sqlalchemy.engine import make_url

from lotline.config.checks import connector_plants
from lotline.config.connectors import ConnectorSetup, validate_connector
from lotline.config.env import apply_overrides, substitute
from lotline.config.mappings import ConnectorMappings, LoadedMapping, load_mappings
from lotline.config.model import LotlineConfig
from lotline.config.outbound import check_outbound
from lotline.config.problems import EnvLoc, Problems
from lotline.connectors.base import Source
from lotline.connectors.registry import Registry
from lotline.errors import ConfigError, MappingError
from lotline.mapping.source import LDict, load_yaml, locate
from lotline.pipeline.runner import RunnerSettings

__all__ = ["Configuration", "load_config"]


@dataclass(frozen=True)
class Configuration:
    """A validated configuration, ready to run."""

    path: Path
    model: LotlineConfig
    connectors: Mapping[str, ConnectorSetup]  # by name, in file order
    mappings: list[LoadedMapping]
    mapper: ConnectorMappings
    overrides: list[str] = field(default_factory=list)  # the LOTLINE_* variables applied

    @property
    def database_url(self) -> str:
        return self.model.database.url

    def sources(self) -> dict[str, Source]:
        """New sources for the enabled connectors, by name (each call makes new ones)."""
        return {name: c.source() for name, c in self.connectors.items() if c.enabled}

    def runner_settings(self) -> RunnerSettings:
        return RunnerSettings(**self.model.runner.model_dump())


def load_config(
    path: Path | str, *, environ: Mapping[str, str] | None = None, registry: Registry | None = None
) -> Configuration:
    """The configuration in `path`, or a ConfigError listing every problem as file:line:col: field: fix."""
    file = Path(path)
    env = os.environ if environ is None else environ
    try:
        tree = load_yaml(file)
    except MappingError as exc:
        raise ConfigError([str(exc)]) from None
    if not isinstance(tree, LDict):
        raise ConfigError(
            [f"{file}:1:1: (file): a configuration is a YAML mapping (plants:, connectors:, mappings:, ...)"]
        )
    problems = Problems(str(file), tree)
    substitute(tree, env, problems)
    overrides = apply_overrides(tree, env, problems)
    if problems.lines:
        raise ConfigError(problems.lines)
    try:
        model = LotlineConfig.model_validate(tree)
    except pydantic.ValidationError as exc:
        problems.from_pydantic(exc, LotlineConfig)
        raise ConfigError(problems.lines) from None
    base = file.resolve().parent
    plants = connector_plants(model, problems)
    registry = registry if registry is not None else Registry.discover()
    setups: dict[str, ConnectorSetup] = {}
    for index, entry in enumerate(model.connectors):
        setup = validate_connector(entry, index, plants[index], registry, base, problems)
        if setup is not None and entry.name not in setups:
            setups[entry.name] = setup
    loaded, mapper = load_mappings(model.mappings, model.connectors, setups, base, problems)
    check_outbound(model, registry, problems)
    if problems.lines:
        raise ConfigError(problems.lines)
    if not isinstance(locate(tree, ["database", "url"]), EnvLoc):
        model = model.model_copy(
            update={"database": model.database.model_copy(update={"url": _db(model, base)})}
        )
    return Configuration(file, model, setups, loaded, mapper, overrides)


def _db(model: LotlineConfig, base: Path) -> str:
    """A SQLite file path relative to the config file's folder; other URLs unchanged."""
    url = make_url(model.database.url)
    database = url.database
    if url.get_backend_name() != "sqlite" or not database or database == ":memory:":
        return model.database.url
    if Path(database).is_absolute():
        return model.database.url
    return url.set(database=str(base / database)).render_as_string(hide_password=False)
