"""How the trace index asks the C library's allocator for memory (glibc's malloc; nothing elsewhere).

A build appends to hundreds of growing arrays and makes and drops numpy temporaries by the million. glibc
serves blocks of up to its mmap threshold from one heap, and raises that threshold (to 32 MiB) the first
time a large mapped block is freed: from then on the arrays grow inside the heap, each move leaving a hole
that later small objects pin. At a million events that left 145-165 MB of free heap that `malloc_trim`
could not return, and raised the build's peak as much. `large_blocks_apart` keeps blocks of 128 KiB and
more in mappings of their own during a build (a growing one moves with `mremap`, without copying; a freed
one goes back to the system at once); `give_back_memory` trims what the build left.
"""

from __future__ import annotations

import ctypes
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

_M_TRIM_THRESHOLD = -1  # mallopt parameters (malloc.h)
_M_MMAP_THRESHOLD = -3
_APART = 128 * 1024  # glibc's initial threshold
_SERVING = 32 * 1024 * 1024  # glibc's ceiling for the threshold it adjusts itself (64-bit)
_KEEP = 2 * _SERVING  # free space kept at the top of the heap once serving: what glibc pairs with _SERVING

_libc: Any = None  # the C library if it is glibc, False otherwise


def _glibc() -> Any:
    global _libc
    if _libc is None:
        try:
            libc = ctypes.CDLL(None)
            _libc = libc if hasattr(libc, "mallopt") and hasattr(libc, "malloc_trim") else False
        except OSError:
            _libc = False
    return _libc


@contextmanager
def large_blocks_apart() -> Iterator[None]:
    """Around a build: blocks of 128 KiB and more in mappings of their own. After it, the thresholds are set
    where glibc would have raised them itself (blocks apart from 32 MiB, up to 64 MiB of free space kept at
    the top of the heap), so that traces' numpy temporaries are served from the heap without a system call
    and page faults each. (Setting one threshold stops glibc adjusting either: left at 128 KiB, the heap
    was shrunk and grown again around every temporary, and traces took half as long again.)"""
    libc = _glibc()
    if libc:
        libc.mallopt(_M_MMAP_THRESHOLD, _APART)
    try:
        yield
    finally:
        if libc:
            libc.mallopt(_M_MMAP_THRESHOLD, _SERVING)
            libc.mallopt(_M_TRIM_THRESHOLD, _KEEP)


def give_back_memory() -> None:
    """Hand the memory freed after a build back to the system (glibc's `malloc_trim`): the build's passing
    objects (a batch of events, the snapshot's sort of every identifier) leave free space in the
    allocator's heap, counted in the process's RSS until it is trimmed. Nothing where the C library is
    not glibc."""
    libc = _glibc()
    if libc:
        libc.malloc_trim(0)
