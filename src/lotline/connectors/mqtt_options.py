"""MQTT connection options shared by the `mqtt` and `sparkplug` connectors, and their mapping to client options.

`MqttConnection` is the typed config (its field descriptions are the docs); `ClientOptions` is what the paho
bridge in `lotline.connectors.mqtt_client` needs, computed here without importing any MQTT library so that
the mapping is testable on its own and the module loads without the `mqtt` extra.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Self

from pydantic import Field, SecretStr, model_validator

from lotline.connectors.base import ConnectorConfig


class MqttConnection(ConnectorConfig):
    """Where the broker is and how to log in: the options every MQTT-based connector shares."""

    name: str | None = Field(
        None, description="The source name stamped on every message read; by default the broker's URL."
    )
    host: str = Field("127.0.0.1", description="Broker host name or address.")
    port: int = Field(1883, ge=1, le=65535, description="Broker port (1883 plain, 8883 usually for TLS).")
    client_id: str = Field(
        min_length=1,
        max_length=128,
        description="MQTT client identifier. Keep it fixed and unique per broker: the broker keeps the "
        "persistent session (subscriptions and unacknowledged messages) under this id.",
    )
    protocol: Literal["5", "3.1.1"] = Field("5", description="MQTT protocol version.")
    clean_start: bool = Field(
        False,
        description="Start with a clean session. False (the default) resumes the persistent session, so "
        "QoS 1 messages lotline has not acknowledged are redelivered after a crash or reconnect.",
    )
    session_expiry: int = Field(
        604_800,
        ge=0,
        le=0xFFFFFFFF,
        description="MQTT 5: seconds the broker keeps the session after a disconnect (default 7 days; "
        "4294967295 = never expires). Ignored with MQTT 3.1.1, where a persistent session never expires.",
    )
    keepalive: int = Field(60, ge=5, le=65535, description="Keep-alive interval in seconds.")
    receive_maximum: int = Field(
        100,
        ge=1,
        le=65535,
        description="MQTT 5: at most this many unacknowledged QoS 1 messages in flight from the broker to "
        "lotline (flow control). Mosquitto also caps this with its max_inflight_messages.",
    )
    username: str | None = Field(None, description="User name for password authentication.")
    password: SecretStr | None = Field(None, description="Password (use an environment override).")
    tls: bool = Field(False, description="Connect with TLS. Implied when ca_file or cert_file is set.")
    ca_file: Path | None = Field(
        None,
        description="PEM file of the CA(s) that signed the broker's certificate; "
        "the system trust store when unset.",
    )
    cert_file: Path | None = Field(None, description="PEM client certificate for certificate authentication.")
    key_file: Path | None = Field(
        None, description="PEM private key of cert_file (when not inside cert_file)."
    )
    tls_insecure: bool = Field(
        False, description="Do not check the broker's host name against its certificate (testing only)."
    )
    reconnect_min_delay: int = Field(1, ge=1, description="First delay in seconds before reconnecting.")
    reconnect_max_delay: int = Field(
        60,
        ge=1,
        description="Longest delay between reconnect attempts (the delay doubles after each failed attempt).",
    )
    connect_timeout: float = Field(
        10.0, gt=0, description="Seconds connect() waits for the broker before failing with the reason."
    )

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.password is not None and self.username is None:
            raise ValueError("password is set but username is not")
        if self.key_file is not None and self.cert_file is None:
            raise ValueError("key_file is set but cert_file is not")
        if self.reconnect_min_delay > self.reconnect_max_delay:
            raise ValueError("reconnect_min_delay is larger than reconnect_max_delay")
        return self

    def client_options(self, *, client_id: str | None = None) -> ClientOptions:
        """The options the MQTT client is built with (`client_id` overrides the configured one)."""
        mqtt5 = self.protocol == "5"
        use_tls = self.tls or self.ca_file is not None or self.cert_file is not None
        return ClientOptions(
            host=self.host,
            port=self.port,
            client_id=client_id or self.client_id,
            mqtt5=mqtt5,
            clean_start=self.clean_start,
            session_expiry=self.session_expiry if mqtt5 and not self.clean_start else None,
            receive_maximum=self.receive_maximum if mqtt5 else None,
            keepalive=self.keepalive,
            username=self.username,
            password=self.password.get_secret_value() if self.password is not None else None,
            tls=TlsOptions(self.ca_file, self.cert_file, self.key_file, self.tls_insecure)
            if use_tls
            else None,
            reconnect_delay=(self.reconnect_min_delay, self.reconnect_max_delay),
            connect_timeout=self.connect_timeout,
        )


@dataclass(frozen=True, slots=True)
class TlsOptions:
    ca_file: Path | None = None
    cert_file: Path | None = None
    key_file: Path | None = None
    insecure: bool = False

    def context(self) -> ssl.SSLContext:
        """A client TLS context: the broker's certificate is verified (against ca_file or the system store)."""
        ctx = ssl.create_default_context(
            ssl.Purpose.SERVER_AUTH, cafile=str(self.ca_file) if self.ca_file else None
        )
        if self.cert_file is not None:
            ctx.load_cert_chain(str(self.cert_file), str(self.key_file) if self.key_file else None)
        if self.insecure:
            ctx.check_hostname = False
        return ctx


@dataclass(frozen=True, slots=True)
class Will:
    """The message the broker publishes for us when the connection dies without a DISCONNECT."""

    topic: str
    payload: bytes
    qos: int = 1
    retain: bool = False


@dataclass(frozen=True, slots=True)
class ClientOptions:
    """Everything the MQTT client is built with; `session_expiry` is None when not MQTT 5 or a clean start."""

    host: str
    port: int
    client_id: str
    mqtt5: bool
    clean_start: bool
    session_expiry: int | None
    receive_maximum: int | None
    keepalive: int
    username: str | None
    password: str | None
    tls: TlsOptions | None
    reconnect_delay: tuple[int, int]
    connect_timeout: float
