"""key -> values for tables where most keys have one value: the batch of a `HashIndex` (the trace index's
per-node tables are `NodeLists`: a slot a node)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class Multimap(Generic[K, V]):
    """key -> values, for tables where most keys have one value (a hash on one row): a single value is
    stored as it is, and only a second makes a list (a list for every key costs 88 bytes more). `get`
    returns a sequence either way; values must not be lists themselves."""

    __slots__ = ("_table",)

    def __init__(self) -> None:
        self._table: dict[K, V | list[V]] = {}

    def get(self, key: K, default: Sequence[V] = ()) -> Sequence[V]:
        found = self._table.get(key)
        if found is None:
            return default
        return found if type(found) is list else (found,)  # type: ignore[return-value]

    def add(self, key: K, value: V) -> None:
        table = self._table
        found = table.get(key)
        if found is None:
            table[key] = value
        elif type(found) is list:
            found.append(value)
        else:
            table[key] = [found, value]  # type: ignore[list-item]

    def copy(self) -> Multimap[K, V]:
        """A copy whose table no longer grows with this one (the lists of repeated keys are still shared)."""
        other: Multimap[K, V] = Multimap()
        other._table = self._table.copy()
        return other

    def __iter__(self) -> Iterator[K]:
        return iter(self._table)

    def __len__(self) -> int:
        return len(self._table)

    def __contains__(self, key: object) -> bool:
        return key in self._table
