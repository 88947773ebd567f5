"""Per-event provenance columns and the operational event table, on SQLite and PostgreSQL."""

from __future__ import annotations

import sqlalchemy as sa

from lotline.store.engine import writer
from lotline.store.events import Provenance, write_events
from lotline.store.operational import OperationalQuery, list_operational, store_on
from lotline.store.provenance import event_provenance
from lotline.store.schema import events
from tests.pipeline.helpers import event_payload


def prepared(*serials: int) -> list:  # type: ignore[type-arg]
    from lotline.connectors import Message
    from lotline.pipeline.stages import epcis_json, run_stages

    out = []
    for serial in serials:
        result = run_stages(Message("t", str(serial), event_payload(serial)), epcis_json)
        assert isinstance(result, list)
        out.extend(result)
    return out


def test_one_provenance_for_the_batch_leaves_the_detail_columns_empty(engine: sa.Engine) -> None:
    write_events(engine, prepared(1, 2), Provenance("import", source_message_id="f.jsonld"), 10)
    with engine.connect() as conn:
        rows = conn.execute(sa.select(events.c.interface, events.c.source, events.c.mapping)).all()
    assert [tuple(r) for r in rows] == [("import", None, None)] * 2


def test_per_row_provenance_is_stored_per_event(engine: sa.Engine) -> None:
    events_ = prepared(1, 2, 3)
    per_row = [
        Provenance("connector", None, None, f"c/{i}", "line-1", "plant-a", 1_000 + i, "m@2", f"MO-{i}")
        for i in range(3)
    ]
    result = write_events(engine, events_, Provenance("connector"), 5_000, per_row=per_row)
    assert result.stored == [0, 1, 2]
    fourth = prepared(4)
    ids = [e.event_id for e in [*events_, *fourth]]
    again = write_events(engine, [events_[0], *fourth], Provenance("connector"), 6_000, per_row=per_row[:2])
    assert (again.stored, again.duplicates) == ([1], [0])  # per_row follows the positions of the input
    [record] = event_provenance(engine, ids[3])
    assert record["sourceMessageId"] == "c/1" and record["correlationId"] == "MO-1"
    [record] = event_provenance(engine, ids[2])
    assert record == {
        "eventID": ids[2],
        "eventHash": record["eventHash"],
        "errorDeclaration": False,
        "interface": "connector",
        "source": "line-1",
        "sourceMessageId": "c/2",
        "plant": "plant-a",
        "receivedTime": "1970-01-01T00:00:00.001Z",
        "recordTime": "1970-01-01T00:00:00.005Z",
        "mapping": "m@2",
        "correlationId": "MO-2",
        "captureId": None,
        "keyId": None,
    }


def envelope(n: int, **extra: str) -> dict[str, object]:
    return {
        "specversion": "1.0",
        "id": f"env-{n}",
        "source": "line-1",
        "type": "io.lotline.equipment.state.v1",
        "time": f"2026-12-01T08:0{n}:00Z",
        "subject": "FILLER-1",
        "data": {"equipment": "FILLER-1", "state": "running", "time": f"2026-12-01T08:0{n}:00Z"},
        **extra,
    }


def test_operational_events_are_stored_once_and_listed_with_filters(engine: sa.Engine) -> None:
    prov = Provenance(
        "connector", source_message_id="c/1", plant="plant-a", mapping="m@1", correlation_id="MO-1"
    )
    batch = [envelope(1), envelope(2, plant="plant-b", correlationid="MO-2"), envelope(1)]
    with writer(engine).begin() as conn:
        result = store_on(conn, batch, [prov] * 3, 99)
    assert (result.stored, result.duplicates) == ([0, 1], [2])
    with writer(engine).begin() as conn:
        assert store_on(conn, [envelope(2)], [prov], 100).duplicates == [0]
    everything = list_operational(engine, OperationalQuery())
    assert [e["id"] for _, _, e in everything] == ["env-1", "env-2"]
    first = everything[0][2]
    assert (first["plant"], first["correlationid"]) == ("plant-a", "MO-1")  # filled in from provenance
    assert first["lotline"]["mapping"] == "m@1" and first["data"]["state"] == "running"
    assert [e["id"] for _, _, e in list_operational(engine, OperationalQuery(plant="plant-b"))] == ["env-2"]
    assert [e["id"] for _, _, e in list_operational(engine, OperationalQuery(correlation_id="MO-1"))] == [
        "env-1"
    ]
    since = everything[1][0]
    assert [e["id"] for _, _, e in list_operational(engine, OperationalQuery(since=since))] == ["env-2"]
    page = list_operational(engine, OperationalQuery(limit=1))
    rest = list_operational(engine, OperationalQuery(after=(page[0][0], page[0][1])))
    assert [e["id"] for _, _, e in rest] == ["env-2"]
