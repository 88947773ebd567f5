"""Holding off Python's garbage collector during work over the trace index that makes many objects.

The index is frozen out of the collector's sight after it is built (`gc.freeze`), so the collector's oldest
generation is small and a full collection comes after every ten collections of the middle one: several a
second while traces run back to back. Each walks every container object not frozen, and during a snapshot
retake or a completeness check that is the millions of list and dict entries they are making (0.1-0.3 s for
a retake at a million events, every thread waiting). `full_collections_held` keeps full collections off
until such work is done; the young generations are still collected.

A trace or a recall holds every collection off (`collections_held`): the thousands of dicts and lists of its
result live until the result is sent, so each young collection meanwhile walks them and frees nothing (a
tenth of a forward trace from a lot, about 30 ms of a recall). What they make holds no cycles, and
reference counting frees it.

Both are counted: the collector is as it was once the last holder leaves, also when its work failed.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_NEVER = 1 << 30  # a threshold of the oldest generation that is not reached
_lock = threading.Lock()
_holders = {"full": 0, "all": 0}
_thresholds = (0, 0, 0)  # as they were before the first holder came


@contextmanager
def full_collections_held() -> Iterator[None]:
    """No full collection while any thread is inside (long work: a retake, a completeness check)."""
    with _held("full"):
        yield


@contextmanager
def collections_held() -> Iterator[None]:
    """No automatic collection at all while any thread is inside (short work: a trace, a recall)."""
    with _held("all"):
        yield


@contextmanager
def _held(kind: str) -> Iterator[None]:
    global _thresholds
    with _lock:
        if not any(_holders.values()):
            _thresholds = gc.get_threshold()
        _holders[kind] += 1
        _apply()
    try:
        yield
    finally:
        with _lock:
            _holders[kind] -= 1
            _apply()


def _apply() -> None:
    young, middle, old = _thresholds
    if _holders["all"]:
        gc.set_threshold(0, middle, old)  # a young threshold of 0 turns automatic collection off
    elif _holders["full"]:
        gc.set_threshold(young, middle, _NEVER)
    else:
        gc.set_threshold(young, middle, old)
