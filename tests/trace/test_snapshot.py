"""The array snapshot behind forward traces and backward receipts: what is captured after it is taken is
seen at once, declarations silence what it holds, and bad data (containment cycles) cannot trap a walk."""

from __future__ import annotations

import sqlalchemy as sa

from tests.trace.builders import (
    CUSTOMER_A,
    CUSTOMER_B,
    RAW,
    SUPPLIER,
    at,
    declared_in_error,
    ids,
    index_of,
    pack,
    party_ids,
    receive,
    serial,
    ship,
    sscc,
    transform,
)

CASE, PALLET = sscc(1), sscc(2)
S1, S2 = serial("000030", 1), serial("000030", 2)


def test_events_captured_after_the_snapshot_extend_forward_traces(engine: sa.Engine) -> None:
    index = index_of(engine, receive([RAW], SUPPLIER, at(1)), transform([RAW], [S1], at(2)))
    assert ids(index.trace("forward", RAW)) == {S1}  # the snapshot is taken here
    packing = pack(CASE, [S1], at(3))
    index_of(engine, transform([RAW], [S2], at(2, 9)), packing, ship([CASE], CUSTOMER_A, at(4)))
    result = index.trace("forward", RAW)
    assert ids(result) == {S1, S2, CASE}
    assert party_ids(result) == {CUSTOMER_A}
    index_of(engine, declared_in_error(packing, at(5)))
    result = index.trace("forward", RAW)
    assert ids(result) == {S1, S2}
    assert party_ids(result) == set()


def test_a_declaration_silences_an_event_the_snapshot_holds(engine: sa.Engine) -> None:
    making = transform([RAW], [S1], at(2))
    index = index_of(engine, making, pack(CASE, [S1], at(3)), ship([CASE], CUSTOMER_A, at(4)))
    assert ids(index.trace("forward", RAW)) == {S1, CASE}
    index_of(engine, declared_in_error(making, at(5)))
    result = index.trace("forward", RAW)
    assert ids(result) == set()
    assert party_ids(result) == set()


def test_receipts_found_through_containers_follow_later_packing(engine: sa.Engine) -> None:
    index = index_of(engine, transform([RAW], [S1], at(2)), pack(CASE, [S1], at(3)))
    assert party_ids(index.trace("backward", S1)) == set()
    index_of(engine, pack(PALLET, [CASE], at(4)), receive([PALLET], CUSTOMER_B, at(5)))
    assert party_ids(index.trace("backward", S1)) == {CUSTOMER_B}


def test_a_containment_cycle_does_not_trap_a_walk(engine: sa.Engine) -> None:
    index = index_of(
        engine,
        transform([RAW], [S1], at(2)),
        pack(CASE, [S1], at(3)),
        pack(PALLET, [CASE], at(4)),
        pack(CASE, [PALLET], at(5)),  # wrong, but captured: the case inside the pallet inside the case
        receive([PALLET], SUPPLIER, at(6)),
        ship([CASE], CUSTOMER_A, at(7)),
    )
    forward = index.trace("forward", RAW)
    assert ids(forward) == {S1, CASE, PALLET}
    assert party_ids(forward) == {CUSTOMER_A}
    assert party_ids(index.trace("backward", S1)) == {SUPPLIER}
