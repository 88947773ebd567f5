"""Hand-built genealogies, one per rule of EPCIS 2.0 / CBV 2.0 traceability."""

from __future__ import annotations

import sqlalchemy as sa

from tests.trace.builders import (
    BATCH,
    CUSTOMER_A,
    CUSTOMER_B,
    FINISHED,
    PLANT,
    RAW,
    RAW_2,
    SITE_2,
    SUPPLIER,
    at,
    attach,
    declared_in_error,
    ids,
    index_of,
    lot,
    pack,
    party_ids,
    receive,
    serial,
    ship,
    sscc,
    transform,
    unpack,
)


def test_forward_and_backward_through_transformations(engine: sa.Engine) -> None:
    index = index_of(
        engine,
        receive([RAW], SUPPLIER, at(1)),
        receive([RAW_2], "urn:epc:id:pgln:0614141.00002", at(1, 9)),
        transform([RAW, RAW_2], [BATCH], at(2)),
        transform([BATCH], [FINISHED, serial("000030", 1)], at(3)),
        ship([serial("000030", 1)], CUSTOMER_A, at(4)),
    )
    forward = index.trace("forward", RAW)
    assert ids(forward) == {BATCH, FINISHED, serial("000030", 1)}
    assert {i["id"]: i["depth"] for i in forward.items}[FINISHED] == 2
    assert party_ids(forward) == {CUSTOMER_A}
    assert RAW_2 not in ids(forward), "a sibling input is not downstream of the root"

    backward = index.trace("backward", serial("000030", 1))
    assert ids(backward) == {BATCH, RAW, RAW_2}
    assert party_ids(backward) == {SUPPLIER, "urn:epc:id:pgln:0614141.00002"}
    assert all(p["relation"] == "source" for p in backward.parties)


def test_every_item_carries_the_events_that_put_it_there(engine: sa.Engine) -> None:
    index = index_of(engine, transform([RAW], [BATCH], at(2)), transform([BATCH], [FINISHED], at(3)))
    result = index.trace("forward", RAW)
    path = {i["id"]: i["path"] for i in result.items}
    assert len(path[BATCH]) == 1 and len(path[FINISHED]) == 2
    assert path[FINISHED][0] == path[BATCH][0]
    assert set(result.events) >= set(path[FINISHED])


def _grouped(order: list[int]) -> list[dict[str, object]]:
    first = transform([RAW], [], at(2), transformation_id="urn:example:mix:77")
    first.pop("outputEPCList", None)
    second = transform([RAW_2], [BATCH], at(2, 10), transformation_id="urn:example:mix:77")
    events = [first, second]
    return [events[i] for i in order]


def test_events_sharing_a_transformation_id_form_one_transformation_in_either_order(
    engine: sa.Engine,
) -> None:
    for order in ([0, 1], [1, 0]):
        with engine.begin() as conn:
            for table in ("event_epcs", "event_refs", "events"):
                conn.execute(sa.text(f"DELETE FROM {table}"))
        index = index_of(engine, *_grouped(order))  # type: ignore[arg-type]
        assert ids(index.trace("forward", RAW)) == {BATCH}, order
        assert ids(index.trace("backward", BATCH)) == {RAW, RAW_2}, order


def test_a_lot_unpacked_before_its_pallet_shipped_did_not_go_with_it(engine: sa.Engine) -> None:
    pallet = sscc(1)
    index = index_of(
        engine,
        pack(pallet, [FINISHED, lot("000020", "BAR-101")], at(5)),
        unpack(pallet, [FINISHED], at(6)),
        ship([pallet], CUSTOMER_A, at(7)),
    )
    forward = index.trace("forward", FINISHED)
    assert pallet in ids(forward), "the pallet held the lot for a while"
    assert CUSTOMER_A not in party_ids(forward)
    assert CUSTOMER_A in party_ids(index.trace("forward", lot("000020", "BAR-101")))


def test_a_delete_without_children_empties_the_pallet(engine: sa.Engine) -> None:
    pallet = sscc(2)
    index = index_of(
        engine,
        pack(pallet, [FINISHED], at(5)),
        unpack(pallet, None, at(6)),
        ship([pallet], CUSTOMER_A, at(7)),
    )
    assert CUSTOMER_A not in party_ids(index.trace("forward", FINISHED))


def test_nested_containers_carry_their_contents(engine: sa.Engine) -> None:
    case, pallet = sscc(10), sscc(11)
    unit = serial("000030", 7)
    index = index_of(
        engine,
        receive([RAW], SUPPLIER, at(1)),
        transform([RAW], [unit], at(2)),
        pack(case, [unit], at(3)),
        pack(pallet, [case], at(4)),
        ship([pallet], CUSTOMER_B, at(5)),
    )
    forward = index.trace("forward", RAW)
    assert ids(forward) == {unit, case, pallet}
    assert {i["id"]: i["kind"] for i in forward.items} == {
        unit: "serial",
        case: "container",
        pallet: "container",
    }
    assert party_ids(forward) == {CUSTOMER_B}

    backward = index.trace("backward", pallet)
    assert ids(backward) == {case, unit, RAW}
    assert party_ids(backward) == {SUPPLIER}


def test_backward_from_a_pallet_takes_only_what_it_held_when_it_shipped(engine: sa.Engine) -> None:
    pallet = sscc(12)
    early, late = serial("000030", 1), serial("000030", 2)
    index = index_of(
        engine,
        pack(pallet, [early], at(3)),
        unpack(pallet, [early], at(4)),
        pack(pallet, [late], at(5)),
        ship([pallet], CUSTOMER_A, at(6)),
    )
    assert ids(index.trace("backward", pallet)) == {late}


def test_a_transfer_between_own_sites_continues_the_trace(engine: sa.Engine) -> None:
    pallet, pallet_2 = sscc(20), sscc(21)
    unit = serial("000030", 9)
    index = index_of(
        engine,
        transform([RAW], [unit], at(2)),
        pack(pallet, [unit], at(3)),
        ship([pallet], PLANT, at(4)),
        receive([pallet], PLANT, at(5), site=SITE_2),
        unpack(pallet, None, at(6)),
        pack(pallet_2, [unit], at(7)),
        ship([pallet_2], CUSTOMER_B, at(8), site=SITE_2),
    )
    forward = index.trace("forward", RAW)
    assert {pallet, pallet_2} <= ids(forward)
    assert party_ids(forward) == {PLANT, CUSTOMER_B}


def test_urn_and_digital_link_are_one_identity_and_come_back_as_captured(engine: sa.Engine) -> None:
    raw_dl = "https://id.gs1.org/01/04012345000016/10/SUGAR-1"  # = lot("000001", "SUGAR-1")
    index = index_of(engine, transform([raw_dl], [BATCH], at(2)), transform([RAW], [FINISHED], at(3)))
    assert ids(index.trace("forward", RAW)) == {BATCH, FINISHED}
    assert ids(index.trace("forward", raw_dl)) == {BATCH, FINISHED}
    assert ids(index.trace("backward", FINISHED)) == {raw_dl}, "first captured form"


def test_an_event_declared_in_error_stops_contributing_and_its_correction_does(engine: sa.Engine) -> None:
    wrong = transform([RAW], [FINISHED], at(2))
    index = index_of(engine, wrong)
    assert ids(index.trace("forward", RAW)) == {FINISHED}
    corrective = transform([RAW], [BATCH], at(2, 11))
    index_of(engine, declared_in_error(wrong, at(3)), corrective)
    assert ids(index.trace("forward", RAW)) == {BATCH}


def test_max_depth_and_time_window(engine: sa.Engine) -> None:
    from lotline.epcis.timefmt import parse_time

    index = index_of(engine, transform([RAW], [BATCH], at(2)), transform([BATCH], [FINISHED], at(9)))
    assert ids(index.trace("forward", RAW, max_depth=1)) == {BATCH}
    assert ids(index.trace("forward", RAW, until=parse_time(at(5)))) == {BATCH}
    assert ids(index.trace("forward", RAW, since=parse_time(at(5)))) == set()


def test_an_unknown_root_is_reported_not_found(engine: sa.Engine) -> None:
    index = index_of(engine, transform([RAW], [BATCH], at(2)))
    assert index.trace("forward", lot("000099", "NOPE")).found is False


def test_new_events_are_picked_up_by_the_next_trace(engine: sa.Engine) -> None:
    index = index_of(engine, transform([RAW], [BATCH], at(2)))
    assert ids(index.trace("forward", RAW)) == {BATCH}
    index_of(engine, transform([BATCH], [FINISHED], at(3)))
    assert ids(index.trace("forward", RAW)) == {BATCH, FINISHED}


def test_removing_a_quantity_of_a_lot_leaves_the_rest_on_the_pallet(engine: sa.Engine) -> None:
    from tests.trace.builders import qty

    pallet = sscc(30)
    partial = unpack(pallet, None, at(6))
    partial["childQuantityList"] = [qty(FINISHED, 5)]
    index = index_of(engine, pack(pallet, [FINISHED], at(5)), partial, ship([pallet], CUSTOMER_A, at(7)))
    assert CUSTOMER_A in party_ids(index.trace("forward", FINISHED))


def test_removing_a_logger_does_not_empty_the_pallet(engine: sa.Engine) -> None:
    pallet = sscc(31)
    logger = "urn:epc:id:giai:4012345.LOGGER1"
    index = index_of(
        engine,
        pack(pallet, [FINISHED], at(5)),
        attach(pallet, logger, at(5, 9)),
        attach(pallet, None, at(6)),
        ship([pallet], CUSTOMER_A, at(7)),
    )
    assert CUSTOMER_A in party_ids(index.trace("forward", FINISHED))


def test_a_logger_on_a_suspect_pallet_is_listed_but_does_not_carry_it_to_the_next_pallet(
    engine: sa.Engine,
) -> None:
    """A data logger rides on one pallet, is taken off, and rides on another pallet of a different lot. From
    the first pallet, forward: the logger is listed (with the association that put it there), but the
    second pallet, its lot and its customer are not affected; backward: the logger is listed, and the
    second pallet's supplier is not a source."""
    first, second, logger = sscc(40), sscc(41), "urn:epc:id:giai:4012345.LOGGER7"
    index = index_of(
        engine,
        receive([RAW_2], SUPPLIER, at(1)),
        pack(first, [FINISHED], at(5)),
        attach(first, logger, at(5, 9)),
        ship([first], CUSTOMER_A, at(6)),
        attach(first, None, at(7)),
        pack(second, [RAW_2], at(8)),
        attach(second, logger, at(8, 9)),
        ship([second], CUSTOMER_B, at(9)),
    )
    forward = index.trace("forward", first)
    assert ids(forward) == {FINISHED, logger}
    assert party_ids(forward) == {CUSTOMER_A}
    (item,) = [i for i in forward.items if i["id"] == logger]
    assert item["depth"] == 1 and len(item["path"]) == 1  # the association
    backward = index.trace("backward", first)
    assert logger in ids(backward) and second not in ids(backward)
    assert SUPPLIER not in party_ids(backward)


def test_forward_from_a_logger_finds_every_pallet_it_rode_on(engine: sa.Engine) -> None:
    """A suspect device itself (a logger that failed) is walked: the pallets it was attached to, and
    where they went."""
    first, second, logger = sscc(42), sscc(43), "urn:epc:id:giai:4012345.LOGGER8"
    index = index_of(
        engine,
        attach(first, logger, at(5)),
        ship([first], CUSTOMER_A, at(6)),
        attach(first, None, at(7)),
        attach(second, logger, at(8)),
        ship([second], CUSTOMER_B, at(9)),
    )
    forward = index.trace("forward", logger)
    assert {first, second} <= ids(forward)
    assert party_ids(forward) == {CUSTOMER_A, CUSTOMER_B}


def test_a_product_reached_otherwise_is_walked_even_if_also_attached(engine: sa.Engine) -> None:
    """Listing an attached child does not stop it being walked when the trace reaches it as product."""
    pallet = sscc(44)
    index = index_of(
        engine,
        attach(pallet, BATCH, at(4)),
        pack(pallet, [RAW], at(4, 9)),
        transform([RAW], [BATCH], at(5)),
        transform([BATCH], [FINISHED], at(6)),
    )
    assert {RAW, BATCH, FINISHED} <= ids(index.trace("forward", pallet))
