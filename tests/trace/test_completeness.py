"""Completeness checks: one hand-built genealogy per rule that triggers exactly that finding, a clean one
with none, the plant of a finding, the score, and `lotline check`."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
import sqlalchemy as sa
import typer
from typer.testing import CliRunner

from lotline.commands.check import check as check_command
from lotline.trace.completeness import RULES, CompletenessReport, check
from tests.trace.builders import (
    BATCH,
    CUSTOMER_A,
    FINISHED,
    PLANT,
    RAW,
    RAW_2,
    SITE_1,
    SITE_2,
    SUPPLIER,
    at,
    declared_in_error,
    index_of,
    lot,
    pack,
    qty,
    receive,
    serial,
    ship,
    sscc,
    transform,
    unpack,
)

SUPPLIER_2 = "urn:epc:id:pgln:0614141.00002"


def named(event: dict[str, Any], number: int) -> dict[str, Any]:
    """The event with a known eventID, so a finding's events can be checked."""
    return {**event, "eventID": f"urn:uuid:00000000-0000-4000-8000-{number:012d}"}


def eid(number: int) -> str:
    return f"urn:uuid:00000000-0000-4000-8000-{number:012d}"


def at_site(event: dict[str, Any], site: str) -> dict[str, Any]:
    return {**event, "readPoint": {"id": site}}


def checked(engine: sa.Engine, *events: dict[str, Any]) -> CompletenessReport:
    return check(index_of(engine, *events))


def only(report: CompletenessReport, rule: str) -> dict[str, Any]:
    """The one finding of the report, which must be of `rule`."""
    assert [f.rule for f in report.findings] == [rule], [f.as_json() for f in report.findings]
    assert report.counts == {r: int(r == rule) for r in RULES}
    return report.findings[0].as_json()


def test_a_clean_genealogy_has_no_findings_and_scores_100(engine: sa.Engine) -> None:
    pallet = sscc(1)
    report = checked(
        engine,
        receive([RAW], SUPPLIER, at(1)),
        receive([RAW_2], SUPPLIER_2, at(1, 9)),
        transform([RAW, RAW_2], [BATCH], at(2)),
        transform([BATCH], [FINISHED], at(3)),
        pack(pallet, [FINISHED], at(4)),
        ship([pallet], CUSTOMER_A, at(5)),
    )
    assert report.findings == [] and not report.has_errors
    assert report.counts == dict.fromkeys(RULES, 0)
    assert report.score == 100 and report.events_checked == 6
    doc = report.as_json()
    assert doc["plants"] == [
        {
            "plant": SITE_1,
            "score": 100,
            "objects": 5,
            "objects_with_findings": 0,
            "events": 5,  # the packing event has no location
            "errors": 0,
            "warnings": 0,
        }
    ]


def test_output_with_no_inputs(engine: sa.Engine) -> None:
    # EPCIS allows one side of a transformation per event when they share a transformationID: the input
    # side never arrived.
    outputs = transform([], [BATCH], at(2), transformation_id="urn:example:mix:1")
    finding = only(checked(engine, named(outputs, 1)), "output-without-inputs")
    assert finding["id"] == BATCH and finding["plant"] == SITE_1 and finding["severity"] == "error"
    assert finding["events"] == [eid(1)]
    assert "no inputs" in finding["message"] and "inputEPCList" in finding["message"]


def test_a_transformation_whose_inputs_arrive_in_another_event_has_inputs(engine: sa.Engine) -> None:
    outputs = transform([], [BATCH], at(2, 10), transformation_id="urn:example:mix:1")
    inputs = transform([RAW], [], at(2), transformation_id="urn:example:mix:1")
    report = checked(engine, receive([RAW], SUPPLIER, at(1)), outputs, inputs)
    assert report.findings == []


def test_shipped_item_with_no_production_or_receipt(engine: sa.Engine) -> None:
    unit = serial("000030", 1)
    finding = only(checked(engine, named(ship([unit], CUSTOMER_A, at(4)), 1)), "shipped-without-history")
    assert finding["id"] == unit and finding["plant"] == SITE_1 and finding["severity"] == "error"
    assert finding["events"] == [eid(1)]
    assert CUSTOMER_A in finding["message"]


def test_what_a_shipped_pallet_held_needs_a_history_too(engine: sa.Engine) -> None:
    pallet = sscc(1)
    report = checked(
        engine, named(pack(pallet, [FINISHED], at(3)), 1), named(ship([pallet], CUSTOMER_A, at(4)), 2)
    )
    finding = only(report, "shipped-without-history")
    assert finding["id"] == FINISHED
    assert finding["events"] == [eid(2), eid(1)], "the shipment, then the packing that put the lot there"


def test_receipt_with_no_supplier_party(engine: sa.Engine) -> None:
    receipt = receive([RAW], SUPPLIER, at(1))
    receipt["sourceList"] = [{"type": "location", "source": "urn:epc:id:sgln:0614141.00001.0"}]
    finding = only(checked(engine, named(receipt, 1)), "receipt-without-supplier")
    assert finding["id"] == RAW and finding["plant"] == SITE_1 and finding["events"] == [eid(1)]
    assert "sourceList" in finding["message"]


def test_receipt_with_no_source_list_at_all(engine: sa.Engine) -> None:
    receipt = receive([RAW, RAW_2], SUPPLIER, at(1))
    del receipt["sourceList"]
    finding = only(checked(engine, receipt), "receipt-without-supplier")
    assert finding["id"] == RAW and "(and 1 more)" in finding["message"]


def test_container_shipped_empty_after_unpacking(engine: sa.Engine) -> None:
    pallet = sscc(1)
    report = checked(
        engine,
        named(pack(pallet, [FINISHED], at(5)), 1),
        named(unpack(pallet, None, at(6)), 2),
        named(ship([pallet], CUSTOMER_A, at(7)), 3),
    )
    finding = only(report, "container-shipped-empty")
    assert finding["id"] == pallet and finding["plant"] == SITE_1
    assert finding["events"] == [eid(3), eid(2)]
    assert "emptied" in finding["message"]


def test_container_shipped_without_any_packing(engine: sa.Engine) -> None:
    finding = only(checked(engine, ship([sscc(3)], CUSTOMER_A, at(7))), "container-shipped-empty")
    assert finding["id"] == sscc(3) and "no packing was ever recorded" in finding["message"]


def test_transformation_input_never_received(engine: sa.Engine) -> None:
    finding = only(checked(engine, named(transform([RAW], [BATCH], at(2)), 1)), "input-never-received")
    assert finding["id"] == RAW and finding["plant"] == SITE_1 and finding["events"] == [eid(1)]
    assert "receiv" in finding["message"]


def test_consumed_before_it_was_received(engine: sa.Engine) -> None:
    report = checked(
        engine, named(receive([RAW], SUPPLIER, at(3)), 1), named(transform([RAW], [BATCH], at(2)), 2)
    )
    finding = only(report, "out-of-time-order")
    assert finding["id"] == RAW and finding["severity"] == "warning"
    assert finding["events"] == [eid(2), eid(1)], "the early use, then the receipt"
    assert "consumed" in finding["message"] and "before it was received" in finding["message"]
    assert not report.has_errors


def test_packed_before_it_was_produced(engine: sa.Engine) -> None:
    pallet = sscc(1)
    report = checked(
        engine,
        receive([RAW], SUPPLIER, at(1)),
        named(pack(pallet, [BATCH], at(2)), 1),
        named(transform([RAW], [BATCH], at(3)), 2),
    )
    finding = only(report, "out-of-time-order")
    assert finding["id"] == BATCH and finding["events"] == [eid(1), eid(2)]
    assert "packed" in finding["message"] and "before it was produced" in finding["message"]


def test_lots_received_on_a_pallet_the_supplier_packed_earlier_are_in_order(engine: sa.Engine) -> None:
    pallet = sscc(2)
    report = checked(
        engine,
        pack(pallet, [RAW, RAW_2], at(1)),  # the supplier's packing, from its despatch advice
        receive([pallet], SUPPLIER, at(2)),
        transform([RAW, RAW_2], [BATCH], at(3)),
    )
    assert report.findings == []


def test_lot_consumed_beyond_what_was_received(engine: sa.Engine) -> None:
    report = checked(
        engine,
        named(receive([RAW], SUPPLIER, at(1)), 1),  # 100 KGM
        named(transform([RAW], [BATCH], at(2)), 2),  # 100 KGM consumed
        named(transform([RAW], [FINISHED], at(3)), 3),  # 100 KGM more
    )
    finding = only(report, "mass-balance")
    assert finding["id"] == RAW and finding["severity"] == "warning"
    assert finding["events"][0] == eid(3), "the consumption that went over comes first"
    assert set(finding["events"]) == {eid(1), eid(2), eid(3)}
    assert "200 KGM consumed" in finding["message"] and "only 100 KGM" in finding["message"]


def test_consumption_within_weighing_tolerance_is_balanced(engine: sa.Engine) -> None:
    use = transform([RAW], [BATCH], at(2))
    use["inputQuantityList"] = [qty(RAW, 100.4)]  # received 100 KGM: within 0.5 %
    index = index_of(engine, receive([RAW], SUPPLIER, at(1)), use)
    assert check(index).findings == []
    assert [f.rule for f in check(index, tolerance=0).findings] == ["mass-balance"]


def test_quantities_in_another_unit_are_not_compared(engine: sa.Engine) -> None:
    use = transform([RAW], [BATCH], at(2))
    use["inputQuantityList"] = [qty(RAW, 500, "LBR")]
    assert checked(engine, receive([RAW], SUPPLIER, at(1)), use).findings == []


def test_a_transfer_between_own_sites_is_not_received_twice(engine: sa.Engine) -> None:
    transfer = ship([], PLANT, at(2))
    del transfer["epcList"]
    transfer["quantityList"] = [qty(RAW)]
    use = at_site(transform([RAW], [BATCH], at(4)), SITE_2)
    use["inputQuantityList"] = [qty(RAW, 150)]
    report = checked(
        engine,
        receive([RAW], SUPPLIER, at(1)),
        transfer,
        receive([RAW], PLANT, at(3), site=SITE_2),
        use,
    )
    finding = only(report, "mass-balance")
    assert finding["plant"] == SITE_2 and "150 KGM consumed" in finding["message"]


def test_events_declared_in_error_are_excluded(engine: sa.Engine) -> None:
    wrong = transform([], [BATCH], at(2), transformation_id="urn:example:mix:1")
    assert checked(engine, wrong).counts["output-without-inputs"] == 1
    report = checked(engine, declared_in_error(wrong, at(3)), receive([RAW], SUPPLIER, at(3)))
    assert report.findings == []


def test_plant_from_an_sgln_extension_a_digital_link_and_a_movement_location(engine: sa.Engine) -> None:
    report = checked(
        engine,
        at_site(transform([RAW], [BATCH], at(2)), "urn:epc:id:sgln:4012345.00001.7"),
        at_site(transform([RAW_2], [FINISHED], at(2)), "https://id.gs1.org/414/4012345000023"),
        {
            k: v
            for k, v in receive([lot("000003", "SALT-1")], "", at(1), site=SITE_2).items()
            if k not in ("readPoint", "sourceList")
        },
    )
    plants = {f.id: f.plant for f in report.findings}
    site_2_dl = "https://id.gs1.org/414/4012345000023"
    assert plants == {RAW: SITE_1, RAW_2: site_2_dl, lot("000003", "SALT-1"): site_2_dl}
    assert [p.plant for p in report.plants] == [SITE_1, site_2_dl], "as first captured, without extension"


def test_score_per_plant_is_the_share_of_identifiers_without_findings(engine: sa.Engine) -> None:
    unknown = lot("000004", "VANILLA-1")
    report = checked(
        engine,
        receive([RAW], SUPPLIER, at(1)),
        transform([RAW], [BATCH], at(2)),
        receive([RAW_2], SUPPLIER, at(1), site=SITE_2),
        at_site(transform([RAW_2, unknown], [FINISHED], at(2)), SITE_2),
    )
    assert [f.id for f in report.findings] == [unknown]
    scores = {p.plant: (p.score, p.objects, p.objects_with_findings, p.errors) for p in report.plants}
    assert scores == {SITE_1: (100, 2, 0, 0), SITE_2: (66, 3, 1, 1)}
    assert report.score == 80  # 4 of 5 identifiers clean

    only_2 = report.filtered(plant="https://id.gs1.org/414/4012345000023")
    assert [p.plant for p in only_2.plants] == [SITE_2] and len(only_2.findings) == 1
    assert report.filtered(plant=SITE_1).findings == []
    assert report.filtered(rule="mass-balance").findings == []
    with pytest.raises(KeyError, match="plants: "):
        report.filtered(plant="urn:epc:id:sgln:4012345.00009.0")


# --- lotline check -----------------------------------------------------------------------------------------


def _cli() -> typer.Typer:
    app = typer.Typer()
    app.callback()(lambda: None)
    app.command("check")(check_command)
    return app


def test_lotline_check_exits_1_on_errors_and_prints_json(engine: sa.Engine, db_url: str) -> None:
    if not db_url.startswith("sqlite"):
        pytest.skip("the command is exercised on SQLite")
    runner = CliRunner()
    index_of(engine, receive([RAW], SUPPLIER, at(1)), transform([RAW], [BATCH], at(2)))
    clean = runner.invoke(_cli(), ["check", "--db", db_url])
    assert clean.exit_code == 0, clean.output
    assert "no findings" in clean.stdout and "score 100" in clean.stdout

    index_of(engine, ship([sscc(9)], CUSTOMER_A, at(3)))
    result = runner.invoke(_cli(), ["check", "--db", db_url, "--format", "json"])
    assert result.exit_code == 1
    doc = orjson.loads(result.stdout)
    assert set(doc) == {"score", "events_checked", "counts", "plants", "findings"}
    assert doc["counts"]["container-shipped-empty"] == 1
    assert [f["id"] for f in doc["findings"]] == [sscc(9)]

    table = runner.invoke(_cli(), ["check", "--db", db_url, "--rule", "container-shipped-empty"])
    assert table.exit_code == 1 and "container-shipped-empty" in table.stdout
    warnings_only = runner.invoke(_cli(), ["check", "--db", db_url, "--rule", "mass-balance"])
    assert warnings_only.exit_code == 0

    other_plant = runner.invoke(
        _cli(), ["check", "--db", db_url, "--plant", "urn:epc:id:sgln:4012345.00009.0"]
    )
    assert other_plant.exit_code == 2 and "4012345.00001.0" in other_plant.stderr, "names the known plants"
    bad = runner.invoke(_cli(), ["check", "--db", db_url, "--rule", "nonsense"])
    assert bad.exit_code == 2 and "unknown rule" in bad.stderr
    help_ = runner.invoke(_cli(), ["check", "--help"])
    assert help_.exit_code == 0 and "Example" in help_.stdout


def test_the_check_gives_way_to_traces_and_finds_the_same(
    engine: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The check runs for minutes at a million events beside traces in a server: its long loops pause every
    `PACE` items at `TraceIndex.give_way` (which waits while a trace runs) and hold off full garbage
    collections. Pausing changes nothing it finds."""
    import gc

    from lotline.trace import pacing

    events = [
        receive([RAW], SUPPLIER, at(1)),
        transform([RAW, lot("000077", "NEVER")], [BATCH], at(2)),
        pack(sscc(5), [FINISHED], at(4)),
        ship([sscc(5), sscc(6)], CUSTOMER_A, at(5)),
    ]
    index = index_of(engine, *events)
    plain = check(index)
    monkeypatch.setattr(pacing, "PACE", 1)
    pauses: list[tuple[int, int, int]] = []
    monkeypatch.setattr(index, "give_way", lambda: pauses.append(gc.get_threshold()))
    paused = check(index)
    assert len(pauses) > 10 and all(threshold[2] > 1_000_000 for threshold in pauses)
    assert gc.get_threshold()[2] < 1_000_000
    assert paused.as_json() == plain.as_json()
    assert paused.findings
