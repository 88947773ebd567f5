"""`lotline dlq`: list, inspect, replay and discard dead letters (every replay and discard is audited).

Registered in `lotline.cli` with `app.add_typer(dlq_app, name="dlq")`.
"""

from __future__ import annotations

import getpass
import sys
from enum import StrEnum
from typing import Annotated, Any

import orjson
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from lotline.commands import DbOption, err, open_db

dlq_app = typer.Typer(
    help="Dead letters: messages the pipeline could not take, kept whole for replay.\n\n"
    "Example: lotline dlq list --stage map",
    no_args_is_help=True,
)


class StateFilter(StrEnum):
    open = "open"
    replayed = "replayed"
    discarded = "discarded"
    all = "all"


class Format(StrEnum):
    table = "table"
    json = "json"


SourceOption = Annotated[str | None, typer.Option(help="Only this source (connector name).")]
StageOption = Annotated[
    str | None,
    typer.Option(
        help="Only this stage: map, validate or store (the pipeline), deliver (outbound routes and "
        "subscriptions, `lotline deliver` / `serve --config`) or send (a sink wrapper)."
    ),
]
FormatOption = Annotated[Format, typer.Option("--format", help="table or json.")]


@dlq_app.command("list")
def list_(
    db: DbOption = None,
    source: SourceOption = None,
    stage: StageOption = None,
    state: Annotated[StateFilter, typer.Option(help="open, replayed, discarded or all.")] = StateFilter.open,
    limit: Annotated[int, typer.Option(help="How many, newest first.", min=1)] = 50,
    output: FormatOption = Format.table,
) -> None:
    """List dead letters, newest first.

    Example: lotline dlq list --source line-2 --stage validate --db sqlite:///var/lotline.db
    """
    from lotline.store.dlq import LetterState, list_letters

    chosen = None if state is StateFilter.all else LetterState(state.value)
    letters = list_letters(open_db(db), source=source, stage=stage, state=chosen, limit=limit)
    if output is Format.json:
        sys.stdout.write(orjson.dumps([r.to_json(payload=False) for r in letters]).decode() + "\n")
        return
    table = Table(show_header=True, title=f"{len(letters)} dead letters ({state.value})")
    for column in ("id", "created", "source", "message id", "stage", "attempts", "state", "error"):
        table.add_column(column, overflow="fold")
    for r in letters:
        table.add_row(
            str(r.id),
            _time(r.created_at),
            escape(r.source),
            escape(r.message_id),
            r.stage,
            str(r.attempts),
            r.state.value,
            escape(r.error[:120]),
        )
    Console().print(table)


@dlq_app.command("show")
def show(
    letter_id: Annotated[int, typer.Argument(help="The id shown by `lotline dlq list`.")],
    db: DbOption = None,
    output: FormatOption = Format.table,
) -> None:
    """Show one dead letter in full, with its original payload.

    Example: lotline dlq show 42 --format json
    """
    from lotline.errors import NotFound
    from lotline.store.dlq import get_letter

    try:
        letter = get_letter(open_db(db), letter_id)
    except NotFound as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(1) from None
    doc = letter.to_json(payload=True)
    if output is Format.json:
        sys.stdout.write(orjson.dumps(doc, option=orjson.OPT_INDENT_2).decode() + "\n")
        return
    table = Table(show_header=False, title=f"dead letter {letter.id}")
    table.add_column("field", style="bold")
    table.add_column("value", overflow="fold")
    for name, value in doc.items():
        table.add_row(name, escape(value if isinstance(value, str) else orjson.dumps(value).decode()))
    Console().print(table)


@dlq_app.command("replay")
def replay_(
    letter_ids: Annotated[list[int] | None, typer.Argument(help="Dead letter ids; or use --all.")] = None,
    db: DbOption = None,
    all_open: Annotated[
        bool, typer.Option("--all", help="Every open letter matching --source/--stage.")
    ] = False,
    source: SourceOption = None,
    stage: StageOption = None,
) -> None:
    """Put dead letters back into the inbox for the pipeline to process again.

    The running pipeline takes them up with the mapping in force now: fix the cause first (the mapping,
    the master data), then replay.

    Example: lotline dlq replay 41 42 43        or: lotline dlq replay --all --stage map
    """
    from lotline.errors import NotFound, StateConflict
    from lotline.store.dlq import replay

    engine = open_db(db)
    ids = _chosen(engine, letter_ids, all_open, source, stage)
    try:
        done = replay(engine, ids, actor=_actor())
    except (NotFound, StateConflict) as exc:
        err.print(f"[red]error:[/red] {exc} (nothing was replayed)")
        raise typer.Exit(1) from None
    err.print(f"replayed {len(done)} dead letters: back in the inbox for the pipeline")


@dlq_app.command("discard")
def discard_(
    letter_ids: Annotated[list[int] | None, typer.Argument(help="Dead letter ids; or use --all.")] = None,
    reason: Annotated[str, typer.Option(help="Why (kept in the audit log).")] = "",
    db: DbOption = None,
    all_open: Annotated[
        bool, typer.Option("--all", help="Every open letter matching --source/--stage.")
    ] = False,
    source: SourceOption = None,
    stage: StageOption = None,
) -> None:
    """Close dead letters for good, with a reason.

    Example: lotline dlq discard 17 --reason "test messages sent during commissioning"
    """
    from lotline.errors import NotFound, StateConflict
    from lotline.store.dlq import discard

    if not reason.strip():
        err.print("[red]error:[/red] --reason is required: say why (it is kept in the audit log)")
        raise typer.Exit(2)
    engine = open_db(db)
    ids = _chosen(engine, letter_ids, all_open, source, stage)
    try:
        done = discard(engine, ids, actor=_actor(), reason=reason)
    except (NotFound, StateConflict) as exc:
        err.print(f"[red]error:[/red] {exc} (nothing was discarded)")
        raise typer.Exit(1) from None
    err.print(f"discarded {len(done)} dead letters")


def _time(value: int) -> str:
    from lotline.epcis.timefmt import format_time

    return format_time(value)


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:  # no user name in this environment (containers)
        return "cli"


def _chosen(
    engine: Any, ids: list[int] | None, all_open: bool, source: str | None, stage: str | None
) -> list[int]:
    from lotline.store.dlq import LetterState, list_letters

    if ids and all_open:
        err.print("[red]error:[/red] give ids or --all, not both")
        raise typer.Exit(2)
    if all_open:
        letters = list_letters(engine, source=source, stage=stage, state=LetterState.OPEN, limit=100_000)
        return [r.id for r in letters]
    if not ids:
        err.print("[red]error:[/red] give dead letter ids (see `lotline dlq list`) or --all")
        raise typer.Exit(2)
    return ids
