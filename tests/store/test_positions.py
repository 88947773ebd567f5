"""Source positions (migration 0005) on SQLite and PostgreSQL: insert, replace, read back, forget."""

from __future__ import annotations

import sqlalchemy as sa

from lotline.store.positions import delete_position, load_position, save_position


def test_a_position_is_stored_replaced_and_forgotten(engine: sa.Engine) -> None:
    assert load_position(engine, "lims") is None
    save_position(engine, "lims", {"columns": ["wm", "id"], "values": [["int", 1], ["int", 2]]})
    save_position(engine, "lims", {"columns": ["wm", "id"], "values": [["int", 1], ["int", 3]]})
    save_position(engine, "mes", {"columns": ["id"], "values": [["int", 9]]})
    assert load_position(engine, "lims") == {"columns": ["wm", "id"], "values": [["int", 1], ["int", 3]]}
    assert delete_position(engine, "lims") and not delete_position(engine, "lims")
    assert load_position(engine, "lims") is None
    assert load_position(engine, "mes") == {"columns": ["id"], "values": [["int", 9]]}
