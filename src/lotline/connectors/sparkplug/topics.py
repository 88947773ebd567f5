"""Sparkplug B 3.0 topic names: `spBv1.0/<group>/<type>/<edge node>[/<device>]` and `spBv1.0/STATE/<host>`."""

from __future__ import annotations

from dataclasses import dataclass

NAMESPACE = "spBv1.0"
NODE_TYPES = frozenset({"NBIRTH", "NDEATH", "NDATA", "NCMD"})
DEVICE_TYPES = frozenset({"DBIRTH", "DDEATH", "DDATA", "DCMD"})


class TopicError(ValueError):
    """Not a Sparkplug B topic."""


@dataclass(frozen=True, slots=True)
class Topic:
    message_type: str
    group_id: str = ""
    edge_node_id: str = ""
    device_id: str | None = None
    host_id: str | None = None  # STATE only

    def __str__(self) -> str:
        if self.message_type == "STATE":
            return state_topic(self.host_id or "")
        return node_topic(self.group_id, self.message_type, self.edge_node_id, self.device_id)


def parse(topic: str) -> Topic:
    parts = topic.split("/")
    if len(parts) < 3 or parts[0] != NAMESPACE:
        raise TopicError(f"{topic!r} is not in the {NAMESPACE} namespace")
    if parts[1] == "STATE":
        if len(parts) != 3 or not parts[2]:
            raise TopicError(f"{topic!r}: a STATE topic is {NAMESPACE}/STATE/<host id>")
        return Topic("STATE", host_id=parts[2])
    group, kind, rest = parts[1], parts[2], parts[3:]
    if kind in NODE_TYPES and len(rest) == 1 and group and rest[0]:
        return Topic(kind, group, rest[0])
    if kind in DEVICE_TYPES and len(rest) == 2 and group and all(rest):
        return Topic(kind, group, rest[0], rest[1])
    raise TopicError(f"{topic!r} is not {NAMESPACE}/<group>/<message type>/<edge node>[/<device>]")


def node_topic(group_id: str, message_type: str, edge_node_id: str, device_id: str | None = None) -> str:
    tail = f"/{device_id}" if device_id is not None else ""
    return f"{NAMESPACE}/{group_id}/{message_type}/{edge_node_id}{tail}"


def state_topic(host_id: str) -> str:
    return f"{NAMESPACE}/STATE/{host_id}"
