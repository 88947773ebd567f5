"""`lotline serve --config FILE`: the API plus the configured connectors, mappings and runner.

Precedence of settings: command-line options (--db, --host, --port), then LOTLINE_* environment
overrides, then the file. The configuration is checked completely before anything starts.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import typer
from rich.markup import escape

from lotline.commands import err, open_db


def serve_config(file: Path, db: str | None, host: str | None, port: int | None) -> None:
    """Load `file` (exit 1 with the located problems), open the database, serve until a signal."""
    from lotline.api.app import log_to_console
    from lotline.api.service import Service
    from lotline.config import load_config
    from lotline.errors import ConfigError

    try:
        config = load_config(file)
    except ConfigError as exc:
        for line in exc.problems:
            err.print(f"[red]error:[/red] {escape(line)}")
        err.print(f"{len(exc.problems)} problem(s) in {escape(str(file))}; nothing was started")
        raise typer.Exit(1) from None
    server = config.model.server
    log_to_console()
    engine = open_db(db or config.database_url)
    service = Service(
        config, engine, server.host if host is None else host, server.port if port is None else port
    )
    try:
        asyncio.run(service.run())
    finally:
        engine.dispose()
