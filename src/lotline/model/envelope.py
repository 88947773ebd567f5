"""The CloudEvents 1.0 envelope every message inside lotline travels in.

Required attributes: `id`, `source`, `type` (`specversion` is always "1.0"); optional `time`, `subject`,
`datacontenttype` and `data`; lotline's extension attributes are `plant`, `correlationid` (follows an
order or lot across systems) and `traceparent` (W3C trace context). Extension names are lower-case
letters and digits, as CloudEvents 1.0 requires. `to_json()` gives the structured-mode JSON form.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["CloudEvent"]


class CloudEvent(BaseModel):
    """One CloudEvents 1.0 envelope (structured JSON mode)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    specversion: Literal["1.0"] = "1.0"
    id: str = Field(min_length=1, description="Unique per source; deterministic for a given input.")
    source: str = Field(min_length=1, description="URI-reference of the producing system or connector.")
    type: str = Field(min_length=1, description="Reverse-DNS event type, e.g. io.lotline.equipment.state.v1.")
    time: str | None = Field(default=None, description="RFC 3339 time the occurrence happened.")
    subject: str | None = Field(default=None, description="What the event is about (order, equipment, lot).")
    datacontenttype: str | None = "application/json"
    data: dict[str, Any] | None = None
    plant: str | None = Field(default=None, description="Extension: the plant the event comes from.")
    correlationid: str | None = Field(
        default=None, description="Extension: follows an order or lot across systems."
    )
    traceparent: str | None = Field(
        default=None, description="Extension: W3C trace context of the producing span."
    )

    def to_json(self) -> dict[str, Any]:
        """The envelope as a JSON object, without unset optional attributes."""
        return self.model_dump(exclude_none=True)
