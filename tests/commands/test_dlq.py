"""`lotline dlq`: list, show, replay, discard from the command line; each change audited."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from lotline.cli import app
from lotline.connectors import Message
from lotline.connectors.wrappers import DeadLetter
from lotline.store.audit import entries
from lotline.store.dlq import LetterState, list_letters, park
from lotline.store.engine import open_engine

runner = CliRunner()


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path}/dlq.db"
    engine = open_engine(url)
    park(
        engine,
        [
            DeadLetter.inbound(Message("line-1", "m1", b'{"a":1}'), "map", "KeyError: 'lot'"),
            DeadLetter.inbound(Message("line-2", "m2", b"\xff"), "validate", "eventTime: required"),
        ],
    )
    engine.dispose()
    return url


def test_every_dlq_command_has_help_with_an_example() -> None:
    for command in (
        ["dlq", "--help"],
        *(["dlq", name, "--help"] for name in ("list", "show", "replay", "discard")),
    ):
        code, out, _ = run(*command)
        assert code == 0 and "Example" in out, command


def test_the_stage_option_names_every_stage_deliver_included() -> None:
    result = CliRunner().invoke(app, ["dlq", "list", "--help"], env={"COLUMNS": "200", "NO_COLOR": "1"})
    assert result.exit_code == 0
    text = " ".join(result.stdout.replace("│", " ").split())
    for stage in ("map", "validate", "store", "deliver", "send"):
        assert stage in text.partition("--stage")[2], stage


def test_list_and_show(db: str) -> None:
    code, out, _ = run("dlq", "list", "--db", db)
    assert code == 0 and "KeyError" in out and "line-2" in out
    code, out, _ = run("dlq", "list", "--db", db, "--stage", "map", "--format", "json")
    assert code == 0 and [d["messageId"] for d in orjson.loads(out)] == ["m1"]
    letter_id = orjson.loads(out)[0]["id"]
    code, out, _ = run("dlq", "show", str(letter_id), "--db", db, "--format", "json")
    assert code == 0 and orjson.loads(out)["payload"] == '{"a":1}'
    code, _, err = run("dlq", "show", "999", "--db", db)
    assert code == 1 and "no dead letter" in err


def test_replay_and_discard_are_audited(db: str) -> None:
    engine = open_engine(db)
    first, second = sorted(r.id for r in list_letters(engine))
    code, _, err = run("dlq", "replay", str(first), "--db", db)
    assert code == 0 and "replayed 1" in err
    code, _, err = run("dlq", "discard", str(second), "--db", db)
    assert code == 2 and "--reason" in err
    code, _, err = run("dlq", "discard", "--all", "--reason", "noise from commissioning", "--db", db)
    assert code == 0 and "discarded 1" in err
    assert {r.id: r.state for r in list_letters(engine, state=None)} == {
        first: LetterState.REPLAYED,
        second: LetterState.DISCARDED,
    }
    assert [e.action for e in entries(engine)] == ["dlq.discard", "dlq.replay"]
    assert entries(engine)[0].actor.startswith("cli")
    code, _, err = run("dlq", "replay", str(second), "--db", db)
    assert code == 1 and "nothing was replayed" in err
    engine.dispose()
