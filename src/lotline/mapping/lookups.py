"""What a mapping can look up: master data (items, locations, parties, ...) and the identifier
cross-reference (xref).

The xref maps a source system's own id for a lot or unit — ERP lot number, MES batch id, SCADA campaign
id, WMS handling unit — to one enterprise identity, and keeps every source id: `source_ids` answers
"what does each system call this lot?". System names are case-insensitive (stored lower case); source ids
are exact. `MemoryXref` is the in-memory implementation; `lotline.store.xref.SqlXref` keeps the same
contract in the database (tables `xref_identities` and `xref_source_ids`).

Expressions reach them as `$item(key)`, `$location(key)`, `$party(key)`, `$master(kind, key)` (a master
record, or undefined) and `$xref(system, id)` (the enterprise identity, or undefined).
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from lotline.errors import MappingError
from lotline.mapping.source import LDict, LList, load_yaml

__all__ = [
    "Lookups",
    "MasterData",
    "MemoryXref",
    "StaticLookups",
    "Xref",
    "load_master_file",
    "load_xref_file",
]


@runtime_checkable
class Xref(Protocol):
    """The identifier cross-reference: (system, source id) -> enterprise identity, every source id kept."""

    def resolve(self, system: str, source_id: str) -> str | None:
        """The enterprise identity `system` calls `source_id`, or None if not linked."""
        ...

    def source_ids(self, enterprise_id: str) -> dict[str, list[str]]:
        """Every source id linked to `enterprise_id`, by system (sorted); {} if unknown."""
        ...

    def link(self, enterprise_id: str, system: str, source_id: str) -> str:
        """Link (system, source id) to `enterprise_id` and return the identity it is linked to: that one,
        or the identity it was already linked to (a source id never moves; compare to detect a conflict)."""
        ...


@runtime_checkable
class Lookups(Protocol):
    """What mapping expressions look up."""

    def master(self, kind: str, key: str) -> Mapping[str, Any] | None: ...

    def xref(self, system: str, source_id: str) -> str | None: ...


class MemoryXref:
    """The xref in memory (tests, `lotline mapping test`, files of seed links)."""

    def __init__(self) -> None:
        self._to_enterprise: dict[tuple[str, str], str] = {}
        self._sources: dict[str, dict[str, set[str]]] = {}

    def resolve(self, system: str, source_id: str) -> str | None:
        return self._to_enterprise.get((system.lower(), source_id))

    def source_ids(self, enterprise_id: str) -> dict[str, list[str]]:
        systems = self._sources.get(enterprise_id, {})
        return {system: sorted(ids) for system, ids in sorted(systems.items())}

    def link(self, enterprise_id: str, system: str, source_id: str) -> str:
        key = (system.lower(), source_id)
        linked = self._to_enterprise.setdefault(key, enterprise_id)
        if linked == enterprise_id:
            self._sources.setdefault(enterprise_id, {}).setdefault(key[0], set()).add(source_id)
        return linked


@dataclass
class MasterData:
    """Master records by kind ("items", "locations", "parties", ...) and key (`id`)."""

    records: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)

    def get(self, kind: str, key: str) -> dict[str, Any] | None:
        return self.records.get(kind, {}).get(key)

    def add(self, kind: str, records: Mapping[str, dict[str, Any]]) -> None:
        self.records.setdefault(kind, {}).update(records)


@dataclass
class StaticLookups:
    """Master data and an xref together: the `Lookups` a mapper uses."""

    master_data: MasterData = field(default_factory=MasterData)
    xrefs: Xref = field(default_factory=MemoryXref)

    def master(self, kind: str, key: str) -> Mapping[str, Any] | None:
        return self.master_data.get(kind, key)

    def xref(self, system: str, source_id: str) -> str | None:
        return self.xrefs.resolve(system, source_id)


def load_master_file(path: Path) -> dict[str, dict[str, Any]]:
    """Records keyed by their `id` from a CSV file (a header row with an `id` column; empty cells are
    left out) or a YAML file (a list of records with `id`, or a mapping id -> record)."""
    if path.suffix.lower() == ".csv":
        return _load_csv(path)
    data = load_yaml(path)
    records: dict[str, dict[str, Any]] = {}
    if isinstance(data, LList):
        for record, loc in zip(data, data.locs, strict=True):
            if not isinstance(record, dict) or not isinstance(record.get("id"), str | int):
                raise MappingError(f"{loc}: a master record needs an `id`", location=str(loc))
            records[str(record["id"])] = dict(record)
    elif isinstance(data, LDict):
        for key, record in data.items():
            if not isinstance(record, dict):
                loc = data.locs[key]
                raise MappingError(f"{loc}: field {key!r}: a master record is a mapping", location=str(loc))
            records[key] = {"id": key, **record}
    else:
        raise MappingError(f"{path}:1:1: master data is a list of records or a mapping id -> record")
    return records


def _load_csv(path: Path) -> dict[str, dict[str, Any]]:
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            if "id" not in (reader.fieldnames or ()):
                raise MappingError(f"{path}:1:1: the header row has no `id` column", location=f"{path}:1:1")
            records = {}
            for row in reader:
                if not row.get("id"):
                    line = reader.line_num
                    raise MappingError(f"{path}:{line}:1: the row has no id", location=f"{path}:{line}:1")
                records[row["id"]] = {k: v for k, v in row.items() if k and v not in (None, "")}
            return records
    except OSError as exc:
        raise MappingError(f"{path}: cannot read: {exc.strerror or exc}") from None


def load_xref_file(path: Path, into: Xref) -> None:
    """Seed links from a YAML mapping `enterprise id -> {system: source id or [source ids]}`."""
    data = load_yaml(path)
    if not isinstance(data, LDict):
        raise MappingError(f"{path}:1:1: an xref file maps enterprise ids to {{system: source ids}}")
    for enterprise_id, systems in data.items():
        loc = data.locs[enterprise_id]
        if not isinstance(systems, dict):
            raise MappingError(
                f"{loc}: field {enterprise_id!r}: expected {{system: source id}}", location=str(loc)
            )
        for system, ids in systems.items():
            for source_id in ids if isinstance(ids, list) else [ids]:
                linked = into.link(str(enterprise_id), str(system), str(source_id))
                if linked != str(enterprise_id):
                    raise MappingError(
                        f"{loc}: {system} id {source_id!r} is already linked to {linked!r}",
                        location=str(loc),
                    )
