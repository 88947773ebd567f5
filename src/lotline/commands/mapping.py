"""`lotline mapping test|check`: try a mapping file on a payload, or just load and validate it."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from lotline.commands import err

app = typer.Typer(
    help="Try and check mapping files (native payloads -> EPCIS and operational events).\n\n"
    "Example: lotline mapping test mappings/mes.yaml samples/confirmation.json --plant plant-a",
    no_args_is_help=True,
)

MappingArg = Annotated[
    str, typer.Argument(help="The mapping file, or template:NAME for a shipped template.", show_default=False)
]
PlantOption = Annotated[
    str | None, typer.Option(help="Load the mapping for this plant (applies its `plants:` overrides).")
]


def _fail(message: str, code: int = 1) -> typer.Exit:
    err.print(f"[red]error:[/red] {escape(message)}")
    return typer.Exit(code)


@app.command("test")
def test(
    mapping: MappingArg,
    payload: Annotated[
        Path, typer.Argument(help="The native payload (a JSON file), as the source sends it.")
    ],
    topic: Annotated[str, typer.Option(help="The message's topic (MQTT topic, queue, path).")] = "",
    source: Annotated[str, typer.Option(help="The connector name the message comes from.")] = "cli",
    plant: PlantOption = None,
    header: Annotated[
        list[str] | None, typer.Option(help="A message header, name=value (repeatable).", show_default=False)
    ] = None,
    skip_match: Annotated[
        bool,
        typer.Option("--skip-match", help="Map even if the mapping's `match` does not take the message."),
    ] = False,
    no_validate: Annotated[
        bool, typer.Option("--no-validate", help="Do not check the EPCIS events against the GS1 schema.")
    ] = False,
) -> None:
    """Map one payload and print the canonical events as JSON, or the exact error (file:line, field).

    EPCIS events are checked as capture would check them; an invalid one is an error (exit 1).

    Example: lotline mapping test template:mes-production-confirmation confirmation.json --topic mes/l2/conf
    """
    import orjson

    from lotline.connectors.base import Message
    from lotline.epcis.validation import validate_event
    from lotline.errors import MappingError
    from lotline.mapping import is_operational, load_mapping

    try:
        body = payload.read_bytes()
    except OSError as exc:
        raise _fail(f"{payload}: cannot read: {exc.strerror or exc}", 2) from None
    headers = dict(h.partition("=")[::2] for h in header or [])
    message = Message(source=source, message_id=payload.name, payload=body, topic=topic, headers=headers)
    try:
        mapper = load_mapping(mapping, plant=plant)
        if not skip_match and not mapper.matches(message):
            raise _fail(
                f"mapping {mapper.name} does not take this message (match: topic {list(mapper.topics)}, "
                f"source {list(mapper.sources)}, when {mapper.when.source if mapper.when else None!r}; "
                f"message topic {topic!r}, source {source!r}); use --skip-match to map it anyway"
            )
        events = mapper(message)
    except MappingError as exc:
        raise _fail(str(exc)) from None
    sys.stdout.write(orjson.dumps(events, option=orjson.OPT_INDENT_2).decode() + "\n")
    problems = 0
    if not no_validate:
        for index, event in enumerate(events):
            if not is_operational(event):
                for issue in validate_event(event):
                    problems += 1
                    err.print(f"[red]invalid[/red] event {index} ({event.get('type')}): {escape(str(issue))}")
    if problems:
        raise typer.Exit(1)


@app.command("check")
def check(mapping: MappingArg, plant: PlantOption = None) -> None:
    """Load and validate a mapping file (and what it extends): syntax, fields, expressions, lookup files.

    Without --plant, the mapping is also loaded for every plant of its `plants:` section.

    Example: lotline mapping check mappings/plant-a/mes.yaml --plant plant-a
    """
    from lotline.errors import MappingError
    from lotline.mapping import load_mapping

    try:
        mapper = load_mapping(mapping, plant=plant)
        plants = [plant] if plant else [None, *mapper.plants]
        for name in plants:
            loaded = load_mapping(mapping, plant=name) if name != plant else mapper
            outputs = ", ".join(rule.name for rule in loaded.rules)
            files = " <- ".join(loaded.files)
            for_plant = f" for {name}" if name else ""
            err.print(
                f"ok: mapping {escape(loaded.name)} v{escape(loaded.version)}{escape(for_plant)} "
                f"({escape(files)}): {escape(outputs)}"
            )
    except MappingError as exc:
        raise _fail(str(exc)) from None
