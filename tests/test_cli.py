"""The lotline command: import, keys, demo, help."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from lotline.cli import app
from lotline.store.engine import open_engine
from lotline.store.events import count_events
from lotline.store.keys import verify_token
from tests.api.test_capture import document, object_event
from tests.conftest import GS1

runner = CliRunner()


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_every_command_has_help_with_an_example() -> None:
    for command in (
        ["--help"],
        ["serve", "--help"],
        ["import", "--help"],
        ["keys", "create", "--help"],
        ["keys", "list", "--help"],
        ["keys", "revoke", "--help"],
        ["demo", "--help"],
    ):
        code, out, _ = run(*command)
        assert code == 0, command
        assert "Example" in out, f"{' '.join(command)} has no example"


def test_keys_create_prints_only_the_key_on_stdout(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path}/k.db"
    code, out, err = run("keys", "create", "--name", "erp", "--scope", "capture,query", "--db", db)
    assert code == 0, err
    token = out.strip()
    assert out.count("\n") == 1 and token.startswith("ll_")
    assert verify_token(open_engine(db), token).scopes == {"capture", "query"}
    code, out, _ = run("keys", "list", "--db", db)
    secret = token.split("_", 2)[2]  # the whole secret: it may hold "_" itself (URL-safe base64)
    assert "erp" in out and secret not in out


def test_keys_create_rejects_an_unknown_scope(tmp_path: Path) -> None:
    code, out, err = run(
        "keys", "create", "--name", "x", "--scope", "everything", "--db", f"sqlite:///{tmp_path}/k.db"
    )
    assert code == 2 and out == ""
    assert "unknown scope" in err


def test_keys_revoke(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path}/k.db"
    _, out, _ = run("keys", "create", "--name", "x", "--scope", "query", "--db", db)
    key_id = out.split("_")[1]
    assert run("keys", "revoke", key_id, "--db", db)[0] == 0
    assert run("keys", "revoke", key_id, "--db", db)[0] == 1


def test_import_the_gs1_json_examples(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path}/i.db"
    code, _, err = run("import", str(GS1 / "JSON"), "--db", db)
    assert "import summary" in err
    # Two GS1 examples reuse another example's placeholder eventID for a different event: both are
    # refused by name, everything else is stored.
    rejected = [line for line in err.splitlines() if line.startswith("rejected")]
    assert len(rejected) == 2, err
    assert all("is already used by a different event" in line for line in rejected)
    assert code == 1
    assert count_events(open_engine(db)) > 40


def test_import_reports_rejections_and_exits_1(tmp_path: Path) -> None:
    bad = object_event(2, eventTime="2024-02-30T10:00:00Z")
    path = tmp_path / "mixed.jsonld"
    path.write_bytes(document(object_event(1), bad))
    (tmp_path / "broken.json").write_bytes(b"{nope")
    db = f"sqlite:///{tmp_path}/i.db"
    code, _, err = run("import", str(path), str(tmp_path / "broken.json"), "--db", db)
    assert code == 1
    assert "mixed.jsonld event 1" in err and "broken.json" in err
    assert count_events(open_engine(db)) == 1


def test_import_twice_counts_duplicates(tmp_path: Path) -> None:
    path = tmp_path / "doc.jsonld"
    path.write_bytes(document(*(object_event(i) for i in range(5))))
    db = f"sqlite:///{tmp_path}/i.db"
    assert run("import", str(path), "--db", db)[0] == 0
    assert run("import", str(path), "--db", db)[0] == 0
    assert count_events(open_engine(db)) == 5


def test_import_a_missing_path_exits_2(tmp_path: Path) -> None:
    code, _, err = run("import", str(tmp_path / "nope"), "--db", f"sqlite:///{tmp_path}/i.db")
    assert code == 2 and "no such file" in err


def test_demo_prepares_a_database_and_prints_a_working_key(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path}/demo.db"
    code, _, err = run("demo", "--db", db, "--events", "500", "--no-serve")
    assert code == 0, err
    assert "rejected" not in err
    engine = open_engine(db)
    assert count_events(engine) >= 500
    token = next(word for word in err.split() if word.startswith("ll_"))
    assert verify_token(engine, token).scopes == {"capture", "query", "trace", "admin"}


@pytest.mark.parametrize("doc", [orjson.dumps({"type": "EPCISDocument"})])
def test_import_rejects_a_document_without_body(tmp_path: Path, doc: bytes) -> None:
    path = tmp_path / "d.json"
    path.write_bytes(doc)
    code, _, err = run("import", str(path), "--db", f"sqlite:///{tmp_path}/i.db")
    assert code == 1 and "d.json" in err


def test_trace_prints_one_json_line_per_id_and_flags_unknown_ones(tmp_path: Path) -> None:
    from tests.trace.builders import at, index_of, lot, transform

    db = f"sqlite:///{tmp_path}/t.db"
    index_of(open_engine(db), transform([lot("000001", "A")], [lot("000002", "B")], at(2)))
    code, out, err = run(
        "trace", "forward", lot("000001", "A"), lot("000009", "Z"), "--db", db, "--format", "jsonl"
    )
    assert code == 1 and "not found" in err and lot("000009", "Z") in err
    first, second = (orjson.loads(line) for line in out.splitlines())
    assert [i["id"] for i in first["items"]] == [lot("000002", "B")]
    assert second["items"] == []
    code, out, _ = run("trace", "backward", lot("000002", "B"), "--db", db, "--format", "table")
    assert code == 0 and "backward trace" in out


def test_trace_help_has_an_example() -> None:
    code, out, _ = run("trace", "--help")
    assert code == 0 and "Example" in out
