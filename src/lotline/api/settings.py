"""Server settings, from arguments or `LOTLINE_*` environment variables."""

from __future__ import annotations

import os
from dataclasses import dataclass, field


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError:
        raise SystemExit(f"{name} must be a whole number, got {raw!r}") from None


@dataclass(frozen=True)
class Settings:
    capture_limit: int = field(default_factory=lambda: _env_int("LOTLINE_CAPTURE_LIMIT", 10_000))
    capture_file_size_limit: int = field(
        default_factory=lambda: _env_int("LOTLINE_CAPTURE_FILE_SIZE_LIMIT", 20 * 1024 * 1024)
    )
    # Build the trace index in the background as the app starts (`lotline serve` does; tests and embedded
    # apps build it on the first trace)
    warm_trace_index: bool = False
