"""User/password and certificate security against the simulated line (certificates made here)."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from asyncua.crypto.cert_gen import (
    dump_private_key_as_pem,
    generate_private_key,
    generate_self_signed_app_certificate,
)
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import ExtendedKeyUsageOID

from lotline.connectors.opcua import OpcuaError, OpcuaSource
from lotline.sim.filling_line import APPLICATION_URI, Security
from lotline.sim.threaded import ThreadedLine
from tests.connectors.opcua.support import make_config, payload, read, run, simulated_line

USERS = {"operator": "fill-line-2"}
CLIENT_URI = "urn:lotline:test:opcua-client"


@dataclass(frozen=True)
class Pki:
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path


def _make_pair(folder: Path, name: str, uri: str, usage: ExtendedKeyUsageOID) -> tuple[Path, Path]:
    key = generate_private_key()
    names = [
        x509.UniformResourceIdentifier(uri),
        x509.DNSName("localhost"),
        x509.IPAddress(ipaddress.IPv4Address("127.0.0.1")),
    ]
    cert = generate_self_signed_app_certificate(key, name, {}, names, [usage], days=2)
    cert_path, key_path = folder / f"{name}.der", folder / f"{name}.pem"
    cert_path.write_bytes(cert.public_bytes(Encoding.DER))
    key_path.write_bytes(dump_private_key_as_pem(key))
    return cert_path, key_path


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    folder = tmp_path_factory.mktemp("pki")
    server = _make_pair(folder, "filling-line", APPLICATION_URI, ExtendedKeyUsageOID.SERVER_AUTH)
    client = _make_pair(folder, "lotline", CLIENT_URI, ExtendedKeyUsageOID.CLIENT_AUTH)
    return Pki(*server, *client)


@pytest.fixture(scope="module", name="line")
def _line(pki: Pki) -> Iterator[ThreadedLine]:
    yield from simulated_line(users=USERS, security=Security(pki.server_cert, pki.server_key))


def _lot_only(line: ThreadedLine, **settings: object) -> dict[str, object]:
    return {"nodes": [{"node_id": line.sim.node_id("CurrentLot"), "name": "lot"}], **settings}


def test_user_and_password(line: ThreadedLine) -> None:
    async def body() -> None:
        config = make_config(line, **_lot_only(line, username="operator", password="fill-line-2"))
        async with OpcuaSource(config) as source:
            [lot] = await read(source, 1)
        assert payload(lot)["value"] == line.sim.value("CurrentLot")

    run(body)


@pytest.mark.parametrize(
    "identity", [{"username": "operator", "password": "wrong"}, {}], ids=["wrong", "anonymous"]
)
def test_a_refused_identity_is_a_clear_error(line: ThreadedLine, identity: dict[str, str]) -> None:
    async def body() -> None:
        source = OpcuaSource(make_config(line, **_lot_only(line, **identity)))
        with pytest.raises(OpcuaError, match="refused the session"):
            await source.connect()
        result = await source.check()
        assert not result.ok and "refused the session" in result.detail

    run(body)


@pytest.mark.parametrize("mode", ["SignAndEncrypt", "Sign"])
def test_basic256sha256_with_a_client_certificate(line: ThreadedLine, pki: Pki, mode: str) -> None:
    async def body() -> None:
        settings = _lot_only(
            line,
            security_policy="Basic256Sha256",
            security_mode=mode,
            certificate=pki.client_cert,
            private_key=pki.client_key,
            username="operator",
            password="fill-line-2",
        )
        async with OpcuaSource(make_config(line, **settings)) as source:
            [lot] = await read(source, 1)
            assert (await source.check()).ok
        assert payload(lot)["value"] == line.sim.value("CurrentLot")

    run(body)


def test_missing_certificate_files_are_named(line: ThreadedLine, pki: Pki, tmp_path: Path) -> None:
    async def body() -> None:
        settings = _lot_only(
            line,
            security_policy="Basic256Sha256",
            security_mode="Sign",
            certificate=tmp_path / "nope.der",
            private_key=pki.client_key,
        )
        source = OpcuaSource(make_config(line, **settings))
        with pytest.raises(OpcuaError, match=r"certificate '.*nope\.der' does not exist"):
            await source.connect()

    run(body)


def test_x509_user_identity_instead_of_a_password(line: ThreadedLine, pki: Pki) -> None:
    async def body() -> None:
        settings = _lot_only(
            line,
            security_policy="Basic256Sha256",
            security_mode="SignAndEncrypt",
            certificate=pki.client_cert,
            private_key=pki.client_key,
            user_certificate=pki.client_cert,
            user_private_key=pki.client_key,
        )
        async with OpcuaSource(make_config(line, **settings)) as source:
            [lot] = await read(source, 1)
        assert payload(lot)["value"] == line.sim.value("CurrentLot")

    run(body)
