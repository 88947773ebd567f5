"""The options every ERP connector's config shares, declared once: type, bounds and description as reusable
field types. A config writes the default beside the field (`poll_interval: PollInterval = 30.0`).

Field types rather than a base model: pydantic puts a base model's fields first, and each config keeps its
own field order, so the option tables in docs/connectors.md read as before (connection, then polling, then
writing). `PollingOptions` is what the polling source reads from any of these configs.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Protocol

from pydantic import Field

SourceName = Annotated[str, Field(description="The source name stamped on every message read.")]
PollInterval = Annotated[float, Field(gt=0, description="Seconds between polls when idle.")]
OverlapSeconds = Annotated[
    float,
    Field(
        ge=0,
        description="Each poll reaches this far behind the watermark, so records committed late with an older "
        "change time are still read; what was read in the window is recognised and skipped.",
    ),
]
PositionFile = Annotated[
    Path | None,
    Field(description="JSON file keeping the acknowledged watermark per feed across restarts."),
]
Timeout = Annotated[float, Field(gt=0, description="Seconds per HTTP request.")]
RetryAttempts = Annotated[int, Field(ge=1, description="Attempts per poll request on 429, 5xx, no answer.")]


class PollingOptions(Protocol):
    """The options of an ERP config that `PollingSource` reads."""

    @property
    def name(self) -> str: ...

    @property
    def feeds(self) -> Sequence[str]: ...

    @property
    def since(self) -> str | None: ...

    @property
    def poll_interval(self) -> float: ...

    @property
    def overlap_seconds(self) -> float: ...

    @property
    def position_file(self) -> Path | None: ...

    @property
    def retry_attempts(self) -> int: ...
