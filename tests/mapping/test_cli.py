"""`lotline mapping test` and `lotline mapping check`."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from lotline.cli import app
from tests.mapping.conftest import write

runner = CliRunner()
GOLDEN = Path(__file__).parent / "golden"


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_help_has_examples() -> None:
    for command in (["mapping", "--help"], ["mapping", "test", "--help"], ["mapping", "check", "--help"]):
        code, out, _ = run(*command)
        assert code == 0 and "Example" in out, command


def test_mapping_test_prints_the_canonical_events() -> None:
    case = GOLDEN / "mes-confirmation"
    code, out, err = run("mapping", "test", str(case / "mapping.yaml"), str(case / "input.json"))
    assert code == 0, err
    events = json.loads(out)
    expected = json.loads((case / "expected.json").read_text())
    assert [e["type"] for e in events] == [e["type"] for e in expected]
    assert events[0] == expected[0]  # the operational envelope's time-free parts are compared below
    assert events[1]["data"] == expected[1]["data"]


def test_topic_and_plant_options(tmp_path: Path) -> None:
    case = GOLDEN / "plant-override"
    code, out, err = run(
        "mapping", "test", str(case / "mapping.yaml"), str(case / "input.json"), "--plant", "plant-b"
    )
    assert code == 0, err
    assert [e["type"] for e in json.loads(out)] == ["TransformationEvent", "ObjectEvent"]
    case = GOLDEN / "sparkplug-state"
    args = ["mapping", "test", str(case / "mapping.yaml"), str(case / "input.json")]
    code, out, err = run(*args)
    assert code == 1 and out == ""
    assert "does not take this message" in err and "--skip-match" in err
    code, out, err = run(*args, "--topic", "spBv1.0/g/DDATA/edge/press-4", "--header", "plant=p9")
    assert code == 0, err
    assert json.loads(out)[0]["subject"] == "press-4"


def test_mapping_test_prints_the_exact_error_with_file_and_line(tmp_path: Path) -> None:
    mapping = write(
        tmp_path,
        "m.yaml",
        """
        mapping: broken
        version: 2
        outputs:
          - name: made
            epcis:
              type: ObjectEvent
              eventTime: "= $number(ts) * 2"
        """,
    )
    payload = write(tmp_path, "in.json", '{"ts": "soon"}')
    code, out, err = run("mapping", "test", str(mapping), str(payload))
    assert code == 1 and out == ""
    flat = " ".join(err.split())
    assert (
        f"error: mapping broken v2, output made, field outputs[made].epcis.eventTime ({mapping}:7:18)" in flat
    )


def test_mapping_test_reports_invalid_epcis(tmp_path: Path) -> None:
    mapping = write(
        tmp_path,
        "m.yaml",
        """
        mapping: sloppy
        version: 1
        outputs:
          - name: made
            epcis: {type: ObjectEvent, action: ADD, eventTime: "= ts", eventTimeZoneOffset: "+00:00"}
        """,
    )
    payload = write(tmp_path, "in.json", '{"ts": "yesterday"}')
    code, out, err = run("mapping", "test", str(mapping), str(payload))
    assert code == 1
    assert json.loads(out)[0]["eventTime"] == "yesterday"
    assert "invalid event 0 (ObjectEvent): /eventTime" in " ".join(err.split())
    code, _, _ = run("mapping", "test", str(mapping), str(payload), "--no-validate")
    assert code == 0


def test_mapping_check(tmp_path: Path) -> None:
    code, _, err = run("mapping", "check", "template:mes-production-confirmation")
    assert code == 0 and "ok: mapping mes-production-confirmation v1" in err
    bad = write(
        tmp_path, "bad.yaml", "mapping: x\nversion: 1\noutputs:\n  - {name: a, epcis: {}, colour: 1}\n"
    )
    code, _, err = run("mapping", "check", str(bad))
    assert code == 1
    assert f"error: {bad}:4:34: field outputs[0].colour: unknown field" in " ".join(err.split())


def test_mapping_check_loads_every_plant_section(tmp_path: Path) -> None:
    case = GOLDEN / "plant-override"
    code, _, err = run("mapping", "check", str(case / "mapping.yaml"))
    assert code == 0, err
    flat = " ".join(err.split())
    assert "v2 (" in flat and "v2 for plant-b" in flat and "transformation, staged" in flat
    text = (case / "mapping.yaml").read_text().replace("bizStep: staging_outbound", "bizStep: \"= 'x' &\"")
    broken = write(tmp_path, "m.yaml", text)
    code, _, err = run("mapping", "check", str(broken))
    assert code == 1
    assert f"{broken}:26:20: field outputs[staged].epcis.bizStep: bad expression" in " ".join(err.split())


def test_unreadable_input(tmp_path: Path) -> None:
    code, _, err = run("mapping", "test", "template:mes-production-confirmation", str(tmp_path / "none.json"))
    assert code == 2 and "cannot read" in err
