"""`lotline deliver`: run the outbound dispatcher and the durable deliveries (routes and EPCIS query
subscriptions) against a database, until Ctrl-C. Registered in `lotline.cli` with one line."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
from pathlib import Path
from typing import Annotated

import typer

from lotline.commands import DbOption, err, open_db

_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def _expand(text: str) -> str:
    """`${NAME}` -> the environment variable NAME (secrets stay out of the file); KeyError if unset."""
    return _VARIABLE.sub(lambda m: os.environ[m.group(1)], text)


def deliver(
    db: DbOption = None,
    routes: Annotated[
        Path | None,
        typer.Option(
            help="YAML file with the `outbound:` section (routes, poll_interval, ...); `${NAME}` is replaced "
            "by the environment variable NAME. Without it, only EPCIS query subscriptions are delivered.",
            exists=True,
            dir_okay=False,
        ),
    ] = None,
) -> None:
    """Deliver stored events to their routes' targets and to EPCIS subscribers, durably (DBOS).

    Example: lotline deliver --routes outbound.yaml --db sqlite:///var/lotline.db
    """
    import yaml
    from pydantic import ValidationError

    from lotline.outbound import Outbound, OutboundConfig
    from lotline.store.engine import default_url

    config = OutboundConfig()
    if routes is not None:
        try:
            text = _expand(routes.read_text())
        except KeyError as exc:
            err.print(f"[red]error:[/red] {routes}: environment variable {exc.args[0]} is not set")
            raise typer.Exit(2) from None
        raw = yaml.safe_load(text) or {}
        section = raw.get("outbound", raw) if isinstance(raw, dict) else raw
        try:
            config = OutboundConfig.model_validate(section)
        except ValidationError as exc:
            for problem in exc.errors():
                where = ".".join(str(p) for p in problem["loc"])
                err.print(f"[red]error:[/red] {routes}: outbound.{where}: {problem['msg']}")
            raise typer.Exit(2) from None
    engine = open_db(db)

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, stop.set)
        async with Outbound(engine, config, db_url=db or default_url()):
            err.print(
                f"delivering: {len(config.routes)} route(s) and the EPCIS query subscriptions; Ctrl-C stops"
            )
            await stop.wait()

    asyncio.run(run())
