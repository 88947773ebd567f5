"""`lotline edi parse | ack | import`."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from lotline.cli import app
from lotline.epcis.validation import validate_document, validate_events
from lotline.store.engine import open_engine
from lotline.store.events import count_events
from tests.edi.conftest import CROSSDOCK, DESADV_MALFORMED, DESADV_PALLETS, MIXED_TERMINATORS, TARE_LOTS

runner = CliRunner()


def run(*args: str | Path) -> tuple[int, str, str]:
    result = runner.invoke(app, [str(a) for a in args])
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("command", [[], ["parse"], ["ack"], ["import"]])
def test_help_has_an_example(command: list[str]) -> None:
    code, out, _ = run("edi", *command, "--help")
    assert code == 0 and "Example: lotline edi" in out


def test_parse_prints_the_canonical_ship_notices() -> None:
    code, out, _ = run("edi", "parse", TARE_LOTS)
    assert code == 0
    data = orjson.loads(out)
    assert data["format"] == "x12" and data["interchange"]["groups"][0]["code"] == "SH"
    assert [n["number"] for n in data["shipNotices"]] == ["35100", "02"]


def test_parse_as_epcis_prints_a_valid_document() -> None:
    code, out, _ = run("edi", "parse", DESADV_PALLETS, "--format", "epcis", "--tz", "+01:00")
    assert code == 0
    document = orjson.loads(out)
    assert validate_document(document) == []
    events = document["epcisBody"]["eventList"]
    assert validate_events(events) == [[]] * 3 and events[0]["eventTime"] == "2026-03-04T00:00:00+01:00"


def test_parse_of_a_malformed_document_names_the_segment() -> None:
    code, _, err = run("edi", "parse", MIXED_TERMINATORS)
    assert code == 1
    assert "segment 13 (N1), element N104: a line break inside the element" in err


def test_ack_prints_the_997_or_contrl() -> None:
    code, out, _ = run("edi", "ack", MIXED_TERMINATORS, "--control", "9", "--at", "2026-03-02T15:00:00")
    assert code == 0 and "AK5*R*5*4~" in out and out.startswith("ISA*") and "*000000009*" in out
    code, out, _ = run("edi", "ack", DESADV_MALFORMED, "--at", "2026-03-02T15:00:00")
    assert code == 0 and "UCM+1+DESADV:D:96A:UN+4+29'" in out


def test_import_stores_events_and_reports(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'edi.db'}"
    code, out, _ = run("edi", "import", CROSSDOCK, DESADV_PALLETS, "--db", url)
    assert code == 0, out
    assert "000009" in out and "DES587441" in out and "not a valid SSCC" in out
    engine = open_engine(url)
    assert count_events(engine) == 9
    code, out, _ = run("edi", "import", CROSSDOCK, "--db", url)
    assert code == 0 and count_events(engine) == 9  # duplicates


def test_import_of_a_malformed_document_exits_1(tmp_path: Path) -> None:
    code, out, _ = run("edi", "import", MIXED_TERMINATORS, "--db", f"sqlite:///{tmp_path / 'edi.db'}")
    assert code == 1 and "line break inside the element" in out
