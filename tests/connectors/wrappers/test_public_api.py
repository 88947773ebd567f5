"""The wrappers' public surface is pinned: changing it is a decision, not an accident."""

from __future__ import annotations

import lotline.connectors.wrappers as wrappers


def test_public_api() -> None:
    assert set(wrappers.__all__) == {
        "TRANSIENT",
        "BatchPolicy",
        "Batcher",
        "BreakerSink",
        "Breakers",
        "ChunkingSink",
        "CircuitBreaker",
        "CircuitOpen",
        "DeadLetter",
        "DeadLetteringSink",
        "Park",
        "RetryExhausted",
        "RetryPolicy",
        "RetryingSink",
        "State",
        "chunks",
        "collect",
        "describe",
        "resilient",
        "retry",
    }
    for name in wrappers.__all__:
        assert hasattr(wrappers, name), name
