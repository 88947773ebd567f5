"""Connectors: one module per external system, all with the shape of `lotline.connectors.base`."""

from lotline.connectors.base import (
    Ack,
    Check,
    ConnectorConfig,
    ConnectorSpec,
    Lifecycle,
    Message,
    Outbound,
    SendResult,
    Sink,
    Source,
    Wrapping,
)
from lotline.connectors.registry import MissingExtra, Registry, UnknownConnector, require

__all__ = [
    "Ack",
    "Check",
    "ConnectorConfig",
    "ConnectorSpec",
    "Lifecycle",
    "Message",
    "MissingExtra",
    "Outbound",
    "Registry",
    "SendResult",
    "Sink",
    "Source",
    "UnknownConnector",
    "Wrapping",
    "require",
]
