"""One OPC UA session with its subscription: connect, resolve the nodes, subscribe, hand out changes.

A Session lives until its connection dies; then `next()` raises SessionLost and the source makes a new
one. asyncua's own auto-reconnect is left off: the source decides when and how to resubscribe, so it can
compare what the new subscription reports with what it already delivered (see `_source`).
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict, deque
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from asyncua import ua
from asyncua.client.client import Client
from asyncua.common.node import Node
from asyncua.common.subscription import (
    DataChangeEvent,
    OpcEvent,
    OverflowPolicy,
    StatusChangeEvent,
    Subscription,
)
from asyncua.ua.uaerrors import UaError, UaStatusCodeError

from lotline.connectors.opcua._config import EventSourceConfig, NodeConfig, OpcuaConfig
from lotline.connectors.opcua._errors import OpcuaError, SessionLost
from lotline.connectors.opcua._payload import Change, Occurrence
from lotline.connectors.opcua._security import configure_identity, configure_security
from lotline.connectors.opcua._values import to_change, to_occurrence

_log = logging.getLogger(__name__)
# What ends a session or stops a new one: the source retries these with backoff.
RETRYABLE: tuple[type[BaseException], ...] = (OSError, asyncio.TimeoutError, UaError, OpcuaError)


class Session:
    """Connected client, subscription and the map from monitored items back to configured names."""

    def __init__(self, config: OpcuaConfig) -> None:
        self.config = config
        self.client: Client | None = None
        self._sub: Subscription | None = None
        self._nodes: dict[ua.NodeId, tuple[str, str]] = {}  # node id -> (key, browse name)
        self._events: dict[int, EventSourceConfig] = {}  # monitored item handle -> event source
        self._reported: set[ua.NodeId] = set()  # nodes whose first report (the current value) has come
        self._backlog: deque[Change] = deque()  # history read after a reconnect, delivered first

    async def open(self, since: Mapping[str, datetime] | None = None) -> None:
        """Connect and subscribe; raises OpcuaError with what to fix when that is not possible.

        `since`: per node, the source timestamp of the last value delivered. Nodes with `history` first
        get what their history holds after it, read before subscribing so that nothing falls between
        the history and the subscription's first report."""
        cfg = self.config
        client = Client(cfg.endpoint, timeout=cfg.request_timeout_s, watchdog_intervall=cfg.keepalive_s)
        client.session_timeout = int(cfg.session_timeout_s * 1000)
        self.client = client
        await configure_security(client, cfg)
        await configure_identity(client, cfg)
        try:
            await client.connect()
        except (TimeoutError, OSError) as exc:
            raise OpcuaError(
                f"cannot reach the OPC UA server at {cfg.endpoint}: {exc or type(exc).__name__}"
            ) from exc
        except UaStatusCodeError as exc:
            raise OpcuaError(f"the OPC UA server at {cfg.endpoint} refused the session: {exc}") from exc
        namespaces = await client.get_namespace_array()
        nodes = [(n, await self._resolve(client, n, namespaces)) for n in cfg.nodes]
        for config, target in nodes:
            if config.history and since and config.key in since:
                await self._read_history(config, target, since[config.key])
        sub = await client.create_subscription(
            cfg.publishing_interval_ms,
            None,
            queue_maxsize=cfg.max_buffered,
            overflow=OverflowPolicy.DISCONNECT,
        )
        self._sub = sub
        await self._monitor_values(sub, nodes)
        for source in cfg.events:
            notifier = client.get_node(_node_id(source.node_id, namespaces, source.key))
            types = [_node_id(t, namespaces, source.key) for t in source.event_types]
            try:
                handle = await sub.subscribe_events(notifier, types, queuesize=source.queue_size)
            except UaStatusCodeError as exc:
                raise OpcuaError(
                    f"events {source.key!r}: cannot subscribe to {source.node_id}: {exc}"
                ) from exc
            self._events[handle] = source

    async def _resolve(self, client: Client, node: NodeConfig, namespaces: list[str]) -> Node:
        default_ns = node.namespace or self.config.namespace
        if node.node_id is not None:
            target = client.get_node(_node_id(node.node_id, namespaces, node.key))
        else:
            path = [
                _qualified(part, namespaces, default_ns, node.key)
                for part in (node.browse_path or "").split("/")
            ]
            try:
                target = await client.nodes.objects.get_child(path)
            except UaStatusCodeError as exc:
                raise OpcuaError(
                    f"node {node.key!r}: browse path {node.browse_path!r} not found: {exc}"
                ) from exc
        try:
            name = await target.read_browse_name()
        except UaStatusCodeError as exc:
            raise OpcuaError(
                f"node {node.key!r}: {target.nodeid.to_string()} is not on the server: {exc}"
            ) from exc
        if target.nodeid in self._nodes:
            other = self._nodes[target.nodeid][0]
            raise OpcuaError(
                f"nodes {other!r} and {node.key!r} are the same node ({target.nodeid.to_string()})"
            )
        self._nodes[target.nodeid] = (node.key, name.to_string())
        return target

    async def _read_history(self, config: NodeConfig, target: Node, since: datetime) -> None:
        try:
            values = await target.read_raw_history(since, datetime.now(UTC), return_bounds=False)
        except UaStatusCodeError as exc:
            _log.warning(
                "node %r: no history to catch up from (%s); only its current value is read", config.key, exc
            )
            return
        key, browse_name = self._nodes[target.nodeid]
        for dv in values:
            if dv.SourceTimestamp is not None and dv.SourceTimestamp > since:
                self._backlog.append(to_change(key, target.nodeid.to_string(), browse_name, dv))

    async def _monitor_values(self, sub: Subscription, nodes: list[tuple[NodeConfig, Node]]) -> None:
        groups: dict[tuple[float, int], list[tuple[NodeConfig, Node]]] = defaultdict(list)
        for config, target in nodes:
            groups[(config.sampling_interval_ms, config.queue_size)].append((config, target))
        for (sampling, queue), members in groups.items():
            results = await sub.subscribe_data_change(
                [target for _, target in members], queuesize=queue, sampling_interval=ua.Double(sampling)
            )
            for (config, _), result in zip(members, results, strict=True):
                if isinstance(result, ua.StatusCode):
                    raise OpcuaError(f"node {config.key!r}: the server refused to monitor it: {result.name}")

    async def next(self) -> Change | Occurrence:
        """The next change or event; raises SessionLost when the session or subscription died."""
        assert self._sub is not None and self.client is not None
        if self._backlog:
            return self._backlog.popleft()
        while True:
            event = await self._sub.next_event(timeout=self.config.keepalive_s)
            if event is None:
                if self.client.uaclient.state.name != "CONNECTED":
                    raise SessionLost(f"connection to {self.config.endpoint} lost")
                continue
            if isinstance(event, DataChangeEvent):
                node_id = event.node.nodeid
                key, browse_name = self._nodes[node_id]
                first = node_id not in self._reported
                self._reported.add(node_id)
                return to_change(
                    key, node_id.to_string(), browse_name, event.data.monitored_item.Value, first
                )
            if isinstance(event, OpcEvent):
                source = self._events.get(event.event.server_handle or -1)
                if source is None:
                    continue
                return to_occurrence(source.key, event.event, source.payload_field)
            if isinstance(event, StatusChangeEvent) and not event.notification.Status.is_good():
                raise SessionLost(
                    f"subscription on {self.config.endpoint} ended: {event.notification.Status.name}"
                )

    async def close(self) -> None:
        client, self.client = self.client, None
        if client is None:
            return
        try:
            await asyncio.wait_for(client.disconnect(), self.config.request_timeout_s)
        except Exception as exc:  # a dead connection cannot be closed politely; drop it
            _log.debug("closing the OPC UA session: %r", exc)
            client.disconnect_socket()


def _node_id(text: str, namespaces: list[str], key: str) -> ua.NodeId:
    try:
        node_id = ua.NodeId.from_string(text)
    except (ValueError, UaError) as exc:
        raise OpcuaError(
            f"{key!r}: {text!r} is not a node id ('ns=2;s=Name', 'nsu=urn:...;i=5'): {exc}"
        ) from exc
    uri: Any = getattr(node_id, "NamespaceUri", None)
    if uri:
        if uri not in namespaces:
            raise OpcuaError(
                f"{key!r}: namespace {uri!r} is not on the server (it has: {', '.join(namespaces)})"
            )
        return ua.NodeId(node_id.Identifier, ua.Int16(namespaces.index(uri)), node_id.NodeIdType)
    return node_id


def _qualified(part: str, namespaces: list[str], default_ns: str | None, key: str) -> ua.QualifiedName:
    prefix, sep, name = part.partition(":")
    if sep and prefix.isdigit():
        return ua.QualifiedName(name, ua.UInt16(int(prefix)))
    if default_ns is None:
        return ua.QualifiedName(part)
    if default_ns not in namespaces:
        raise OpcuaError(f"node {key!r}: namespace {default_ns!r} is not on the server")
    return ua.QualifiedName(part, ua.UInt16(namespaces.index(default_ns)))
