"""A trace's result, and its JSON written straight from columns.

A forward trace from a lot lists thousands of items. As a list of dicts, made, encoded by orjson and freed,
they cost about 40% of the request at a million events, most of it repeating what siblings share: their kind,
depth and path (the same chain of events, each eventID 89 characters). A forward trace hands its items over as
columns instead (`ItemRows`, in the result's order); `TraceResult.json` writes each run of items that share a
kind, depth and path with one join over their identifiers, and the dicts of `TraceResult.items` are made only
when someone asks for them (the CLI, a recall).
"""

from __future__ import annotations

from collections.abc import Mapping
from itertools import pairwise
from typing import Any

import numpy as np
import orjson


class ItemRows:
    """A trace's items as columns, in the result's order: identifier (as displayed), kind, depth, and the
    step whose path (`paths[step]`, one list shared by every item of that step) led to it; `nodes` are the
    index's node numbers of the items."""

    __slots__ = ("depths", "ids", "kinds", "nodes", "paths", "steps")

    def __init__(
        self,
        ids: list[str],
        kinds: list[str],
        depths: list[int],
        steps: list[int],
        paths: Mapping[int, list[str]],
        nodes: list[int],
    ) -> None:
        if not len(ids) == len(kinds) == len(depths) == len(steps) == len(nodes):
            raise ValueError("item columns of different lengths")
        self.ids, self.kinds, self.depths, self.steps, self.paths, self.nodes = (
            ids,
            kinds,
            depths,
            steps,
            paths,
            nodes,
        )

    def dicts(self) -> list[dict[str, Any]]:
        paths = self.paths
        return [
            {"id": shown, "kind": kind, "depth": depth, "path": paths[step]}
            for shown, kind, depth, step in zip(self.ids, self.kinds, self.depths, self.steps, strict=True)
        ]

    def json(self) -> bytes:
        """The JSON array of `dicts()`, byte for byte what orjson makes of it."""
        count = len(self.ids)
        if not count:
            return b"[]"
        # Each identifier as a JSON string's inside: orjson escapes any quote in a string, so `","` occurs in
        # the array only between two of them.
        inside = orjson.dumps(self.ids)[2:-2].split(b'","')
        if len(inside) != count:  # (cannot happen; kept for safety)
            return orjson.dumps(self.dicts())
        steps, depths = np.asarray(self.steps), np.asarray(self.depths)
        kinds = np.asarray(self.kinds, dtype=object)
        changes = (steps[1:] != steps[:-1]) | (depths[1:] != depths[:-1]) | (kinds[1:] != kinds[:-1])
        bounds = [0, *(np.flatnonzero(changes) + 1).tolist(), count]
        paths: dict[int, bytes] = {}
        runs = []
        for a, b in pairwise(bounds):
            step = self.steps[a]
            path = paths.get(step)
            if path is None:
                path = paths[step] = orjson.dumps(self.paths[step])
            tail = b'","kind":%b,"depth":%d,"path":%b}' % (orjson.dumps(self.kinds[a]), self.depths[a], path)
            runs.append(b'{"id":"' + (tail + b',{"id":"').join(inside[a:b]) + tail)
        return b"[" + b",".join(runs) + b"]"


class TraceResult:
    """A forward or backward trace: `as_json()` is the API's document, `json()` the same encoded. Items come
    as a list of dicts (`items`) or as columns (`rows`), from which the dicts are made on first use."""

    __slots__ = ("_items", "direction", "events", "found", "parties", "root", "rows")

    def __init__(
        self,
        root: str,
        direction: str,
        items: list[dict[str, Any]] | None = None,
        parties: list[dict[str, Any]] | None = None,
        events: list[str] | None = None,
        found: bool = True,
        *,
        rows: ItemRows | None = None,
    ) -> None:
        if items is not None and rows is not None:
            raise ValueError("items as dicts or as rows, not both")
        self.root, self.direction, self.found, self.rows = root, direction, found, rows
        self._items = items if items is not None or rows is not None else []
        self.parties = [] if parties is None else parties
        self.events = [] if events is None else events

    @property
    def items(self) -> list[dict[str, Any]]:
        if self._items is None:
            assert self.rows is not None
            self._items = self.rows.dicts()
        return self._items

    def as_json(self) -> dict[str, Any]:
        return {
            "root": self.root,
            "direction": self.direction,
            "items": self.items,
            "parties": self.parties,
            "events": self.events,
        }

    def json(self) -> bytes:
        """`as_json()` encoded (from the rows, if the items come as rows and no one made their dicts)."""
        if self._items is not None or self.rows is None:
            return orjson.dumps(self.as_json())
        return b"".join(
            [
                b'{"root":',
                orjson.dumps(self.root),
                b',"direction":',
                orjson.dumps(self.direction),
                b',"items":',
                self.rows.json(),
                b',"parties":',
                orjson.dumps(self.parties),
                b',"events":',
                orjson.dumps(self.events),
                b"}",
            ]
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, TraceResult):
            return NotImplemented
        return self.found == other.found and self.as_json() == other.as_json()

    __hash__ = None  # type: ignore[assignment]  # (mutable, like the dataclass it was)

    def __repr__(self) -> str:
        return (
            f"TraceResult(root={self.root!r}, direction={self.direction!r}, items={len(self.items)}, "
            f"parties={len(self.parties)}, events={len(self.events)}, found={self.found})"
        )
