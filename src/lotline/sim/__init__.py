"""A seeded generator of a two-plant food/pharma history as GS1 EPCIS 2.0 JSON-LD events.

The story: suppliers deliver raw-material lots (silo and tank loads that feed many batches, bagged goods
that feed a few); each mixing batch consumes several lots (TransformationEvent, sometimes two events
sharing a transformationID); a batch is filled into one or two finished lots, with serialised cases
(SGTIN, commissioned by an ObjectEvent ADD with lot master data) or as lot quantities (LGTIN); pallets
(SSCC) are packed (AggregationEvent ADD), sometimes partly unpacked or rebuilt (DELETE) before they
ship to customers (ObjectEvent shipping, often announced by a TransactionEvent), and plant A sends a
share to plant B (shipping, receiving, a temperature logger associated on the way: AssociationEvent).
About 5 % of the object identifiers are written as GS1 Digital Link URIs instead of EPC URNs.

Events carry no eventID or recordTime (the hub assigns them) and come out in strictly increasing time.
Same arguments, same events: the stream depends only on `n_events`, `seed` and the config.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from lotline.epcis.document import STANDARD_CONTEXT
from lotline.sim._config import PlantConfig
from lotline.sim._history import History

__all__ = ["PlantConfig", "generate_document", "generate_events", "write_documents"]


def generate_events(
    n_events: int, *, seed: int = 1, config: PlantConfig | None = None
) -> Iterator[dict[str, Any]]:
    """Exactly `n_events` events, time-ordered, streamed (memory holds only the work in flight).

    Without a config the company is sized for the request (`PlantConfig.sized_for`). The history is cut
    at the `n_events`-th event, so its last day may hold work in progress (pallets not yet shipped).
    """
    if n_events < 0:
        raise ValueError("n_events must not be negative")
    history = History(config or PlantConfig.sized_for(n_events), seed)
    return itertools.islice(history.events(), n_events)


def _document(events: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "@context": [STANDARD_CONTEXT],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        # Deterministic: the document is "created" when its last event happened.
        "creationDate": events[-1]["eventTime"] if events else "2026-01-05T00:00:00.000+01:00",
        "epcisBody": {"eventList": events},
    }


def generate_document(n_events: int, *, seed: int = 1) -> dict[str, Any]:
    """An EPCISDocument holding `generate_events(n_events, seed=seed)`."""
    return _document(list(generate_events(n_events, seed=seed)))


def write_documents(
    directory: Path, n_events: int, *, events_per_file: int = 10_000, seed: int = 1
) -> list[Path]:
    """Write the history as EPCISDocument JSON-LD files `plant-history-00001.jsonld`, ... in `directory`
    (created if needed), `events_per_file` events each; returns the paths in order."""
    if events_per_file < 1:
        raise ValueError("events_per_file must be at least 1")
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    events = generate_events(n_events, seed=seed)
    paths = []
    for number in itertools.count(1):
        chunk = list(itertools.islice(events, events_per_file))
        if not chunk:
            break
        path = directory / f"plant-history-{number:05d}.jsonld"
        path.write_bytes(orjson.dumps(_document(chunk)))
        paths.append(path)
    return paths
