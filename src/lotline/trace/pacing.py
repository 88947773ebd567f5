"""Long work over the trace index that lets traces go first: a pause every `PACE` items.

A snapshot retake and the completeness check run for seconds to minutes beside traces in one process.
Python runs one thread at a time, and a thread that keeps running gets the interpreter back for a whole
switch interval (5 ms) every time a trace hands it over (at every numpy call and query), so a trace of a
few milliseconds took hundreds. Their long loops therefore call a `pause` before every `PACE` items:
`TraceIndex.give_way`, which waits there while a trace or recall is in progress.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from typing import TypeVar

PACE = 1024
T = TypeVar("T")
Pause = Callable[[], None]


def paced(items: Iterable[T], pause: Pause | None) -> Iterable[T]:
    """`items`, with `pause()` called before every `PACE` of them (as they are, without a pause)."""
    return items if pause is None else _pacing(iter(items), pause)


def _pacing(items: Iterator[T], pause: Pause) -> Iterator[T]:
    while chunk := list(islice(items, PACE)):
        pause()
        yield from chunk
