"""Every configuration problem is reported as file:line:col: field path: what to fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from lotline.config import ConfigError, load_config
from tests.config.helpers import BASE, write


def problems(path: Path, environ: dict[str, str] | None = None) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_config(path, environ=environ or {})
    return caught.value.problems


def test_the_base_configuration_is_valid(tmp_path: Path) -> None:
    config = load_config(write(tmp_path), environ={})
    assert list(config.connectors) == ["mes-line1"]
    setup = config.connectors["mes-line1"]
    assert (setup.kind, setup.plant, setup.line) == ("memory", "plant-a", "line-1")  # the only plant
    assert [(m.mapper.name, m.plant, m.connectors) for m in config.mappings] == [
        ("mes-production-confirmation", "plant-a", ("mes-line1",))
    ]
    assert config.database_url == f"sqlite:///{tmp_path / 'var' / 'test.db'}"  # relative to the file


def test_unknown_field(tmp_path: Path) -> None:
    path = write(tmp_path, BASE.replace("    name: Plant A\n", "    name: Plant A\n    adress: x\n"))
    assert problems(path) == [
        f"{path}:6:13: plants[plant-a].adress: unknown field (allowed here: id, name, gln, sgln, lines)"
    ]


def test_wrong_type(tmp_path: Path) -> None:
    path = write(tmp_path, BASE + "server:\n  port: eighty\n")
    [problem] = problems(path)
    assert problem.startswith(f"{path}:19:9: server.port: Input should be a valid integer")
    assert "'eighty'" in problem


def test_several_problems_are_reported_together(tmp_path: Path) -> None:
    text = BASE.replace('gln: "4012345000009"', 'gln: "4012345000008"') + "runner:\n  batch_size: 0\n"
    found = problems(write(tmp_path, text))
    assert len(found) == 2
    assert "plants[plant-a].gln: a GLN is 13 digits ending in a valid GS1 check digit" in found[0]
    assert ":19:15: runner.batch_size: Input should be greater than or equal to 1" in found[1]


def test_unknown_connector_kind_lists_the_known_kinds(tmp_path: Path) -> None:
    path = write(tmp_path, BASE.replace("kind: memory", "kind: memroy"))
    [problem] = problems(path)
    assert problem.startswith(f"{path}:11:11: connectors[mes-line1].kind: unknown connector kind 'memroy'")
    assert "known kinds:" in problem and "memory" in problem and "mqtt" in problem


def test_bad_connector_option_names_the_option(tmp_path: Path) -> None:
    path = write(tmp_path, BASE.replace("channel: mes-line1", "chanel: mes-line1"))
    assert problems(path) == [
        f"{path}:14:7: connectors[mes-line1].options.channel: required option is missing",
        f"{path}:14:15: connectors[mes-line1].options.chanel: unknown option "
        "(allowed here: channel, name, max_payload_bytes)",
    ]


def test_bad_connector_option_value(tmp_path: Path) -> None:
    path = write(tmp_path, BASE.replace("channel: mes-line1", "channel: c\n      max_payload_bytes: -1"))
    [problem] = problems(path)
    assert problem.startswith(f"{path}:15:26: connectors[mes-line1].options.max_payload_bytes: Input should")


def test_bad_mapping_reference(tmp_path: Path) -> None:
    text = BASE.replace("  - template: mes-production-confirmation", "  - file: mappings/missing.yaml")
    path = write(tmp_path, text)
    [problem] = problems(path)
    assert problem.startswith(
        f"{path}:16:11: mappings[0].file: mapping file 'mappings/missing.yaml' not found"
    )


def test_unknown_template_lists_the_shipped_ones(tmp_path: Path) -> None:
    path = write(tmp_path, BASE.replace("template: mes-production-confirmation", "template: mes"))
    [problem] = problems(path)
    assert problem.startswith(f"{path}:16:15: mappings[0].template: no shipped template 'mes'")
    assert "mes-production-confirmation" in problem


def test_mapping_naming_an_unknown_connector(tmp_path: Path) -> None:
    path = write(tmp_path, BASE.replace("connectors: [mes-line1]", "connectors: [mes-line2]"))
    found = problems(path)
    assert (
        found[0]
        == f"{path}:17:18: mappings[0].connectors[0]: no connector named 'mes-line2' (connectors: mes-line1)"
    )
    assert "connectors[mes-line1].name: no mapping applies to this connector" in found[1]


def test_an_invalid_mapping_file_is_reported_at_its_own_line(tmp_path: Path) -> None:
    (tmp_path / "m.yaml").write_text(
        "mapping: m\nversion: 1\noutputs:\n  - name: x\n    epcis: {type: 1}\n    data: {}\n"
    )
    path = write(tmp_path, BASE.replace("template: mes-production-confirmation", "file: m.yaml"))
    [problem] = problems(path)
    assert problem.startswith(f"{tmp_path / 'm.yaml'}:4:5: field outputs[0]:")
    assert problem.endswith(f"(mappings[0] at {path}:16:5, plant plant-a)")


def test_connector_plant_and_line_must_exist(tmp_path: Path) -> None:
    path = write(tmp_path, BASE.replace("    line: line-1\n", "    plant: plant-b\n    line: line-9\n"))
    found = problems(path)
    assert (
        found[0]
        == f"{path}:12:12: connectors[mes-line1].plant: no plant 'plant-b' under plants: (plants: plant-a)"
    )
    assert found[1].startswith(f"{path}:13:11: connectors[mes-line1].line: no line 'line-9'")


def test_missing_environment_variable(tmp_path: Path) -> None:
    path = write(tmp_path, BASE.replace("channel: mes-line1", "channel: ${CHANNEL}"))
    assert problems(path) == [
        f"{path}:14:16: connectors[mes-line1].options.channel: environment variable CHANNEL is not set "
        "(set it, or write ${CHANNEL:-default})"
    ]


def test_yaml_syntax_error_is_located(tmp_path: Path) -> None:
    path = write(tmp_path, "plants:\n  - id: [unclosed\n")
    [problem] = problems(path)
    assert problem.startswith(f"{path}:3:1: YAML syntax")


def test_an_empty_or_scalar_file(tmp_path: Path) -> None:
    path = write(tmp_path, "just text\n")
    assert problems(path) == [
        f"{path}:1:1: (file): a configuration is a YAML mapping (plants:, connectors:, mappings:, ...)"
    ]
