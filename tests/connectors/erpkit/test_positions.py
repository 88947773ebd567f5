"""Positions: ties on the change time, the overlap window for late commits, and the file store."""

from __future__ import annotations

from pathlib import Path

import pytest

from lotline.connectors.erpkit import FilePositions, MemoryPositions, Position
from lotline.connectors.erpkit.positions import shift

T = "2026-12-01 08:00:00"


def test_ties_on_one_timestamp_are_told_apart_by_key() -> None:
    position = Position(T).advance((T, "7")).advance((T, "3"))
    assert position.covers(("2026-12-01 07:59:59", "99"))
    assert position.covers((T, "3")) and position.covers((T, "7"))
    assert not position.covers((T, "5"))  # same second, not seen yet: still read
    assert position.advance(("2026-12-01 08:00:01", "1")) == Position(
        "2026-12-01 08:00:01", frozenset({"1@2026-12-01 08:00:01"})
    )


def test_the_overlap_window_lets_a_late_commit_through_and_forgets_old_keys() -> None:
    position = Position(T).advance((T, "1"), 60).advance(("2026-12-01 08:00:30", "2"), 60)
    late = ("2026-12-01 07:59:50", "9")  # committed after 08:00:30, stamped when its transaction began
    assert position.covers(late) and not position.covers(late, 60)
    assert position.covers((T, "1"), 60)  # seen within the window: skipped
    moved = position.advance(("2026-12-01 08:05:00", "3"), 60)
    assert moved.keys == {"3@2026-12-01 08:05:00"}
    assert moved.covers((T, "1"), 60)  # older than the window


def test_a_bare_since_has_no_window() -> None:
    assert Position(T).covers(("2026-12-01 07:59:59", "1"), 60)
    assert not Position(T).covers((T, "1"), 60)


@pytest.mark.parametrize(
    ("time", "moved"),
    [
        ("2026-12-01 08:00:00", "2026-12-01 07:59:00"),
        ("2026-12-01 08:00:00.123456", "2026-12-01 07:59:00.123456"),
        ("2026-12-01T08:00:00.250Z", "2026-12-01T07:59:00.250Z"),
    ],
)
def test_shift_keeps_the_erp_layout(time: str, moved: str) -> None:
    assert shift(time, 60) == moved and shift(time, 0) == time


def test_file_positions_survive_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "state" / "odoo.json"
    FilePositions(path).set("odoo", "lots", Position("t1", frozenset({"a@t1", "b@t1"})))
    FilePositions(path).set("odoo", "boms", Position("t2"))
    again = FilePositions(path)
    assert again.get("odoo", "lots") == Position("t1", frozenset({"a@t1", "b@t1"}))
    assert again.get("odoo", "boms") == Position("t2") and again.get("sap", "lots") is None
    assert MemoryPositions().get("odoo", "lots") is None
