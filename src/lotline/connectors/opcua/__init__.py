"""OPC UA source: subscriptions to data changes and events, with reconnect and resubscribe (extra `opcua`).

    source = OpcuaSource(OpcuaConfig(endpoint="opc.tcp://plc:4840/", nodes=[{"node_id": "ns=2;s=Count"}]))
    async with source:
        message, ack = await source.read()

See `_source` for the delivery guarantees, `_payload` for the message shape, docs/opcua.md for operators.
asyncua is imported only when a source connects.
"""

from __future__ import annotations

from lotline.connectors.base import ConnectorSpec
from lotline.connectors.opcua._config import (
    Backoff,
    EventSourceConfig,
    NodeConfig,
    OpcuaConfig,
    SecurityMode,
    SecurityPolicy,
)
from lotline.connectors.opcua._errors import OpcuaError, SessionLost
from lotline.connectors.opcua._source import OpcuaSource, OpcuaStats

__all__ = [
    "SPEC",
    "Backoff",
    "EventSourceConfig",
    "NodeConfig",
    "OpcuaConfig",
    "OpcuaError",
    "OpcuaSource",
    "OpcuaStats",
    "SecurityMode",
    "SecurityPolicy",
    "SessionLost",
]

SPEC = ConnectorSpec(
    kind="opcua",
    config=OpcuaConfig,
    summary="OPC UA client: subscriptions to data changes and events, reconnect and resubscribe",
    source=OpcuaSource,
    extra="opcua",
)
