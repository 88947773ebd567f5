"""The trace index keeps up with what any process stores: a trace sees every event committed before it,
whichever connection or process committed it, and reads nothing again when nothing was committed."""

from __future__ import annotations

import sqlalchemy as sa

from lotline.store.engine import open_engine
from tests.trace.builders import (
    CUSTOMER_A,
    RAW,
    SUPPLIER,
    at,
    ids,
    index_of,
    receive,
    serial,
    ship,
    transform,
)

S1, S2 = serial("000030", 1), serial("000030", 2)


def test_a_trace_sees_what_another_process_stored_since_the_last_one(engine: sa.Engine, db_url: str) -> None:
    index = index_of(engine, receive([RAW], SUPPLIER, at(1)), transform([RAW], [S1], at(2)))
    assert ids(index.trace("forward", RAW)) == {S1}
    assert index.refresh() == 0  # nothing committed since: nothing read

    other = open_engine(db_url)  # e.g. `lotline import` in another process
    try:
        index_of(other, transform([RAW], [S2], at(3)), ship([S2], CUSTOMER_A, at(4)))
    finally:
        other.dispose()
    assert ids(index.trace("forward", RAW)) == {S1, S2}
    assert index.refresh() == 0
    index.close()
