import ctypes

import pytest

from lotline.trace.allocator import give_back_memory, large_blocks_apart


class _MallInfo2(ctypes.Structure):
    _fields_ = [
        (name, ctypes.c_size_t)
        for name in [
            "arena",
            "ordblks",
            "smblks",
            "hblks",
            "hblkhd",
            "usmblks",
            "fsmblks",
            "uordblks",
            "fordblks",
            "keepcost",
        ]
    ]


def _info() -> _MallInfo2:
    libc = ctypes.CDLL(None)
    if not hasattr(libc, "mallinfo2"):
        pytest.skip("not glibc 2.33 or later")
    libc.mallinfo2.restype = _MallInfo2
    return libc.mallinfo2()  # type: ignore[no-any-return]


def _mapped_bytes() -> int:
    """Bytes glibc holds in mappings of their own (mallinfo2().hblkhd); skips where there is no glibc."""
    return int(_info().hblkhd)


def _heap_bytes() -> int:
    """The size of glibc's heap (mallinfo2().arena)."""
    return int(_info().arena)


def test_memory_is_given_back_after_a_build_where_the_c_library_can() -> None:
    give_back_memory()  # glibc's malloc_trim here; nothing elsewhere, and never an error
    give_back_memory()


def test_during_a_build_large_blocks_are_mapped_apart_and_after_it_served_from_the_heap() -> None:
    size = 4 * 1024 * 1024
    with large_blocks_apart():
        before = _mapped_bytes()
        # larger than any free space earlier tests may have left in the heap (which glibc would use first)
        block = bytearray(32 * size)  # freed at once on release: no hole left in the heap
        assert _mapped_bytes() - before >= 32 * size
        del block
    before = _mapped_bytes()
    block = bytearray(size)  # a trace's temporary: from the heap, no system call and page faults
    assert _mapped_bytes() == before
    heap = _heap_bytes()
    del block
    assert _heap_bytes() == heap  # kept for the next one, not handed back and faulted in again
