"""OpcuaConfig: the options of the OPC UA source (this model is also their documentation)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from pydantic import Field, SecretStr, field_validator, model_validator

from lotline.connectors.base import ConnectorConfig

SERVER_OBJECT = "i=2253"
BASE_EVENT_TYPE = "i=2041"


class SecurityPolicy(StrEnum):
    none = "None"
    basic256sha256 = "Basic256Sha256"
    aes128_sha256_rsaoaep = "Aes128_Sha256_RsaOaep"
    aes256_sha256_rsapss = "Aes256_Sha256_RsaPss"


class SecurityMode(StrEnum):
    none = "None"
    sign = "Sign"
    sign_and_encrypt = "SignAndEncrypt"


class NodeConfig(ConnectorConfig):
    """One variable to monitor for data changes, by node id or by browse path."""

    node_id: str | None = Field(
        default=None,
        description="Node id, e.g. 'ns=2;s=Filler.GoodCount' or, robust to namespace renumbering, "
        "'nsu=urn:vendor:plc;s=Filler.GoodCount' (the namespace URI is resolved after each connect).",
    )
    browse_path: str | None = Field(
        default=None,
        description="Path of browse names from the Objects folder, e.g. 'FillingLine/Filler/GoodCount'. "
        "A name without prefix is in `namespace` (of this node, else of the connector); '3:Name' gives "
        "the namespace index explicitly.",
    )
    namespace: str | None = Field(default=None, description="Namespace URI for unprefixed browse-path names.")
    name: str | None = Field(
        default=None,
        description="Stable name of this node in lotline (message topic and position key). "
        "Defaults to the node id or browse path as written.",
    )
    sampling_interval_ms: float = Field(
        default=100.0,
        ge=-1,
        description="How often the server samples the value (0: as fast as it can, -1: at "
        "the publishing interval).",
    )
    queue_size: int = Field(
        default=10,
        ge=1,
        description="Changes the server keeps per publishing interval (oldest dropped beyond it).",
    )

    history: bool = Field(
        default=False,
        description="After a reconnect, read the server's history of this node (HistoryRead) from the last "
        "delivered value on, and deliver the changes the outage hid. Needs a server that historizes it.",
    )

    @model_validator(mode="after")
    def _one_address(self) -> NodeConfig:
        if (self.node_id is None) == (self.browse_path is None):
            raise ValueError("give exactly one of node_id or browse_path")
        return self

    @property
    def key(self) -> str:
        return self.name or self.node_id or self.browse_path or ""


class EventSourceConfig(ConnectorConfig):
    """One event notifier to subscribe to (the Server object by default) and the event types wanted."""

    node_id: str = Field(
        default=SERVER_OBJECT, description="Node id of the notifier (default: the Server object)."
    )
    event_types: list[str] = Field(
        default_factory=lambda: [BASE_EVENT_TYPE],
        min_length=1,
        description="Event type node ids; the fields of these types are selected (default: BaseEventType).",
    )
    name: str | None = Field(
        default=None, description="Stable name of this source in lotline (defaults to node_id)."
    )
    queue_size: int = Field(default=1000, ge=1, description="Events the server keeps between publishes.")
    payload_field: str | None = Field(
        default=None,
        description="Deliver this event field (a ByteString as is, a String as UTF-8) as the message "
        "payload instead of the JSON of all fields; for servers that hand over a whole record in one event. "
        "Event id, type and time go to the message headers.",
    )

    @property
    def key(self) -> str:
        return self.name or self.node_id


class Backoff(ConnectorConfig):
    """Delays between reconnect attempts: initial, multiplied by factor after each failure, capped."""

    initial_s: float = Field(default=0.5, gt=0, description="First delay after the connection is lost.")
    max_s: float = Field(default=30.0, gt=0, description="Longest delay between attempts.")
    factor: float = Field(default=2.0, ge=1, description="Growth of the delay after each failed attempt.")


class OpcuaConfig(ConnectorConfig):
    """Subscribe to data changes and events of an OPC UA server (client side, asyncua)."""

    endpoint: str = Field(description="Server endpoint URL, e.g. 'opc.tcp://plc-line2:4840/'.")
    namespace: str | None = Field(default=None, description="Default namespace URI for browse paths.")
    nodes: list[NodeConfig] = Field(default_factory=list, description="Variables to monitor.")
    events: list[EventSourceConfig] = Field(default_factory=list, description="Event notifiers.")
    publishing_interval_ms: float = Field(
        default=500.0,
        gt=0,
        description="How often the server sends the collected changes (one subscription).",
    )
    security_policy: SecurityPolicy = Field(default=SecurityPolicy.none, description="Secure channel policy.")
    security_mode: SecurityMode = Field(default=SecurityMode.none, description="Sign, or sign and encrypt.")
    certificate: Path | None = Field(default=None, description="Client application certificate (PEM or DER).")
    private_key: Path | None = Field(default=None, description="Private key of the application certificate.")
    private_key_password: SecretStr | None = Field(default=None, description="Password of the private key.")
    server_certificate: Path | None = Field(
        default=None,
        description="Trusted server certificate; without it the one the server's endpoint shows is used.",
    )
    application_uri: str | None = Field(
        default=None,
        description="Client application URI; it must be the URI in the certificate's SubjectAltName, "
        "which is the default.",
    )
    username: str | None = Field(default=None, description="User name for user/password authentication.")
    password: SecretStr | None = Field(default=None, description="Password for user/password authentication.")
    user_certificate: Path | None = Field(
        default=None, description="X.509 user identity certificate (instead of user name and password)."
    )
    user_private_key: Path | None = Field(default=None, description="Private key of the user certificate.")
    session_timeout_s: float = Field(
        default=60.0, gt=0, description="Session timeout requested from the server."
    )
    request_timeout_s: float = Field(default=4.0, gt=0, description="How long one request may take.")
    keepalive_s: float = Field(
        default=1.0,
        gt=0,
        description="Interval of the client's health probe (a dead server is noticed within it).",
    )
    reconnect: Backoff = Field(default=Backoff(), description="Reconnect backoff.")
    max_buffered: int = Field(
        default=10_000, ge=1, description="Messages held for the reader before the source stops taking more."
    )

    @field_validator("endpoint")
    @classmethod
    def _opc_tcp(cls, value: str) -> str:
        if not value.startswith("opc.tcp://"):
            raise ValueError("the endpoint must be an 'opc.tcp://host:port/...' URL")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> OpcuaConfig:
        if not self.nodes and not self.events:
            raise ValueError("configure at least one entry in nodes or events")
        for what, keys in (("nodes", [n.key for n in self.nodes]), ("events", [e.key for e in self.events])):
            dupes = sorted({k for k in keys if keys.count(k) > 1})
            if dupes:
                raise ValueError(f"{what}: names must be unique; repeated: {', '.join(dupes)}")
        plain = self.security_policy is SecurityPolicy.none
        if plain != (self.security_mode is SecurityMode.none):
            raise ValueError(
                "security_policy and security_mode go together: both None, or a policy with Sign or "
                f"SignAndEncrypt (got {self.security_policy.value} / {self.security_mode.value})"
            )
        if not plain and (self.certificate is None or self.private_key is None):
            raise ValueError(
                f"security_policy {self.security_policy.value} needs certificate and private_key"
            )
        if self.password is not None and self.username is None:
            raise ValueError("password is set but username is not")
        if (self.user_certificate is None) != (self.user_private_key is None):
            raise ValueError("user_certificate and user_private_key go together")
        if self.user_certificate is not None and self.username is not None:
            raise ValueError("choose one user identity: username/password or user_certificate")
        return self
