"""The Sparkplug B 3.0 host application's view of the edge nodes: a pure state machine, no I/O.

`HostApplication.handle(topic, payload)` returns the JSON-ready record lotline stores for the message and
the commands to publish (rebirth requests). It keeps, per edge node (and per device):
- the alias -> name and name -> datatype tables from NBIRTH/DBIRTH, to resolve NDATA/DDATA metrics sent by
  alias only (and without datatype);
- online/offline: NBIRTH/DBIRTH set online; NDEATH sets the node and its devices offline only when its bdSeq
  matches the bdSeq of the node's current NBIRTH (an older session's late death is reported as stale);
- the message sequence number (0-255, wrapping): a gap, a message from a node never seen born, or an alias
  not in the birth triggers an NCMD `Node Control/Rebirth` request, at most one per `rebirth_interval`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from lotline.connectors.sparkplug import records
from lotline.connectors.sparkplug.model import DataType, Metric, Payload, Raw
from lotline.connectors.sparkplug.topics import Topic, node_topic
from lotline.connectors.sparkplug.values import from_wire

REBIRTH = "Node Control/Rebirth"
BD_SEQ = "bdSeq"
DATA_TYPES = frozenset({"NBIRTH", "NDATA", "NDEATH", "DBIRTH", "DDATA", "DDEATH"})


@dataclass(slots=True)
class Tables:
    """Metric names by alias and datatypes by name, as declared in a birth certificate."""

    names: dict[int, str] = field(default_factory=dict)
    types: dict[str, DataType] = field(default_factory=dict)

    def learn(self, metrics: tuple[Metric, ...]) -> None:
        for m in metrics:
            if m.name is None:
                continue
            if m.alias is not None:
                self.names[m.alias] = m.name
            if m.datatype is not None:
                self.types[m.name] = m.datatype


@dataclass(slots=True)
class Device:
    online: bool = False
    tables: Tables = field(default_factory=Tables)


@dataclass(slots=True)
class Node:
    online: bool = False
    born: bool = False
    bd_seq: int | None = None
    seq: int | None = None
    tables: Tables = field(default_factory=Tables)
    devices: dict[str, Device] = field(default_factory=dict)
    rebirth_at: float | None = None  # clock() of the last rebirth request


@dataclass(frozen=True, slots=True)
class Command:
    """A message to publish: NCMD/DCMD are QoS 0, not retained (Sparkplug 3.0)."""

    topic: str
    payload: Payload


@dataclass(frozen=True, slots=True)
class Outcome:
    record: dict[str, Any] | None
    commands: tuple[Command, ...] = ()


class HostApplication:
    def __init__(
        self,
        host_id: str,
        *,
        rebirth_interval: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
        now_ms: Callable[[], int] = lambda: time.time_ns() // 1_000_000,
    ) -> None:
        self.host_id = host_id
        self.rebirth_interval = rebirth_interval
        self._clock = clock
        self._now_ms = now_ms
        self.nodes: dict[tuple[str, str], Node] = {}

    def node(self, group_id: str, edge_node_id: str) -> Node:
        return self.nodes.setdefault((group_id, edge_node_id), Node())

    def handle(self, topic: Topic, payload: Payload) -> Outcome:
        kind = topic.message_type
        if kind not in DATA_TYPES:
            return Outcome(None)  # STATE and commands are not data
        node = self.node(topic.group_id, topic.edge_node_id)
        gap: dict[str, int] | None = None
        stale = False
        need_rebirth = False
        if kind == "NBIRTH":
            bd = _bd_seq(payload)
            node.online, node.born, node.bd_seq, node.seq = True, True, bd, payload.seq
            node.tables = Tables()
            node.tables.learn(payload.metrics)
            for d in node.devices.values():
                d.online = False  # devices are born again after their node
            node.rebirth_at = None
        elif kind == "NDEATH":
            bd = _bd_seq(payload)
            stale = node.bd_seq is not None and bd is not None and bd != node.bd_seq
            if not stale:
                node.online = False
                for d in node.devices.values():
                    d.online = False
        else:
            gap = self._sequence(node, payload.seq)
            need_rebirth = gap is not None or not node.born or not node.online
        device = node.devices.setdefault(topic.device_id, Device()) if topic.device_id is not None else None
        if device is not None:
            if kind == "DBIRTH":
                device.online = True
                device.tables = Tables()
                device.tables.learn(payload.metrics)
            elif kind == "DDEATH":
                device.online = False
            elif kind == "DDATA" and not device.online:
                need_rebirth = True
        metrics = []
        for m in payload.metrics:
            name, datatype, value = self._resolve(m, node, device)
            need_rebirth = need_rebirth or name is None
            metrics.append(records.metric(_with_value(m, value), name, datatype))
        commands = self._rebirth(topic, node) if need_rebirth else ()
        record = {
            "group_id": topic.group_id,
            "edge_node_id": topic.edge_node_id,
            "device_id": topic.device_id,
            "message_type": kind,
            "timestamp": payload.timestamp,
            "seq": payload.seq,
            "bd_seq": _bd_seq(payload) if kind in ("NBIRTH", "NDEATH") else None,
            "online": device.online if device is not None else node.online,
            "stale": stale,
            "seq_gap": gap,
            "rebirth_requested": bool(commands),
            "metrics": metrics,
        }
        return Outcome(record, commands)

    def _sequence(self, node: Node, seq: int | None) -> dict[str, int] | None:
        """Record the message's seq; a gap ({"expected": e, "received": r}) when it is not last + 1 mod 256."""
        if seq is None:
            return None
        expected = None if node.seq is None else (node.seq + 1) % 256
        node.seq = seq
        if expected is not None and seq != expected:
            return {"expected": expected, "received": seq}
        return None

    def _resolve(
        self, m: Metric, node: Node, device: Device | None
    ) -> tuple[str | None, DataType | None, Any]:
        tables = [device.tables, node.tables] if device is not None else [node.tables]
        name = m.name
        if name is None and m.alias is not None:
            name = next((t.names[m.alias] for t in tables if m.alias in t.names), None)
        datatype = m.datatype
        if datatype is None and name is not None:
            datatype = next((t.types[name] for t in tables if name in t.types), None)
        value = m.value
        if isinstance(value, Raw) and datatype is not None and value.field != "extension_value":
            value = from_wire(value.value, datatype)
        return name, datatype, value

    def _rebirth(self, topic: Topic, node: Node) -> tuple[Command, ...]:
        now = self._clock()
        if node.rebirth_at is not None and now - node.rebirth_at < self.rebirth_interval:
            return ()
        node.rebirth_at = now
        request = Payload(
            timestamp=self._now_ms(), metrics=(Metric(name=REBIRTH, datatype=DataType.Boolean, value=True),)
        )
        return (Command(node_topic(topic.group_id, "NCMD", topic.edge_node_id), request),)


def _bd_seq(payload: Payload) -> int | None:
    m = payload.metric(BD_SEQ)
    if m is None or m.value is None:
        return None
    value = m.value.value if isinstance(m.value, Raw) else m.value
    return int(value) if isinstance(value, int) else None


def _with_value(m: Metric, value: Any) -> Metric:
    return (
        m
        if value is m.value
        else Metric(
            m.name,
            m.alias,
            m.datatype,
            value,
            m.timestamp,
            m.is_historical,
            m.is_transient,
            m.is_null,
            m.properties,
        )
    )
