"""The importer stores the same events whether batches are prepared here or in worker processes."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
import sqlalchemy as sa

from lotline.importer import find_files, import_files
from lotline.sim import write_documents
from lotline.store.schema import event_epcs, events
from tests.api.test_capture import document, object_event


@pytest.fixture(scope="module")
def docs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("docs")
    write_documents(folder, 3_000, events_per_file=1_000, seed=7)
    bad = object_event(1, eventTime="2024-02-30T10:00:00Z")
    (folder / "zz-mixed.jsonld").write_bytes(document(object_event(2), bad))
    return folder


def _snapshot(engine: sa.Engine) -> tuple[list[tuple[str, str]], int]:
    with engine.connect() as conn:
        rows = conn.execute(sa.select(events.c.event_hash, events.c.body).order_by(events.c.id)).all()
        n_epcs = conn.execute(sa.select(sa.func.count()).select_from(event_epcs)).scalar_one()
    bodies = [
        (h, orjson.dumps({k: v for k, v in orjson.loads(b).items() if k != "recordTime"}).decode())
        for h, b in rows
    ]
    return bodies, n_epcs


@pytest.mark.parametrize("workers", [0, 2])
def test_import_in_batches_with_and_without_workers(engine: sa.Engine, docs: Path, workers: int) -> None:
    summary = import_files(engine, find_files([docs]), batch_size=400, workers=workers)
    assert (summary.files, summary.events, summary.stored, summary.duplicates) == (4, 3_002, 3_001, 0)
    assert [(Path(r.file).name, r.index) for r in summary.rejections] == [("zz-mixed.jsonld", 1)]
    bodies, n_epcs = _snapshot(engine)
    assert len(bodies) == 3_001 and n_epcs > 3_000
    again = import_files(engine, find_files([docs]), batch_size=400, workers=workers)
    assert again.duplicates == 3_001 and again.stored == 0


@pytest.mark.parametrize("whole_file", [64 << 20, 0], ids=["workers read files", "parent reads files"])
def test_workers_store_exactly_what_the_parent_would(tmp_path: Path, docs: Path, whole_file: int) -> None:
    from lotline.store.engine import open_engine

    results = []
    for workers in (0, 2):
        engine = open_engine(f"sqlite:///{tmp_path}/w{workers}.db")
        summary = import_files(
            engine, find_files([docs]), batch_size=300, workers=workers, whole_file=whole_file
        )
        assert (summary.files, summary.stored, summary.rejected) == (4, 3_001, 1)
        results.append(_snapshot(engine))
        engine.dispose()
    assert results[0] == results[1]


@pytest.mark.parametrize("whole_file", [64 << 20, 0], ids=["workers read files", "parent reads files"])
@pytest.mark.parametrize("workers", [0, 2])
def test_an_unreadable_file_is_rejected_whole_and_the_rest_imported(
    tmp_path: Path, docs: Path, workers: int, whole_file: int
) -> None:
    from lotline.store.engine import open_engine

    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a-broken.json").write_text('{"type": "EPCISDocument", "epcisBody": ')
    (folder / "b-good.jsonld").write_bytes(document(object_event(5)))
    (folder / "c-empty.json").write_bytes(document())
    engine = open_engine(f"sqlite:///{tmp_path}/x.db")
    seen: list[tuple[str, int, int]] = []
    summary = import_files(
        engine,
        find_files([folder]),
        workers=workers,
        whole_file=whole_file,
        on_progress=lambda f, n, b: seen.append((f.name, n, b)),
    )
    assert (summary.files, summary.stored) == (3, 1)
    ((file, index, reason),) = [(Path(r.file).name, r.index, r.reason) for r in summary.rejections]
    assert (file, index) == ("a-broken.json", None) and "JSON" in reason
    assert [name for name, _, _ in seen] == ["a-broken.json", "b-good.jsonld", "c-empty.json"]
    engine.dispose()


def test_a_first_import_still_finds_its_own_duplicates_and_conflicts(tmp_path: Path) -> None:
    """Into a new database the importer knows what it stored itself (OwnWrites) instead of asking the
    database: duplicates across batches and files, and an eventID used twice, are still found."""
    from lotline.store.engine import open_engine

    folder = tmp_path / "in"
    folder.mkdir()
    first = [object_event(n) for n in range(10)]
    (folder / "a.jsonld").write_bytes(document(*first))
    (folder / "b.jsonld").write_bytes(document(first[3], object_event(20), first[7]))
    taken = object_event(30, eventID="urn:uuid:6f5a2b1c-0000-4000-8000-000000000001")
    reused = object_event(31, eventID="urn:uuid:6f5a2b1c-0000-4000-8000-000000000001")
    (folder / "c.jsonld").write_bytes(document(taken, object_event(32), reused))
    engine = open_engine(f"sqlite:///{tmp_path}/own.db")
    summary = import_files(engine, find_files([folder]), batch_size=4, workers=0)
    assert (summary.events, summary.stored, summary.duplicates) == (16, 13, 2)
    assert [(Path(r.file).name, r.index) for r in summary.rejections] == [("c.jsonld", 2)]
    assert "already used" in summary.rejections[0].reason
    engine.dispose()


def test_events_stored_by_someone_else_during_a_first_import_are_duplicates(tmp_path: Path) -> None:
    """When another writer stores events between two batches of an import into a new database, the importer
    stops trusting what it stored itself and asks the database again."""
    from lotline.pipeline.capture import PROCEED, capture_parts, split_document
    from lotline.store.engine import open_engine
    from lotline.store.events import Provenance

    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.jsonld").write_bytes(document(*[object_event(n) for n in range(4)]))
    later = [object_event(n) for n in range(4, 8)]
    (folder / "b.jsonld").write_bytes(document(*later))
    engine = open_engine(f"sqlite:///{tmp_path}/other.db")
    elsewhere = split_document(orjson.loads(document(later[1], later[2])))

    def meanwhile(path: Path, count: int, done: int) -> None:
        if path.name == "a.jsonld":
            capture_parts(engine, elsewhere, Provenance("rest"), PROCEED)

    summary = import_files(engine, find_files([folder]), batch_size=4, workers=0, on_progress=meanwhile)
    assert (summary.events, summary.stored, summary.duplicates, summary.rejected) == (8, 6, 2, 0)
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(events)).scalar_one() == 8
    engine.dispose()
