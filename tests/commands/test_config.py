"""`lotline config check`: the shipped example is valid; problems are printed located, exit status 1."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from lotline.cli import app
from tests.config.helpers import BASE, write

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "two-line-plant" / "lotline.yaml"
runner = CliRunner()


def run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), env={"COLUMNS": "200", **(env or {})})
    return result.exit_code, result.stdout, result.stderr


def test_the_two_line_plant_example_is_valid(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LOTLINE_DB", raising=False)
    env = {"MQTT_PASSWORD": "secret", "ERP_HOOK_SECRET": "hook-secret"}
    code, out, err = run("config", "check", str(EXAMPLE), env=env)
    assert code == 0, err
    assert "is valid" in err
    for name in ("line1-mqtt", "line2-sparkplug", "line2-filler-opcua", "acme-filler-lots", "hamburg"):
        assert name in out
    assert "erp-lots" in out  # the outbound route
    assert "secret" not in out


def test_the_example_needs_its_secret_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MQTT_PASSWORD", raising=False)
    monkeypatch.delenv("ERP_HOOK_SECRET", raising=False)
    code, _, err = run("config", "check", str(EXAMPLE))
    assert code == 1
    assert (
        f"{EXAMPLE}:40:17: connectors[line1-mqtt].options.password: environment variable MQTT_PASSWORD" in err
    )
    assert "outbound.routes[erp-lots].target.config.secret: environment variable ERP_HOOK_SECRET" in err
    assert "3 problem(s)" in err


def test_problems_are_printed_with_file_line_and_field(tmp_path: Path) -> None:
    path = write(tmp_path, BASE.replace("kind: memory", "kind: nope"))
    code, out, err = run("config", "check", str(path))
    assert (code, out) == (1, "")
    assert f"error: {path}:11:11: connectors[mes-line1].kind: unknown connector kind 'nope'" in err


def test_help_has_an_example() -> None:
    code, out, _ = run("config", "check", "--help")
    assert code == 0 and "Example: MQTT_PASSWORD=x lotline config check" in out
    code, out, _ = run("serve", "--help")
    assert code == 0 and "--config" in out and "Example: lotline serve --config" in out
