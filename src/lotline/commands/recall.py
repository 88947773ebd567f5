"""`lotline recall`: recall impact of suspect lots or serials, as JSON or the FDA FSMA 204 spreadsheet."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from lotline.commands import DbOption, err, open_db


class RecallFormat(StrEnum):
    json = "json"
    csv = "csv"
    xlsx = "xlsx"


def recall(
    ids: Annotated[
        list[str],
        typer.Argument(
            help="Suspect lots, serials or containers: EPC URNs or GS1 Digital Links.", show_default=False
        ),
    ],
    db: DbOption = None,
    output_format: Annotated[
        RecallFormat,
        typer.Option(
            "--format",
            help="json (the recall report), or csv / xlsx: the FDA FSMA 204 electronic sortable spreadsheet "
            "(one row per critical tracking event and lot).",
        ),
    ] = RecallFormat.json,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", "-o", help="Write to this file instead of stdout (required for xlsx).", dir_okay=False
        ),
    ] = None,
) -> None:
    """Recall impact of suspect lots or serials: the finished lots, serials and containers made from them,
    the shipments that carried them (when, from where, to whom, despatch advice / bill of lading), how much is
    on hand per site, in transit or delivered, and the suppliers they came from.

    Exits with status 1 if an id is not known (the others are still reported), 2 on bad input.

    Example: lotline recall urn:epc:class:lgtin:4012345.000001.SUGAR-1 --format xlsx --output recall.xlsx
    """
    import orjson

    from lotline.errors import IdentifierError
    from lotline.trace.fsma import fsma_rows, write_csv, write_xlsx
    from lotline.trace.index import TraceIndex
    from lotline.trace.recall import recall_impact

    if output_format is RecallFormat.xlsx and output is None:
        err.print("[red]error:[/red] --format xlsx writes a binary workbook: give --output FILE.xlsx")
        raise typer.Exit(2)
    engine = open_db(db)
    try:
        report = recall_impact(TraceIndex(engine), ids, spreadsheet=output_format is not RecallFormat.json)
    except IdentifierError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    finally:
        engine.dispose()
    missing = [s["id"] for s in report.suspects if not s["found"]]
    for root in missing:
        err.print(f"[yellow]not found:[/yellow] no stored event names {root}")
    if not report.found:
        raise typer.Exit(1)
    if output_format is RecallFormat.json:
        text = orjson.dumps(report.as_json(), option=orjson.OPT_INDENT_2).decode() + "\n"
        if output is None:
            sys.stdout.write(text)
        else:
            output.write_text(text, encoding="utf-8")
    elif output_format is RecallFormat.csv:
        write_csv(fsma_rows(report), output or sys.stdout)
    else:
        assert output is not None
        write_xlsx(fsma_rows(report), output, report)
    items = sum(len(group) for group in report.items.values())
    where = f" to {output}" if output else ""
    err.print(
        f"recall of {len(ids) - len(missing)} id(s): {items} affected items, {len(report.shipments)} shipments, "
        f"{len(report.ctes)} critical tracking events{where}"
    )
    if missing:
        raise typer.Exit(1)
