"""A simulated filling line as a real OPC UA server (asyncua), for tests, demos and connector development.

Address space (namespace `NAMESPACE`, string node ids so they survive restarts):

    Objects/FillingLine                      object
    Objects/FillingLine/Filler               object, emits events (EventNotifier = SubscribeToEvents)
        GoodCount              UInt32        ns=<idx>;s=Filler.GoodCount
        ScrapCount             UInt32        ns=<idx>;s=Filler.ScrapCount
        MachineState           String        Running | Idle | Down
        StateReason            String        why the filler is Idle or Down ("" while running)
        CurrentLot             String        the lot id at the filler
        ProductTemperature     Double        degrees Celsius
        SterilizerTemperature  Double        degrees Celsius

Events (emitted by the Filler object; subscribe on it): `LotChangeEventType` (LotId,
PreviousLotId) on every lot change, `MachineStateEventType` (State, Reason) on every state change and
`RecordEventType` (Payload, a ByteString) when the caller hands over a record. Event types have string
node ids too (`ns=<idx>;s=LotChangeEventType`).

The simulation is stepped by the caller, never by a clock, so tests are deterministic:

    async with FillingLine() as line:          # 127.0.0.1, a free port
        await line.produce(10, scrap=1)
        await line.change_lot("L124")
        await line.stop()                      # the "server restart": state is kept ...
        await line.produce(5)                  # ... and keeps changing while the server is down
        await line.start()                     # same port, same values and source timestamps

`drop_connections()` cuts the clients off with the server still up (a network blip). With `history=True`
every variable is historized in memory, so HistoryRead works (the history does not outlive a restart).

Values keep their source timestamps across a restart (a real PLC-backed server reports the time the
value changed, not the time it restarted), so a client can tell a restart from a change.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from types import TracebackType
from typing import Any, Self

from asyncua import ua
from asyncua.server.server import Server
from asyncua.ua.object_ids import ObjectIds

from lotline.sim._opcua import Security, Users, data_value, nid, qn, variant
from lotline.sim.ports import free_port

__all__ = ["APPLICATION_URI", "NAMESPACE", "STATES", "FillingLine", "Security"]

NAMESPACE = "urn:lotline:sim:filling-line"
APPLICATION_URI = "urn:lotline:sim:filling-line:server"  # put it in the server certificate's SubjectAltName
STATES = ("Running", "Idle", "Down")
_VARIABLES: tuple[tuple[str, ua.VariantType, Any], ...] = (
    ("GoodCount", ua.VariantType.UInt32, 0),
    ("ScrapCount", ua.VariantType.UInt32, 0),
    ("MachineState", ua.VariantType.String, "Idle"),
    ("StateReason", ua.VariantType.String, "not started"),
    ("CurrentLot", ua.VariantType.String, "L0001"),
    ("ProductTemperature", ua.VariantType.Double, 4.0),
    ("SterilizerTemperature", ua.VariantType.Double, 121.0),
)
_EVENTS: dict[str, tuple[tuple[str, ua.VariantType], ...]] = {
    "LotChangeEventType": (("LotId", ua.VariantType.String), ("PreviousLotId", ua.VariantType.String)),
    "MachineStateEventType": (("State", ua.VariantType.String), ("Reason", ua.VariantType.String)),
    "RecordEventType": (("Payload", ua.VariantType.ByteString),),
}
_log = logging.getLogger(__name__)


class FillingLine:
    """The simulated line. Its state lives in this object, so `stop()`/`start()` is a server restart."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int | None = None,
        *,
        users: Mapping[str, str] | None = None,
        security: Security | None = None,
        history: bool = False,
    ) -> None:
        self.host = host
        self.port = port or free_port(host)
        self.users = dict(users) if users else None
        self.security = security
        self.history = history
        self._values: dict[str, ua.DataValue] = {
            name: data_value(value, vtype) for name, vtype, value in _VARIABLES
        }
        self._server: Server | None = None
        self._ns = 0
        self.events_sent: list[tuple[str, dict[str, Any]]] = []

    @property
    def endpoint(self) -> str:
        return f"opc.tcp://{self.host}:{self.port}/lotline/filling-line/"

    @property
    def running(self) -> bool:
        return self._server is not None

    def node_id(self, name: str) -> str:
        """The node id string of a Filler variable (`GoodCount`, ...) as clients should configure it."""
        return f"nsu={NAMESPACE};s=Filler.{name}"

    def value(self, name: str) -> Any:
        return variant(self._values[name]).Value

    def data_value(self, name: str) -> ua.DataValue:
        return self._values[name]

    async def start(self) -> None:
        if self._server is not None:
            return
        server = Server(user_manager=Users(self.users) if self.users is not None else None)
        await server.init()
        server.set_endpoint(self.endpoint)
        server.set_server_name("lotline simulated filling line")
        await server.set_application_uri(APPLICATION_URI)
        server.disable_clock()  # no ServerStatus.CurrentTime ticker: stop() returns at once instead of ~1 s
        await self._secure(server)
        self._ns = await server.register_namespace(NAMESPACE)
        await self._build(server)
        if self.history:
            await self._historize(server)
        await server.start()
        self._server = server
        _log.info("filling line simulator listening on %s", self.endpoint)

    async def stop(self) -> None:
        """Stop the server (all sessions and subscriptions die); the line's state is kept."""
        server, self._server = self._server, None
        if server is not None:
            await server.stop()

    async def drop_connections(self) -> int:
        """Cut every client connection, server still up (a network blip); returns how many were cut.
        Sessions and subscriptions stay on the server until they time out, as after a real cut."""
        if self._server is None:
            return 0
        transports = list(self._server.iserver.asyncio_transports)
        for transport in transports:
            transport.close()
        return len(transports)

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    # -- stepping the simulation ------------------------------------------------------------------

    async def produce(self, good: int, scrap: int = 0) -> None:
        """Fill `good` good and `scrap` rejected containers (each counter changes once)."""
        if good:
            await self._set("GoodCount", self.value("GoodCount") + good)
        if scrap:
            await self._set("ScrapCount", self.value("ScrapCount") + scrap)

    async def change_lot(self, lot_id: str) -> None:
        previous = self.value("CurrentLot")
        await self._set("CurrentLot", lot_id)
        await self._event(
            "LotChangeEventType", f"lot change {previous} -> {lot_id}", LotId=lot_id, PreviousLotId=previous
        )

    async def set_state(self, state: str, reason: str = "") -> None:
        if state not in STATES:
            raise ValueError(f"unknown machine state {state!r}; expected one of {', '.join(STATES)}")
        await self._set("StateReason", reason)
        await self._set("MachineState", state)
        await self._event(
            "MachineStateEventType", f"filler {state}: {reason}".rstrip(": "), State=state, Reason=reason
        )

    async def publish_record(self, payload: bytes) -> None:
        """Raise a RecordEventType event whose Payload field carries `payload` (a PLC handing over a
        structured record, e.g. a label or a batch report, as one event)."""
        await self._event("RecordEventType", "record", Payload=ua.Variant(payload, ua.VariantType.ByteString))

    async def set_temperatures(self, product: float | None = None, sterilizer: float | None = None) -> None:
        if product is not None:
            await self._set("ProductTemperature", float(product))
        if sterilizer is not None:
            await self._set("SterilizerTemperature", float(sterilizer))

    # -- machinery --------------------------------------------------------------------------------

    async def _set(self, name: str, value: Any) -> None:
        vtype = variant(self._values[name]).VariantType
        self._values[name] = dv = data_value(value, vtype)
        if self._server is not None:
            await self._server.get_node(nid(f"Filler.{name}", self._ns)).write_value(dv)

    async def _event(self, etype: str, message: str, **fields: Any) -> None:
        self.events_sent.append((etype, fields))
        if self._server is None:
            return  # events while the server is down are gone: nobody could have seen them
        gen = await self._server.get_event_generator(
            nid(etype, self._ns), emitting_node=nid("Filler", self._ns)
        )
        for key, value in fields.items():
            setattr(gen.event, key, value)
        await gen.trigger(message=message)

    async def _secure(self, server: Server) -> None:
        policies = [ua.SecurityPolicyType.NoSecurity]
        if self.security is not None:
            await server.load_certificate(str(self.security.certificate))
            await server.load_private_key(str(self.security.private_key))
            secure = [
                ua.SecurityPolicyType.Basic256Sha256_SignAndEncrypt,
                ua.SecurityPolicyType.Basic256Sha256_Sign,
            ]
            policies = secure + (policies if self.security.allow_none else [])
        server.set_security_policy(policies)
        tokens: list[type] = (
            [ua.UserNameIdentityToken] if self.users is not None else [ua.AnonymousIdentityToken]
        )
        if self.security is not None:
            tokens.append(ua.X509IdentityToken)
        server.set_identity_tokens(tokens)

    async def _historize(self, server: Server) -> None:
        """Record every variable's changes in the server's (in-memory) history, so HistoryRead works."""
        names = [name for name, _vtype, _default in _VARIABLES]
        await server.historize_node_data_change(
            [server.get_node(nid(f"Filler.{n}", self._ns)) for n in names]
        )

    async def _build(self, server: Server) -> None:
        ns = self._ns
        line = await server.nodes.objects.add_object(nid("FillingLine", ns), qn("FillingLine", ns))
        filler = await line.add_object(nid("Filler", ns), qn("Filler", ns))
        await filler.set_event_notifier([ua.EventNotifier.SubscribeToEvents])
        for name, _vtype, _default in _VARIABLES:
            dv = self._values[name]
            var = await filler.add_variable(
                nid(f"Filler.{name}", ns),
                qn(name, ns),
                variant(dv).Value,
                variant(dv).VariantType,
            )
            await var.write_value(dv)
        base = server.get_node(ObjectIds.BaseEventType)
        for etype, fields in _EVENTS.items():
            node = await base.add_object_type(nid(etype, ns), qn(etype, ns))
            for field, vtype in fields:
                await node.add_property(
                    nid(f"{etype}.{field}", ns), qn(field, ns), ua.get_default_value(vtype), vtype
                )
