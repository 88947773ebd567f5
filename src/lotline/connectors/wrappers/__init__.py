"""The wrappers every connector gets from the engine instead of writing its own: retry with backoff and
jitter, batching, circuit breaking, dead-lettering. Time and randomness are injected everywhere."""

from lotline.connectors.wrappers.batching import Batcher, BatchPolicy, chunks, collect
from lotline.connectors.wrappers.breaker import Breakers, CircuitBreaker, CircuitOpen, State
from lotline.connectors.wrappers.deadletter import DeadLetter, Park, describe
from lotline.connectors.wrappers.retry import TRANSIENT, RetryExhausted, RetryPolicy, retry
from lotline.connectors.wrappers.sinks import (
    BreakerSink,
    ChunkingSink,
    DeadLetteringSink,
    RetryingSink,
    resilient,
)

__all__ = [
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
]
