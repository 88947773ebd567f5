"""The files connector on real folders: completely written files only, archive and error folders, records,
B2MML documents. The conformance suite runs in tests/conformance/test_files.py (imported below so that the
registry test sees it)."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import shutil
import time
from pathlib import Path
from typing import Any

import pytest

import tests.conformance.test_files  # noqa: F401  (registers the conformance test of kind "files")
from lotline.connectors import Message
from lotline.connectors.base import Ack
from lotline.connectors.files import FilesConfig, FilesSource
from lotline.mapping import MappingSet, load_mapping
from lotline.pipeline.runner import Runner, RunnerSettings
from lotline.store.engine import open_engine
from lotline.store.events import count_events
from lotline.store.inbox import counts
from tests.pipeline.helpers import run_until

QUIET = 0.3  # seconds: a read that gets nothing in this time means "nothing to read"


@pytest.fixture
def inbox(tmp_path: Path) -> Path:
    folder = tmp_path / "inbox"
    folder.mkdir()
    return folder


def source(folder: Path, **options: Any) -> FilesSource:
    config: dict[str, Any] = {"folder": folder, "name": "drop", "settle_time": 0, "poll_interval": 0.02}
    return FilesSource(FilesConfig.model_validate({**config, **options}))


def old(path: Path, seconds: float = 60) -> None:
    """Make a file look written `seconds` ago."""
    when = time.time() - seconds
    os.utime(path, (when, when))


async def read(src: FilesSource, timeout: float = 3) -> tuple[Message, Ack]:
    return await asyncio.wait_for(src.read(), timeout)


async def nothing(src: FilesSource) -> bool:
    try:
        await asyncio.wait_for(src.read(), QUIET)
    except TimeoutError:
        return True
    return False


def archived(folder: Path) -> list[str]:
    today = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d")
    return sorted(p.name for p in (folder / "archive" / today).glob("*"))


def test_a_file_being_written_is_taken_only_once_settled(inbox: Path) -> None:
    async def scenario() -> bytes:
        src = source(inbox, settle_time=0.5)
        await src.connect()
        try:
            reading = asyncio.ensure_future(src.read())
            with (inbox / "orders.csv").open("wb") as out:
                for chunk in (b"order,qty\n", b"A-1,5\n", b"A-2,", b"7\n"):
                    out.write(chunk)
                    out.flush()
                    await asyncio.sleep(0.2)  # less than the settle time between writes
                    assert not reading.done(), "a file still being written is not taken"
            message, ack = await asyncio.wait_for(reading, 3)
            await ack()
        finally:
            await src.close()
        return message.payload

    assert json.loads(asyncio.run(scenario())) == [{"order": "A-1", "qty": "5"}, {"order": "A-2", "qty": "7"}]
    assert archived(inbox) == ["orders.csv"] and not (inbox / "orders.csv").exists()


def test_rename_into_place_and_ready_markers(inbox: Path) -> None:
    async def scenario() -> None:
        src = source(inbox, ready_marker=".done")
        await src.connect()
        try:
            (inbox / "lots.json.part").write_bytes(b'{"lot": 1}')
            (inbox / "other.json").write_bytes(b'{"lot": 2}')
            old(inbox / "other.json")
            assert await nothing(src), "a temporary name is never taken, and a file waits for its marker"
            os.replace(inbox / "lots.json.part", inbox / "lots.json")
            (inbox / "lots.json.done").touch()
            message, ack = await read(src)
            assert (message.payload, message.topic) == (b'{"lot": 1}', "lots.json")
            await ack()
            assert await nothing(src)
        finally:
            await src.close()

    asyncio.run(scenario())
    assert archived(inbox) == ["lots.json", "lots.json.done"]
    assert sorted(p.name for p in inbox.iterdir() if p.is_file()) == ["other.json"]


def test_csv_rows_are_messages_and_the_file_is_archived_when_all_are_kept(inbox: Path) -> None:
    (inbox / "moves.csv").write_bytes("lot;qty;note\nL1;5;\nL2;7\n\nL3;9;dry\n".encode("utf-8-sig"))

    async def scenario() -> list[Message]:
        src = source(inbox, split="record", csv_delimiter=";")
        await src.connect()
        try:
            got = [await read(src) for _ in range(3)]
            for _, ack in got[:2]:
                await ack()
            assert (inbox / "moves.csv").exists(), "archived only when every row is kept"
            await got[2][1]()
        finally:
            await src.close()
        return [m for m, _ in got]

    messages = asyncio.run(scenario())
    assert [json.loads(m.payload) for m in messages] == [
        {"lot": "L1", "qty": "5", "note": ""},
        {"lot": "L2", "qty": "7", "note": None},
        {"lot": "L3", "qty": "9", "note": "dry"},
    ]
    digest = messages[0].headers["file-digest"]
    assert [m.message_id for m in messages] == [f"moves.csv@{digest[:39]}/{i}" for i in range(3)]
    assert messages[2].headers["record-index"] == "2"
    assert archived(inbox) == ["moves.csv"]


def test_a_file_that_cannot_be_read_goes_to_the_error_folder_with_the_reason(inbox: Path) -> None:
    (inbox / "a-bad.csv").write_bytes(b"lot,qty\nL1,5,extra\n")
    (inbox / "b-bad.xml").write_bytes(b"<open>")
    (inbox / "c-good.json").write_bytes(b"[1, 2]")
    for name in ("a-bad.csv", "b-bad.xml", "c-good.json"):
        old(inbox / name, 60 - ord(name[0]))  # oldest first: a, b, c

    async def scenario() -> Message:
        src = source(inbox)
        await src.connect()
        try:
            message, ack = await read(src)
            await ack()
        finally:
            await src.close()
        return message

    assert asyncio.run(scenario()).topic == "c-good.json", "the source goes on after a bad file"
    errors = inbox / "error"
    assert sorted(p.name for p in errors.iterdir()) == [
        "a-bad.csv",
        "a-bad.csv.error.txt",
        "b-bad.xml",
        "b-bad.xml.error.txt",
    ]
    reason = (errors / "a-bad.csv.error.txt").read_text()
    assert "reason: cannot read it as csv: line 2: 3 fields, but the header has 2" in reason
    assert "not well-formed XML" in (errors / "b-bad.xml.error.txt").read_text()


def test_ack_error_leaves_the_file_to_be_read_again_and_move_to_error(inbox: Path) -> None:
    (inbox / "x.json").write_bytes(b'[{"a": 1}, {"a": 2}]')

    async def scenario() -> None:
        src = source(inbox, split="record")
        await src.connect()
        try:
            (first, ack1), (_, ack2) = await read(src), await read(src)
            await ack1()
            await ack2(RuntimeError("inbox write failed"))
            again = [await read(src) for _ in range(2)]
            assert again[0][0].message_id == first.message_id, "the same ids, for the inbox"
            where = await src.move_to_error(again[1][0], "mapping failed: no lot")
            assert where == inbox / "error" / "x.json"
            for _, ack in again:
                await ack()  # ignored: the file is in the error folder now
        finally:
            await src.close()

    asyncio.run(scenario())
    assert "reason: mapping failed: no lot" in (inbox / "error" / "x.json.error.txt").read_text()
    assert archived(inbox) == []


def test_b2mml_documents_say_what_they_are(inbox: Path, shared_dir: Path) -> None:
    examples = shared_dir / "data" / "b2mml" / "examples-V0401"
    for example in ("PES-20121229115825-53107.xml", "LOT-20121210170718-0001L0001.xml"):
        shutil.copy(examples / example, inbox / example)
    old(inbox / "PES-20121229115825-53107.xml", 70)

    async def scenario() -> list[Message]:
        src = source(inbox, patterns=["*.xml"])
        await src.connect()
        try:
            got = [await read(src) for _ in range(2)]
        finally:
            await src.close()
        return [m for m, _ in got]

    performance, lot = asyncio.run(scenario())
    assert performance.payload == (examples / "PES-20121229115825-53107.xml").read_bytes(), "as it is"
    assert {
        k: performance.headers[k] for k in ("content-type", "b2mml-type", "b2mml-verb", "b2mml-version")
    } == {
        "content-type": "application/xml",
        "b2mml-type": "ProductionPerformance",
        "b2mml-verb": "Sync",
        "b2mml-version": "V0401",
    }
    assert lot.headers["b2mml-type"] == "MaterialInformation"


def test_check_says_what_is_wrong(inbox: Path) -> None:
    (inbox / "waiting.csv").write_bytes(b"a\n1\n")
    ok = asyncio.run(source(inbox).check())
    assert ok.ok and "1 file(s) waiting" in ok.detail
    missing = asyncio.run(source(inbox / "nope").check())
    assert not missing.ok and missing.detail == f"folder {inbox / 'nope'} does not exist"
    with pytest.raises(FileNotFoundError, match="does not exist"):
        asyncio.run(source(inbox / "nope").connect())


def test_b2mml_files_through_the_runner_become_events_and_are_archived(
    inbox: Path, tmp_path: Path, shared_dir: Path
) -> None:
    """MESA's real examples dropped in a folder, read by the runner, mapped by the shipped B2MML templates:
    a TransformationEvent and two ObjectEvents stored; the material definition that no mapping takes is
    dead-lettered (never dropped); every file leaves the folder for the archive."""
    examples = shared_dir / "data" / "b2mml" / "examples-V0401"
    names = [
        "PES-20121229115825-53107.xml",
        "LOT-20121210170718-0001L0001.xml",
        "INV-20121210175555-0001L0001_01.xml",
        "MAT-20121210170256-CRBN0001.xml",
    ]
    for name in names:
        shutil.copy(examples / name, inbox / name)
    engine = open_engine(f"sqlite:///{tmp_path / 'store.db'}")
    mappings = MappingSet(
        [load_mapping(f"template:b2mml-{t}") for t in ("production-performance", "material-lot")]
    )
    runner = Runner(
        engine,
        {"drop": source(inbox, patterns=["*.xml"])},
        mappings,
        RunnerSettings(batch_size=10, batch_wait=0.001, rescan_interval=0.02),
    )
    try:
        asyncio.run(
            run_until(runner, lambda: runner.counters.total.processed == 4 and len(archived(inbox)) == 4)
        )
        assert count_events(engine) == 3
        assert runner.counters.total.dead_lettered == 1
        assert counts(engine) == {"pending": 0, "done": 3, "dead": 1}
    finally:
        engine.dispose()
    assert archived(inbox) == sorted(names)
