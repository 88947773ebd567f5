"""The `lotline` command."""

from __future__ import annotations

import sys
import time
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from lotline import __version__
from lotline.commands import DbOption, err, open_db

app = typer.Typer(
    name="lotline",
    help="lotline: manufacturing integration hub with end-to-end traceability on GS1 EPCIS 2.0.\n\n"
    "Example: lotline import ./epcis-docs --db sqlite:///var/lotline.db",
    no_args_is_help=True,
    rich_markup_mode="rich",
    add_completion=False,
)
keys_app = typer.Typer(help="Create, list and revoke API keys.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")


def _version(value: bool) -> None:
    if value:
        print(f"lotline {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    pass


@app.command()
def serve(
    db: DbOption = None,
    host: Annotated[
        str | None, typer.Option(help="Address to listen on [default: 127.0.0.1].", show_default=False)
    ] = None,
    port: Annotated[
        int | None, typer.Option(help="Port to listen on [default: 8000].", show_default=False)
    ] = None,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            help="Configuration file (docs/config.md): also run its connectors, mappings and runner; "
            "its database and server settings apply unless --db, --host or --port are given.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Serve the EPCIS 2.0 REST API (at /epcis), lotline's API (at /api/v1) and /health; with --config,
    also read the configured connectors and store their events (SIGINT/SIGTERM stop it gracefully).
    The trace index is built in the background as the server starts (about a minute per million events;
    traces that come sooner wait for it).

    Example: lotline serve --config examples/two-line-plant/lotline.yaml
    """
    if config is not None:
        from lotline.commands.serve import serve_config

        serve_config(config, db, host, port)
        return
    from lotline.api.app import serve as run

    run(open_db(db), "127.0.0.1" if host is None else host, 8000 if port is None else port)


@app.command("import")
def import_(
    paths: Annotated[list[Path], typer.Argument(help="EPCIS 2.0 JSON-LD or XML files, or folders of them.")],
    db: DbOption = None,
    batch_size: Annotated[int, typer.Option(help="Events per transaction.", min=1)] = 5000,
    show: Annotated[int, typer.Option(help="How many rejection reasons to print.", min=0)] = 20,
) -> None:
    """Import EPCIS documents: valid events are stored, duplicates skipped, invalid events reported.

    Exits with status 1 if any event or file was rejected.

    Example: lotline import ./docs/ shipment.xml --db sqlite:///var/lotline.db
    """
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from lotline.importer import find_files, import_files, start_workers_early, total_size

    try:
        files = find_files(paths)
    except FileNotFoundError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    total_bytes = total_size(files)
    start_workers_early(files, total_bytes)
    engine = open_db(db)
    started = time.perf_counter()
    counted = [0]  # events processed so far
    columns = (
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        TextColumn("{task.fields[events]} events · {task.fields[rate]} events/s"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=err, transient=False, disable=not err.is_terminal) as progress:
        task = progress.add_task("importing", total=total_bytes or 1, events=0, rate=0)
        done_bytes: dict[Path, int] = {}
        completed = [0]  # the sum of done_bytes, kept as it changes (a folder may hold 100,000 files)

        def on_progress(path: Path, events: int, file_bytes: int) -> None:
            counted[0] += events
            completed[0] += file_bytes - done_bytes.get(path, 0)
            done_bytes[path] = file_bytes
            elapsed = max(time.perf_counter() - started, 1e-6)
            progress.update(
                task,
                completed=completed[0],
                events=f"{counted[0]:,}",
                rate=f"{counted[0] / elapsed:,.0f}",
            )

        summary = import_files(
            engine, files, on_progress=on_progress, batch_size=batch_size, total_bytes=total_bytes
        )
    elapsed = time.perf_counter() - started
    table = Table(title="import summary", show_header=True)
    for name in ("files", "events", "stored", "duplicates", "rejected", "events/s"):
        table.add_column(name, justify="right")
    table.add_row(
        str(summary.files),
        str(summary.events),
        str(summary.stored),
        str(summary.duplicates),
        str(summary.rejected),
        f"{summary.events / max(elapsed, 1e-6):,.0f}",
    )
    err.print(table)
    for rejection in summary.rejections[:show]:
        where = rejection.file if rejection.index is None else f"{rejection.file} event {rejection.index}"
        err.print(f"[red]rejected[/red] {where}: {rejection.reason}")
    if summary.rejected > show:
        err.print(f"... and {summary.rejected - show} more rejections")
    if summary.rejected:
        raise typer.Exit(1)


@keys_app.command("create")
def keys_create(
    name: Annotated[str, typer.Option(help="Who or what uses the key, e.g. 'line-2 MES'.")],
    scope: Annotated[str, typer.Option(help="Comma-separated scopes: capture, query, trace, admin.")],
    db: DbOption = None,
) -> None:
    """Create an API key and print it on stdout (once: only a salted hash is stored).

    Example: lotline keys create --name "ERP bridge" --scope capture,query
    """
    from lotline.store.keys import create_key, parse_scopes

    try:
        scopes = parse_scopes(scope)
    except ValueError as exc:
        err.print(f"[red]error:[/red] --scope: {exc}")
        raise typer.Exit(2) from None
    key, token = create_key(open_db(db), name, scopes)
    err.print(f"created key {key.id} ({name}) with scopes {', '.join(sorted(scopes))}; it is shown only once")
    sys.stdout.write(token + "\n")


@keys_app.command("list")
def keys_list(db: DbOption = None) -> None:
    """List API keys (ids, names, scopes, state; never the secrets).

    Example: lotline keys list --db sqlite:///var/lotline.db
    """
    from lotline.epcis.timefmt import format_time
    from lotline.store.keys import list_keys

    table = Table(show_header=True)
    for column in ("id", "name", "scopes", "created", "state"):
        table.add_column(column)
    for key in list_keys(open_db(db)):
        state = "active" if key.revoked_at is None else f"revoked {format_time(key.revoked_at)}"
        table.add_row(key.id, key.name, ",".join(sorted(key.scopes)), format_time(key.created_at), state)
    Console().print(table)


@keys_app.command("revoke")
def keys_revoke(
    key_id: Annotated[str, typer.Argument(help="The key id shown by `lotline keys list`.")],
    db: DbOption = None,
) -> None:
    """Revoke an API key: requests with it are refused from now on.

    Example: lotline keys revoke 3f9a1c2b7d4e
    """
    from lotline.errors import NotFound
    from lotline.store.keys import revoke_key

    try:
        revoke_key(open_db(db), key_id)
    except NotFound as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(1) from None
    err.print(f"revoked key {key_id}")


class Direction(StrEnum):
    forward = "forward"
    backward = "backward"


class TraceFormat(StrEnum):
    json = "json"
    jsonl = "jsonl"
    table = "table"


@app.command()
def trace(
    direction: Annotated[
        Direction, typer.Argument(help="forward (where did it go) or backward (where did it come from).")
    ],
    ids: Annotated[
        list[str], typer.Argument(help="Lots, serials, containers: EPC URNs or GS1 Digital Links.")
    ],
    db: DbOption = None,
    output: Annotated[
        TraceFormat,
        typer.Option(
            "--format",
            help="json (one object, or an array for several ids), jsonl (one line per id) or table.",
        ),
    ] = TraceFormat.json,
    max_depth: Annotated[int | None, typer.Option(help="Hops from the root at most.", min=0)] = None,
    since: Annotated[
        str | None, typer.Option(help="Only events at or after this date-time (ISO 8601 with offset).")
    ] = None,
    until: Annotated[str | None, typer.Option(help="Only events before this date-time.")] = None,
) -> None:
    """Trace identifiers through the genealogy: forward to every product, container and customer they reached,
    or backward to everything they were made from and the suppliers.

    Example: lotline trace forward urn:epc:class:lgtin:4012345.012345.LOT42 --format table
    """
    import orjson

    from lotline.epcis.timefmt import parse_time
    from lotline.errors import IdentifierError
    from lotline.trace.index import TraceIndex

    try:
        window = [parse_time(v) if v else None for v in (since, until)]
    except IdentifierError as exc:
        err.print(f"[red]error:[/red] --since/--until: {exc}")
        raise typer.Exit(2) from None
    index = TraceIndex(open_db(db))
    results = []
    missing = []
    for root in ids:
        try:
            result = index.trace(direction.value, root, max_depth=max_depth, since=window[0], until=window[1])
        except IdentifierError as exc:
            err.print(f"[red]error:[/red] {root}: {exc}")
            raise typer.Exit(2) from None
        if not result.found:
            missing.append(root)
        results.append(result.as_json())
    if output is TraceFormat.jsonl:
        for doc in results:
            sys.stdout.write(orjson.dumps(doc).decode() + "\n")
    elif output is TraceFormat.json:
        sys.stdout.write(
            orjson.dumps(results[0] if len(results) == 1 else results, option=orjson.OPT_INDENT_2).decode()
            + "\n"
        )
    else:
        _trace_tables(results)
    for root in missing:
        err.print(f"[yellow]not found:[/yellow] no stored event names {root}")
    if missing:
        raise typer.Exit(1)


def _trace_tables(results: list[dict[str, object]]) -> None:
    out = Console()
    for doc in results:
        items: list[dict[str, object]] = doc["items"]  # type: ignore[assignment]
        table = Table(title=f"{doc['direction']} trace of {doc['root']}: {len(items)} items")
        for column in ("id", "kind", "depth", "events from the root"):
            table.add_column(column)
        for item in items:
            path: list[str] = item["path"]  # type: ignore[assignment]
            table.add_row(str(item["id"]), str(item["kind"]), str(item["depth"]), str(len(path)))
        out.print(table)
        parties = Table(title="parties")
        for column in ("party", "relation", "events"):
            parties.add_column(column)
        for party in doc["parties"]:  # type: ignore[attr-defined]
            parties.add_row(party["id"], party["relation"], str(len(party["events"])))
        out.print(parties)


@app.command()
def demo(
    db: DbOption = None,
    events: Annotated[int, typer.Option(help="How many plant-history events to generate.", min=0)] = 5000,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    no_serve: Annotated[bool, typer.Option("--no-serve", help="Prepare the database and exit.")] = False,
) -> None:
    """Build a demo database (GS1 examples + a generated two-plant history), create a key and serve it.

    Example: lotline demo --db sqlite:///var/demo.db --port 8000
    """
    from lotline.demo import prepare_demo, print_welcome

    engine = open_db(db)
    token = prepare_demo(engine, events, err)
    print_welcome(err, host, port, token)
    if not no_serve:
        from lotline.api.app import serve as run

        run(engine, host, port)


def _register_commands() -> None:
    from lotline.commands.check import check as check_command
    from lotline.commands.config import app as config_app
    from lotline.commands.deliver import deliver as deliver_command
    from lotline.commands.dlq import dlq_app
    from lotline.commands.edi import edi_app
    from lotline.commands.mapping import app as mapping_app
    from lotline.commands.recall import recall as recall_command
    from lotline.commands.sim import sim_app

    app.command("check")(check_command)
    app.command("recall")(recall_command)
    app.command("deliver")(deliver_command)
    app.add_typer(mapping_app, name="mapping")
    app.add_typer(dlq_app, name="dlq")
    app.add_typer(edi_app, name="edi")
    app.add_typer(config_app, name="config")
    app.add_typer(sim_app, name="sim")


_register_commands()


def main() -> None:
    app()


if __name__ == "__main__":
    main()
