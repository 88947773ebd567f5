"""The FDA FSMA 204 sortable spreadsheet: rows, CSV, XLSX (read back with openpyxl), and `lotline recall`."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from pathlib import Path

import openpyxl
import orjson
import sqlalchemy as sa
import typer
from typer.testing import CliRunner

from lotline.commands.recall import recall
from lotline.store.engine import open_engine
from lotline.trace.fsma import (
    FSMA_COLUMNS,
    fsma_rows,
    product_description,
    traceability_lot_code,
    write_csv,
    write_xlsx,
)
from lotline.trace.recall import recall_impact
from tests.trace.builders import CUSTOMER_A, CUSTOMER_B, PLANT, SITE_1, SUPPLIER
from tests.trace.test_recall import NOPE, PALLET_1, PALLET_2, RAW, load

FDA_COLUMNS = [
    "Traceability Lot Code",
    "Traceability Lot Code Source",
    "Product Description",
    "Quantity",
    "Unit of Measure",
    "Critical Tracking Event",
    "Event Date",
    "Event Time",
    "Location Description",
    "Ship-From Location",
    "Ship-To Location",
    "Reference Document Type",
    "Reference Document Number",
]

SUGAR, COCOA, MIX, BARS, UNITS = (
    f"GTIN 0401234500{code} (no product master data)" for code in ("0016", "0023", "0108", "0207", "0306")
)
UNIT_1, UNIT_2 = "urn:epc:id:sgtin:4012345.000030.1", "urn:epc:id:sgtin:4012345.000030.2"
ON_SITE_1 = "urn:epc:id:sgln:4012345.00001.0"
FROM_US = f"{SITE_1} ({PLANT})"


def test_lot_codes_and_product_descriptions() -> None:
    assert traceability_lot_code("https://id.gs1.org/01/04012345000016/10/SUGAR%2F1", "x") == "SUGAR/1"
    dl = "https://example.com/01/04012345000306/10/L7/21/9"  # a serial captured with its lot
    assert traceability_lot_code("https://id.gs1.org/01/04012345000306/21/9", dl) == "L7"
    assert traceability_lot_code("https://id.gs1.org/01/04012345000306/21/9", UNIT_1) == UNIT_1
    assert product_description("https://id.gs1.org/01/04012345000016/10/A", RAW) == SUGAR
    assert product_description("https://id.gs1.org/00/340123450000000016", "x").startswith(
        "Logistic unit SSCC"
    )
    assert product_description("urn:example:batch:7", "urn:example:batch:7").endswith(
        "(no product master data)"
    )


def test_one_row_per_critical_tracking_event_and_lot(engine: sa.Engine) -> None:
    index, eid = load(engine)
    rows = fsma_rows(recall_impact(index, [RAW]))
    assert list(FSMA_COLUMNS[: len(FDA_COLUMNS)]) == FDA_COLUMNS
    assert all(list(row) == list(FSMA_COLUMNS) for row in rows)
    sugar_source, cocoa_source = SUPPLIER, "urn:epc:id:pgln:0614141.00002"
    made_here = ON_SITE_1
    bt = ("EPCIS event",)
    asn = ("Despatch Advice (ASN)", "ASN1")
    expected = [
        # TLC, source, product, quantity, uom, CTE, date, time, location, from, to, (type, number), in/out, unit
        ("SUGAR-1", sugar_source, SUGAR, 100, "KGM", "Receiving", 1, "08:00", ON_SITE_1, SUPPLIER, ON_SITE_1,
         ("Purchase Order", "PO-77"), None, None),
        ("SUGAR-1", sugar_source, SUGAR, 60, "KGM", "Transformation", 2, "08:00", ON_SITE_1, None, None,
         (*bt, eid["mixing"]), "input", None),
        ("COCOA-7", cocoa_source, COCOA, 100, "KGM", "Transformation", 2, "08:00", ON_SITE_1, None, None,
         (*bt, eid["mixing"]), "input", None),
        ("MIX-100", made_here, MIX, 100, "KGM", "Transformation", 2, "08:00", ON_SITE_1, None, None,
         (*bt, eid["mixing"]), "output", None),
        ("MIX-100", made_here, MIX, 90, "KGM", "Transformation", 3, "08:00", ON_SITE_1, None, None,
         (*bt, eid["finishing"]), "input", None),
        ("BAR-100", made_here, BARS, 100, "KGM", "Transformation", 3, "08:00", ON_SITE_1, None, None,
         (*bt, eid["finishing"]), "output", None),
        ("MIX-100", made_here, MIX, 10, "KGM", "Transformation", 3, "10:00", ON_SITE_1, None, None,
         (*bt, eid["units"]), "input", None),
        (UNIT_1, made_here, UNITS, 1, "EA", "Transformation", 3, "10:00", ON_SITE_1, None, None,
         (*bt, eid["units"]), "output", None),
        (UNIT_2, made_here, UNITS, 1, "EA", "Transformation", 3, "10:00", ON_SITE_1, None, None,
         (*bt, eid["units"]), "output", None),
        ("BAR-100", made_here, BARS, 40, "KGM", "Shipping", 6, "08:00", ON_SITE_1, FROM_US, CUSTOMER_A,
         ("Despatch Advice (ASN); Bill of Lading", "ASN1; BOL-9"), None, PALLET_1),
        (UNIT_1, made_here, UNITS, 1, "EA", "Shipping", 6, "08:00", ON_SITE_1, FROM_US, CUSTOMER_A,
         ("Despatch Advice (ASN); Bill of Lading", "ASN1; BOL-9"), None, PALLET_1),
        ("BAR-100", made_here, BARS, 30, "KGM", "Shipping", 6, "10:00", ON_SITE_1, FROM_US, CUSTOMER_B,
         asn, None, PALLET_2),
        (UNIT_2, made_here, UNITS, 1, "EA", "Shipping", 7, "08:00", ON_SITE_1, FROM_US, PLANT, asn, None, None),
    ]  # fmt: skip
    got = [
        (
            r["Traceability Lot Code"],
            r["Traceability Lot Code Source"],
            r["Product Description"],
            r["Quantity"],
            r["Unit of Measure"],
            r["Critical Tracking Event"],
            r["Event Date"].day,
            r["Event Time"][:5],
            r["Location Description"],
            r["Ship-From Location"],
            r["Ship-To Location"],
            (r["Reference Document Type"], r["Reference Document Number"]),
            r["Transformation Input/Output"],
            r["Logistic Unit"],
        )
        for r in rows
    ]
    assert got == expected
    assert all(r["Event Date"].month == 3 and r["Event Time"].endswith("+01:00") for r in rows)
    assert rows[0]["EPCIS Event ID"] == eid["receipt"] and rows[0]["Identifier"] == RAW


def test_csv_has_the_fsma_columns_and_one_line_per_row(engine: sa.Engine, tmp_path: Path) -> None:
    index, _ = load(engine)
    rows = fsma_rows(recall_impact(index, [RAW]))
    target = tmp_path / "recall.csv"
    write_csv(rows, target)
    raw = target.read_bytes()
    assert raw.startswith("\ufeff".encode()), "a byte order mark, so spreadsheets read UTF-8"
    lines = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert lines[0] == list(FSMA_COLUMNS)
    assert len(lines) == len(rows) + 1 == 14
    first = dict(zip(lines[0], lines[1], strict=True))
    assert first["Traceability Lot Code"] == "SUGAR-1"
    assert (first["Quantity"], first["Event Date"], first["Event Time"]) == (
        "100",
        "2026-03-01",
        "08:00:00+01:00",
    )
    assert first["Transformation Input/Output"] == ""


def test_xlsx_opens_with_a_frozen_bold_header_filters_and_real_dates(
    engine: sa.Engine, tmp_path: Path
) -> None:
    index, _ = load(engine)
    report = recall_impact(index, [RAW, NOPE])
    rows = fsma_rows(report)
    target = tmp_path / "recall.xlsx"
    write_xlsx(rows, target, report)
    book = openpyxl.load_workbook(target)
    assert book.sheetnames == ["FSMA 204", "About"]
    sheet = book["FSMA 204"]
    header = [cell.value for cell in sheet[1]]
    assert header == list(FSMA_COLUMNS)
    assert all(cell.font.bold for cell in sheet[1])
    assert sheet.max_row == len(rows) + 1 == 14
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == f"A1:Q{len(rows) + 1}"
    assert sheet.column_dimensions["C"].width > 20
    when = sheet.cell(row=2, column=header.index("Event Date") + 1)
    assert when.is_date and when.value == datetime(2026, 3, 1)
    assert sheet.cell(row=2, column=header.index("Quantity") + 1).value == 100
    assert sheet.cell(row=2, column=1).value == "SUGAR-1"
    about = [[c.value for c in row] for row in book["About"].iter_rows()]
    assert ["Suspect", RAW] in about and ["Not found", NOPE] in about
    assert {row[0] for row in about} >= set(FSMA_COLUMNS)


def _cli() -> typer.Typer:
    app = typer.Typer()
    app.callback()(lambda: None)
    app.command("recall")(recall)
    return app


def test_lotline_recall_writes_json_csv_and_xlsx(db_url: str, tmp_path: Path) -> None:
    engine = open_engine(db_url)
    load(engine)
    engine.dispose()
    runner, app = CliRunner(), _cli()
    result = runner.invoke(app, ["recall", "--help"])
    assert result.exit_code == 0 and "Example" in result.stdout

    result = runner.invoke(app, ["recall", RAW, "--db", db_url])
    assert result.exit_code == 0, result.stderr
    assert orjson.loads(result.stdout)["suspects"][0]["id"] == RAW
    assert "3 shipments" in result.stderr

    result = runner.invoke(app, ["recall", RAW, "--db", db_url, "--format", "csv"])
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[0] == ",".join(FSMA_COLUMNS)
    assert len(result.stdout.splitlines()) == 14

    result = runner.invoke(app, ["recall", RAW, "--db", db_url, "--format", "xlsx"])
    assert result.exit_code == 2 and "--output" in result.stderr

    target = tmp_path / "out.xlsx"
    result = runner.invoke(app, ["recall", RAW, NOPE, "--db", db_url, "--format", "xlsx", "-o", str(target)])
    assert result.exit_code == 1, "an unknown id is reported, and the status says so"
    assert "not found" in result.stderr and NOPE in result.stderr
    sheet = openpyxl.load_workbook(target)["FSMA 204"]
    assert sheet.max_row == 14 and isinstance(sheet["G2"].value, date)

    result = runner.invoke(app, ["recall", NOPE, "--db", db_url])
    assert result.exit_code == 1 and result.stdout == ""
    result = runner.invoke(app, ["recall", "urn:epc:id:sgtin:12", "--db", db_url])
    assert result.exit_code == 2 and "error" in result.stderr
