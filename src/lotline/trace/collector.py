"""Holding off full collections of Python's garbage collector during long work over the trace index.

The index is frozen out of the collector's sight after it is built (`gc.freeze`), so the collector's oldest
generation is small and a full collection comes after every ten collections of the middle one: several a
second while traces run back to back. Each walks every container object not frozen, and during a snapshot
retake or a recall that is the millions of list and dict entries they are making (0.1-0.3 s for a retake
at a million events, every thread waiting; about 30 ms of a 250 ms recall). Those objects hold no cycles and
reference counting frees them, so full collections can wait until the work is done. Collections of the
young generations go on meanwhile.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_NEVER = 1 << 30  # a threshold of the oldest generation that is not reached
_lock = threading.Lock()
_holders = 0
_threshold = 0  # the oldest generation's threshold before the first holder came


@contextmanager
def full_collections_held() -> Iterator[None]:
    """No full collection while any thread is inside (a retake and a recall may overlap); the threshold is
    put back as it was when the last one leaves, also if its work failed."""
    global _holders, _threshold
    with _lock:
        if _holders == 0:
            young, middle, _threshold = gc.get_threshold()
            gc.set_threshold(young, middle, _NEVER)
        _holders += 1
    try:
        yield
    finally:
        with _lock:
            _holders -= 1
            if _holders == 0:
                young, middle, _ = gc.get_threshold()
                gc.set_threshold(young, middle, _threshold)
