"""`lotline edi`: read X12 856/997 and EDIFACT DESADV documents, answer them with 997/CONTRL, import them.

Registered in `lotline.cli` with `app.add_typer(edi_app, name="edi")`.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import orjson
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from lotline.commands import DbOption, err, open_db

if TYPE_CHECKING:  # `lotline.edi` is imported by the commands that use it: every CLI command would load it
    from lotline.edi.errors import EdiError

edi_app = typer.Typer(
    help="EDI: inbound X12 856 ship notices and EDIFACT DESADV become EPCIS receiving events; 997 and "
    "CONTRL acknowledgments.\n\nExample: lotline edi import asn-0042.edi --db sqlite:///var/lotline.db",
    no_args_is_help=True,
)

FileArgument = Annotated[Path, typer.Argument(help="An X12 (ISA...) or EDIFACT (UNA/UNB...) interchange.")]
OffsetOption = Annotated[
    str, typer.Option("--tz", help="Time zone offset of the document's dates (EDI dates carry none).")
]


class Format(StrEnum):
    json = "json"
    epcis = "epcis"


def _read(path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8-sig", errors="replace")
    except OSError as exc:
        err.print(f"[red]error:[/red] cannot read {path}: {exc.strerror or exc}")
        raise typer.Exit(2) from None


def _fail(path: Path, exc: EdiError) -> NoReturn:
    err.print(f"[red]error:[/red] {escape(str(path))} is not a valid EDI document:")
    for problem in exc.problems[:20]:
        err.print(f"  {escape(str(problem))}")
    raise typer.Exit(1)


def _print_json(data: Any) -> None:
    sys.stdout.write(orjson.dumps(data, option=orjson.OPT_INDENT_2).decode() + "\n")


@edi_app.command("parse")
def parse(
    file: FileArgument,
    output: Annotated[
        Format,
        typer.Option("--format", help="json: the canonical ship notices; epcis: the receiving events."),
    ] = Format.json,
    offset: OffsetOption = "+00:00",
) -> None:
    """Read a document and print what it says; a malformed one exits 1 naming the segment and element.

    Example: lotline edi parse asn-0042.edi --format epcis
    """
    from lotline.edi.documents import describe, ship_notices
    from lotline.edi.errors import EdiError
    from lotline.edi.receiving import receiving_events
    from lotline.epcis.document import STANDARD_CONTEXT
    from lotline.epcis.timefmt import format_time, now_micros

    text = _read(file)
    try:
        if output is Format.json:
            _print_json(describe(text))
            return
        events = [event for notice in ship_notices(text) for event in receiving_events(notice, offset)]
    except EdiError as exc:
        _fail(file, exc)
    _print_json(
        {
            "@context": [STANDARD_CONTEXT],
            "type": "EPCISDocument",
            "schemaVersion": "2.0",
            "creationDate": format_time(now_micros()),
            "epcisBody": {"eventList": events},
        }
    )


@edi_app.command("ack")
def ack(
    file: FileArgument,
    control: Annotated[
        int, typer.Option(help="First control number to use (interchange, group, set).", min=1)
    ] = 1,
    at: Annotated[
        str | None, typer.Option(help="Date-time of the acknowledgment (ISO 8601; default now).")
    ] = None,
) -> None:
    """Print the 997 (X12) or CONTRL (EDIFACT) acknowledging a document: accepted, or rejected with the
    segment and element in error.

    Example: lotline edi ack asn-0042.edi --control 1042 > asn-0042.997
    """
    from lotline.edi.documents import acknowledgment
    from lotline.edi.errors import EdiError
    from lotline.edi.x12_write import ControlNumbers

    text = _read(file)
    try:
        now = datetime.fromisoformat(at) if at else datetime.now(UTC)
    except ValueError:
        err.print(f"[red]error:[/red] --at {at!r} is not an ISO 8601 date-time")
        raise typer.Exit(2) from None
    try:
        sys.stdout.write(acknowledgment(text, ControlNumbers(control), now))
    except EdiError as exc:
        _fail(file, exc)


@edi_app.command("import")
def import_(
    files: Annotated[list[Path], typer.Argument(help="X12 856 or EDIFACT DESADV interchanges.")],
    db: DbOption = None,
    offset: OffsetOption = "+00:00",
) -> None:
    """Store the receiving events of inbound ship notices (through the normal capture path) and print a
    summary. Re-importing a document stores nothing new (duplicates). Exits 1 if any file was rejected.

    Example: lotline edi import inbox/*.edi --db sqlite:///var/lotline.db --tz +01:00
    """
    from lotline.edi.capture import capture_ship_notices
    from lotline.edi.documents import ship_notices
    from lotline.edi.errors import EdiError

    engine = open_db(db)
    table = Table("file", "notice", "stored", "duplicates", "rejected", "warnings")
    notes: list[str] = []
    failed = False
    for path in files:
        name = escape(str(path))
        try:
            notices = ship_notices(_read(path))
            results = capture_ship_notices(engine, notices, message_id=str(path), offset=offset)
        except EdiError as exc:
            failed = True
            table.add_row(name, "-", "0", "0", "file", "")
            notes.append(f"[red]{name}[/red]: {escape(str(exc))}")
            continue
        if not results:
            table.add_row(name, "-", "0", "0", "0", "")
            notes.append(f"{name}: no ship notice (856 or DESADV) in it")
        for result in results:
            outcome = result.outcome
            failed = failed or bool(outcome.errors)
            number = escape(result.notice.number)
            table.add_row(
                name,
                number,
                str(outcome.stored),
                str(outcome.duplicates),
                str(outcome.rejected),
                str(len(result.warnings)),
            )
            notes += [f"[red]{name} {number}[/red]: {escape(e['reason'])}" for e in outcome.errors[:5]]
            notes += [f"{name} {number}: {escape(w)}" for w in result.warnings[:5]]
    out = Console(soft_wrap=True)
    out.print(table)
    for note in notes:
        out.print(note)
    if failed:
        raise typer.Exit(1)
