"""`lotline` commands that live outside cli.py, one module each, registered there with
`app.command("<name>")(<function>)`. Shared here: the --db option, opening the database, the error console."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

if TYPE_CHECKING:
    from sqlalchemy import Engine

err = Console(stderr=True, soft_wrap=True)

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        help="Database URL: sqlite:///path.db (default sqlite:///var/lotline.db, or $LOTLINE_DB) "
        "or postgresql://user@host/db.",
        show_default=False,
    ),
]


def open_db(db: str | None) -> Engine:
    """The opened (migrated) database, or exit 2 saying why not."""
    from lotline.store.engine import open_engine

    try:
        return open_engine(db)
    except Exception as exc:
        err.print(f"[red]error:[/red] cannot open the database {db or '(default)'}: {exc}")
        raise typer.Exit(2) from None
