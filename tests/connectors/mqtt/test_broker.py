"""Against a private Mosquitto of the test: broker restart mid-stream, password and TLS authentication."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from pydantic import SecretStr

from lotline.connectors.mqtt import MqttConfig, MqttSource
from lotline.connectors.mqtt_client import MqttConnectError
from tests.connectors.mqtt.conftest import PrivateBroker
from tests.connectors.mqtt.peer import Peer
from tests.connectors.mqtt.test_source import run

Start = Callable[..., PrivateBroker]


def test_a_broker_restart_mid_stream_loses_nothing(private_broker: Start) -> None:
    """200 QoS 1 messages; after 60 are read (50 acked, 10 not), the broker is stopped (SIGTERM) and started
    again while the publisher keeps going. Every message arrives; the 10 unacked ones come back."""
    b = private_broker("allow_anonymous true")
    cfg = MqttConfig(
        host=b.host, port=b.port, client_id="restart-test", topics=["line/#"], reconnect_max_delay=1
    )
    peer = Peer(b.host, b.port, client_id="restart-publisher", clean_start=False)

    async def scenario() -> tuple[set[bytes], list[bytes]]:
        seen: set[bytes] = set()
        unacked: list[bytes] = []
        async with MqttSource(cfg) as source:
            for i in range(100):
                peer.publish("line/1", f'{{"n":{i}}}'.encode())
            for i in range(60):
                message, ack = await asyncio.wait_for(source.read(), 5)
                seen.add(message.payload)
                if i < 50:
                    await ack()
                else:
                    unacked.append(message.payload)
            await asyncio.to_thread(b.restart)
            await asyncio.to_thread(
                lambda: [peer.publish("line/1", f'{{"n":{i}}}'.encode()) for i in range(100, 200)]
            )
            while len(seen) < 200:
                message, ack = await asyncio.wait_for(source.read(), 10)
                seen.add(message.payload)
                await ack()
        return seen, unacked

    try:
        seen, unacked = run(scenario(), timeout=40)
    finally:
        peer.close()
    assert seen == {f'{{"n":{i}}}'.encode() for i in range(200)}
    assert len(unacked) == 10


def test_username_and_password(private_broker: Start, tmp_path: Path) -> None:
    passwords = tmp_path / "passwords"
    subprocess.run(["mosquitto_passwd", "-b", "-c", str(passwords), "lotline", "s3cret"], check=True)
    b = private_broker("allow_anonymous false", f"password_file {passwords}")
    good = MqttConfig(
        host=b.host, port=b.port, client_id="auth", topics=["a"], username="lotline", password="s3cret"
    )

    async def scenario() -> None:
        async with MqttSource(good) as source:
            assert (await source.check()).ok
        with pytest.raises(MqttConnectError, match="refused"):
            await MqttSource(good.model_copy(update={"password": SecretStr("wrong")})).connect()
        with pytest.raises(MqttConnectError, match="refused"):
            await MqttSource(good.model_copy(update={"username": None, "password": None})).connect()

    run(scenario())


def _openssl(*args: str) -> None:
    subprocess.run(["openssl", *args], check=True, capture_output=True)


def _pki(d: Path) -> None:
    """A CA, a broker certificate for 127.0.0.1 and a client certificate, all signed by the CA."""
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=lotline test CA",
             "-keyout", str(d / "ca.key"), "-out", str(d / "ca.pem"))  # fmt: skip
    for name, extra in (("server", "subjectAltName=IP:127.0.0.1,DNS:localhost"), ("client", "")):
        _openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN={name}",
                 "-keyout", str(d / f"{name}.key"), "-out", str(d / f"{name}.csr"))  # fmt: skip
        ext = d / f"{name}.ext"
        ext.write_text(extra + "\n" if extra else "basicConstraints=CA:FALSE\n")
        _openssl("x509", "-req", "-in", str(d / f"{name}.csr"), "-CA", str(d / "ca.pem"), "-CAkey", str(d / "ca.key"),
                 "-CAcreateserial", "-days", "1", "-extfile", str(ext), "-out", str(d / f"{name}.pem"))  # fmt: skip


def test_tls_with_a_client_certificate(private_broker: Start, tmp_path: Path) -> None:
    _pki(tmp_path)
    b = private_broker(
        f"cafile {tmp_path / 'ca.pem'}",
        f"certfile {tmp_path / 'server.pem'}",
        f"keyfile {tmp_path / 'server.key'}",
        "require_certificate true",
        "use_identity_as_username true",
    )
    cfg = MqttConfig(
        host=b.host,
        port=b.port,
        client_id="tls",
        topics=["secure/#"],
        ca_file=tmp_path / "ca.pem",
        cert_file=tmp_path / "client.pem",
        key_file=tmp_path / "client.key",
        connect_timeout=3,
    )

    async def scenario() -> bytes:
        async with MqttSource(cfg) as source:
            from lotline.connectors import Outbound
            from lotline.connectors.mqtt import MqttSink

            async with MqttSink(cfg.model_copy(update={"publish_topic": "secure/x"})) as sink:
                assert (await sink.send([Outbound("k", b"over tls")])).ok
            message, ack = await asyncio.wait_for(source.read(), 5)
            await ack()
        with pytest.raises(MqttConnectError):  # no client certificate: the broker refuses the handshake
            await MqttSource(cfg.model_copy(update={"cert_file": None, "key_file": None})).connect()
        return message.payload

    assert run(scenario()) == b"over tls"
