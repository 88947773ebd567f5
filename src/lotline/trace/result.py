"""A trace's result, and its JSON written straight from columns.

A forward trace from a lot lists thousands of items. As a list of dicts, made, encoded by orjson and freed,
they cost about a third of the request at a million events, most of it repeating what siblings share: their
kind, depth and path (the same chain of events, each eventID 89 characters). A forward trace hands its items
over as columns instead (`ItemRows`, in the result's order); `TraceResult.json` writes what items share once
and joins it with their identifiers (40% less time than the dicts and orjson), and the dicts of
`TraceResult.items` are made only when someone asks for them (the CLI, a recall).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from operator import itemgetter
from typing import Any

import numpy as np
import numpy.typing as npt
import orjson

_NEXT = '{"id":"'  # after an identifier: the rest of its item (`_rest`), then this, the next one's start
_BETWEEN = '","'


class ItemRows:
    """A trace's items as columns, in the result's order: identifier (as displayed), kind (a code into
    `kinds`), depth, and the step whose path (`paths[step]`, one list shared by every item of that step) led
    to it; `nodes` are the index's node numbers of the items, `named` every eventID the paths name."""

    __slots__ = ("depths", "ids", "kind_names", "kinds", "named", "nodes", "paths", "steps")

    def __init__(
        self,
        ids: list[str],
        kinds: npt.NDArray[np.integer[Any]],
        depths: npt.NDArray[np.integer[Any]],
        steps: npt.NDArray[np.integer[Any]],
        paths: Mapping[int, list[str]],
        nodes: npt.NDArray[np.integer[Any]],
        kind_names: Sequence[str],
        named: Collection[str],
    ) -> None:
        if not len(ids) == len(kinds) == len(depths) == len(steps) == len(nodes):
            raise ValueError("item columns of different lengths")
        self.ids, self.paths, self.kind_names, self.named = ids, paths, kind_names, named
        self.kinds, self.depths, self.steps, self.nodes = (
            np.asarray(column, dtype=np.int64) for column in (kinds, depths, steps, nodes)
        )

    def dicts(self) -> list[dict[str, Any]]:
        paths, names = self.paths, self.kind_names
        return [
            {"id": shown, "kind": names[kind], "depth": depth, "path": paths[step]}
            for shown, kind, depth, step in zip(
                self.ids, self.kinds.tolist(), self.depths.tolist(), self.steps.tolist(), strict=True
            )
        ]

    def json(self) -> bytes:
        """The JSON array of `dicts()`, byte for byte what orjson makes of it: each item's identifier, then
        the rest of it, the same for every item that shares its kind, depth and step (written once each),
        joined in one go."""
        ids = self.ids
        count = len(ids)
        if not count:
            return b"[]"
        plain = "".join([*ids, *self.kind_names, *self.named])  # written as they are: nothing to escape?
        if len(orjson.dumps(plain)) != len(plain.encode()) + 2:
            return orjson.dumps(self.dicts())
        kinds, depths, steps = self.kinds, self.depths, self.steps
        shares = ((steps + 1) * (int(depths.max()) + 1) + depths) * len(self.kind_names) + kinds
        _, first, which = np.unique(shares, return_index=True, return_inverse=True)
        paths, names = self.paths, self.kind_names
        rests = [  # (one f-string each: half the time of joining the path, quoting it and formatting)
            f'","kind":"{names[kind]}","depth":{depth},"path":["{_BETWEEN.join(paths[step])}"]}},{_NEXT}'
            if paths[step]
            else f'","kind":"{names[kind]}","depth":{depth},"path":[]}},{_NEXT}'
            for kind, depth, step in zip(
                kinds[first].tolist(), depths[first].tolist(), steps[first].tolist(), strict=True
            )
        ]
        parts = [""] * (2 * count)
        parts[0::2] = ids
        parts[1::2] = itemgetter(*which.tolist())(rests) if count > 1 else rests
        parts[-1] = parts[-1][: -len(_NEXT) - 1]  # (the last item: no next)
        return f"[{_NEXT}{''.join(parts)}]".encode()


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
