"""The `outbound:` section of lotline.yaml: the route model `lotline deliver --routes` reads, validated with
the rest of the file, every problem located."""

from __future__ import annotations

from pathlib import Path

import pytest

from lotline.config import LotlineConfig, load_config
from lotline.errors import ConfigError
from lotline.outbound import OutboundConfig
from tests.config.helpers import BASE, write

ROUTES = """\
outbound:
  poll_interval: 0.2
  routes:
    - name: erp
      match: {biz_steps: [shipping]}
      target: {kind: webhook, config: {url: "https://erp.example.com/hook", secret: "${HOOK_SECRET}"}}
      ordering: lot
    - name: partner
      target: {kind: memory, config: {channel: partner-out}}
      transform: "{'lot': quantityList[0].epcClass}"
"""


def problems(folder: Path, text: str, environ: dict[str, str] | None = None) -> list[str]:
    path = write(folder, text)
    with pytest.raises(ConfigError) as info:
        load_config(path, environ=environ or {})
    return [line.removeprefix(f"{path}:") for line in info.value.problems]


def test_the_section_is_the_deliver_command_s_route_model(tmp_path: Path) -> None:
    assert LotlineConfig.model_fields["outbound"].annotation == OutboundConfig | None
    config = load_config(write(tmp_path, BASE + ROUTES), environ={"HOOK_SECRET": "s"})
    outbound = config.model.outbound
    assert isinstance(outbound, OutboundConfig)
    assert [r.name for r in outbound.routes] == ["erp", "partner"] and outbound.poll_interval == 0.2
    assert outbound.routes[0].target.config["secret"] == "s"  # ${NAME} references work here too
    assert load_config(write(tmp_path, BASE), environ={}).model.outbound is None


def test_environment_overrides_reach_the_section(tmp_path: Path) -> None:
    env = {"HOOK_SECRET": "s", "LOTLINE__OUTBOUND__ROUTES__ERP__ENABLED": "false"}
    config = load_config(write(tmp_path, BASE + ROUTES), environ=env)
    assert config.model.outbound is not None and not config.model.outbound.routes[0].enabled


def test_route_problems_are_located(tmp_path: Path) -> None:
    text = BASE + (
        ROUTES.replace("poll_interval: 0.2", "poll_intervall: 0.2")
        .replace("biz_steps: [shipping]", "event_types: [Shipment]")
        .replace('secret: "${HOOK_SECRET}"', "secrt: x")
    )
    found = problems(tmp_path, text)
    assert len(found) == 2, found  # the model's errors come first; the registry checks wait for a valid model
    assert found[0].startswith(
        "22:29: outbound.routes[erp].match.event_types[0]: Input should be 'ObjectEvent'"
    )
    assert found[0].endswith("(got 'Shipment')")
    assert found[1] == (
        "19:19: outbound.poll_intervall: unknown field "
        "(allowed here: routes, poll_interval, batch, gap_grace, queue_poll, concurrency, start)"
    )


def test_targets_and_expressions_are_checked_against_the_registry(tmp_path: Path) -> None:
    text = BASE + (
        ROUTES.replace('secret: "${HOOK_SECRET}"', "secrt: x")
        .replace("ordering: lot", "ordering: 'lot +'")
        .replace("kind: memory, config: {channel: partner-out}", "kind: nope")
        .replace("quantityList[0].epcClass}", "quantityList[0].epcClass")
    )
    found = problems(tmp_path, text)
    assert found[:2] == [
        "23:84: outbound.routes[erp].target.config.secrt: unknown option "
        "(allowed here: url, secret, signature, content_type, headers, timeout)",
        "24:17: outbound.routes[erp].ordering: bad expression 'lot +': "
        "Unexpected end of expression (JSONata S0207 at character 5)",
    ]
    assert found[2].startswith("26:22: outbound.routes[partner].target.kind: unknown connector kind 'nope'")
    assert found[3].startswith("27:18: outbound.routes[partner].transform: bad expression")
    assert len(found) == 4


def test_duplicate_routes_and_an_in_memory_database(tmp_path: Path) -> None:
    text = BASE + ROUTES.replace("name: partner", "name: erp")
    assert problems(tmp_path, text, {"HOOK_SECRET": "s"}) == [
        "19:3: outbound: route names must be unique: erp"
    ]
    text = BASE.replace("sqlite:///var/test.db", '"sqlite:///:memory:"') + ROUTES
    [problem] = problems(tmp_path, text, {"HOOK_SECRET": "s"})
    assert problem.startswith("19:3: outbound: durable delivery keeps its state beside the database")
