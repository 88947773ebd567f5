"""`lotline demo`: a database with the GS1 examples and a generated two-plant history, and a key to explore it."""

from __future__ import annotations

from importlib.resources import as_file, files
from pathlib import Path

from rich.console import Console
from sqlalchemy import Engine

from lotline.importer import find_files, import_files
from lotline.pipeline.capture import PROCEED, DocumentParts, capture_parts
from lotline.sim import generate_events
from lotline.store.events import Provenance
from lotline.store.keys import create_key

__all__ = ["prepare_demo", "print_welcome"]


def prepare_demo(engine: Engine, n_events: int, console: Console) -> str:
    """Import the GS1 examples and `n_events` generated events (again: duplicates are skipped); return a new
    demo key with every scope."""
    with as_file(files("lotline.demo") / "gs1") as folder:
        summary = import_files(engine, find_files([Path(folder)]))
    # The GS1 examples reuse placeholder eventIDs across files: lotline keeps the first event with an id and
    # refuses a different event claiming it, as it would for any source.
    reused = [r for r in summary.rejections if "already used by a different event" in r.reason]
    others = [r for r in summary.rejections if r not in reused]
    console.print(
        f"GS1 examples: {summary.files} files, {summary.stored} events stored, {summary.duplicates} already "
        f"there, {len(reused)} skipped because another example already uses their eventID"
    )
    for rejection in others:
        console.print(
            f"  [red]rejected[/red] {Path(rejection.file).name} {rejection.index}: {rejection.reason}"
        )
    batch: list[object] = []
    stored = duplicates = 0
    provenance = Provenance("demo", source_message_id="lotline.sim")

    def flush() -> None:
        nonlocal stored, duplicates
        outcome = capture_parts(engine, DocumentParts(list(batch), {}, []), provenance, PROCEED)
        stored += outcome.stored
        duplicates += outcome.duplicates
        batch.clear()

    for event in generate_events(n_events, seed=1):
        batch.append(event)
        if len(batch) >= 2000:
            flush()
    if batch:
        flush()
    console.print(f"generated plant history: {n_events} events, {stored} stored, {duplicates} already there")
    _, token = create_key(engine, "demo", frozenset({"capture", "query", "trace", "admin"}))
    return token


def print_welcome(console: Console, host: str, port: int, token: str) -> None:
    base = f"http://{host}:{port}"
    console.print(
        f"""
[bold]lotline demo[/bold] at [link={base}]{base}[/link]   (API docs: {base}/docs)
demo API key (all scopes): [bold]{token}[/bold]
control tower: open [link={base}/]{base}/[/link] in a browser and sign in with the key

  export KEY={token}
  # query the events of one pallet (SSCC), by EPC:
  curl -H "Authorization: Bearer $KEY" '{base}/epcis/events?MATCH_anyEPC=urn:epc:id:sscc:4012345.0000000001&perPage=5'
  # capture one event:
  curl -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' {base}/epcis/events -d '{{
    "type": "ObjectEvent", "action": "OBSERVE", "bizStep": "inspecting",
    "eventTime": "2026-01-05T10:00:00.000+01:00", "eventTimeZoneOffset": "+01:00",
    "epcList": ["urn:epc:id:sgtin:4012345.011111.1001"]}}'
  # shipments to customers:
  curl -H "Authorization: Bearer $KEY" '{base}/epcis/events?EQ_bizStep=shipping&perPage=3'
"""
    )
