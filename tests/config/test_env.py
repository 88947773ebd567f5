"""`${NAME}` references and LOTLINE_* overrides: what they set, and errors that name the variable."""

from __future__ import annotations

from pathlib import Path

import pytest

from lotline.config import ConfigError, load_config
from tests.config.helpers import BASE, write


def test_references_defaults_and_escapes(tmp_path: Path) -> None:
    text = BASE.replace("channel: mes-line1", "channel: ${CHANNEL:-fallback}-$${literal}")
    config = load_config(write(tmp_path, text), environ={})
    assert config.connectors["mes-line1"].options.model_dump()["channel"] == "fallback-${literal}"
    config = load_config(write(tmp_path, text), environ={"CHANNEL": "from-env"})
    assert config.connectors["mes-line1"].options.model_dump()["channel"] == "from-env-${literal}"


def test_overrides_set_values_by_path_and_list_entries_by_name(tmp_path: Path) -> None:
    environ = {
        "LOTLINE_DB": "sqlite:///elsewhere.db",
        "LOTLINE__SERVER__PORT": "9001",
        "LOTLINE__RUNNER__BATCH_SIZE": "64",
        "LOTLINE__CONNECTORS__MES_LINE1__OPTIONS__CHANNEL": "override",
        "LOTLINE__PLANTS__PLANT_A__NAME": "Plant A (renamed)",
        "LOTLINE_CAPTURE_LIMIT": "5",  # another LOTLINE_ setting: not a config override
    }
    config = load_config(write(tmp_path), environ=environ)
    assert config.database_url == "sqlite:///elsewhere.db"  # from the environment: not made relative
    assert config.model.server.port == 9001
    assert config.runner_settings().batch_size == 64
    assert config.connectors["mes-line1"].options.model_dump()["channel"] == "override"
    assert config.model.plants[0].name == "Plant A (renamed)"
    assert config.overrides == [
        "LOTLINE_DB",
        "LOTLINE__CONNECTORS__MES_LINE1__OPTIONS__CHANNEL",
        "LOTLINE__PLANTS__PLANT_A__NAME",
        "LOTLINE__RUNNER__BATCH_SIZE",
        "LOTLINE__SERVER__PORT",
    ]


def test_a_bad_override_names_the_variable(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path), environ={"LOTLINE__SERVER__PORT": "http"})
    [problem] = caught.value.problems
    assert problem.startswith("environment variable LOTLINE__SERVER__PORT: server.port: Input should be")


def test_an_override_of_an_unknown_entry_lists_the_entries(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path), environ={"LOTLINE__CONNECTORS__MES_LINE9__KIND": "mqtt"})
    assert caught.value.problems == [
        "environment variable LOTLINE__CONNECTORS__MES_LINE9__KIND: connectors: "
        "LOTLINE__CONNECTORS__MES_LINE9__KIND: no entry named 'mes_line9' here (entries: mes-line1)"
    ]


def test_an_override_of_an_unknown_field_is_an_unknown_field(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path), environ={"LOTLINE__SERVER__PROT": "1"})
    [problem] = caught.value.problems
    assert problem.startswith("environment variable LOTLINE__SERVER__PROT: server.prot: unknown field")
