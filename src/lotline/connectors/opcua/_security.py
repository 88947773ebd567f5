"""Secure channel (policy, mode, application certificate) and user identity of the client."""

from __future__ import annotations

from pathlib import Path

from asyncua import ua
from asyncua.client.client import Client
from asyncua.crypto import security_policies
from cryptography import x509

from lotline.connectors.opcua._config import OpcuaConfig, SecurityMode, SecurityPolicy
from lotline.connectors.opcua._errors import OpcuaError

_POLICIES: dict[SecurityPolicy, type[security_policies.SecurityPolicy]] = {
    SecurityPolicy.basic256sha256: security_policies.SecurityPolicyBasic256Sha256,
    SecurityPolicy.aes128_sha256_rsaoaep: security_policies.SecurityPolicyAes128Sha256RsaOaep,
    SecurityPolicy.aes256_sha256_rsapss: security_policies.SecurityPolicyAes256Sha256RsaPss,
}
_MODES = {
    SecurityMode.sign: ua.MessageSecurityMode.Sign,
    SecurityMode.sign_and_encrypt: ua.MessageSecurityMode.SignAndEncrypt,
}


def _readable(path: Path, what: str) -> str:
    if not path.is_file():
        raise OpcuaError(f"{what} {str(path)!r} does not exist or is not a file")
    return str(path)


def application_uri(certificate: Path) -> str | None:
    """The URI in the certificate's SubjectAltName: the client must present itself under it."""
    raw = certificate.read_bytes()
    cert = (
        x509.load_pem_x509_certificate(raw) if b"-----BEGIN" in raw else x509.load_der_x509_certificate(raw)
    )
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    except x509.ExtensionNotFound:
        return None
    uris = san.value.get_values_for_type(x509.UniformResourceIdentifier)
    return uris[0] if uris else None


async def configure_security(client: Client, cfg: OpcuaConfig) -> None:
    if cfg.security_policy is SecurityPolicy.none:
        return
    assert cfg.certificate is not None and cfg.private_key is not None  # the config model checks this
    certificate = _readable(cfg.certificate, "certificate")
    key = _readable(cfg.private_key, "private_key")
    server_cert = _readable(cfg.server_certificate, "server_certificate") if cfg.server_certificate else None
    uri = cfg.application_uri or application_uri(cfg.certificate)
    if uri:
        client.application_uri = uri
    password = cfg.private_key_password.get_secret_value() if cfg.private_key_password else None
    try:
        await client.set_security(
            _POLICIES[cfg.security_policy],
            certificate,
            key,
            private_key_password=password,
            server_certificate=server_cert,
            mode=_MODES[cfg.security_mode],
        )
    except (OSError, TimeoutError) as exc:
        raise OpcuaError(
            f"cannot reach the OPC UA server at {cfg.endpoint}: {exc or type(exc).__name__}"
        ) from exc
    except ua.uaerrors.UaError as exc:
        raise OpcuaError(
            f"the server at {cfg.endpoint} offers no {cfg.security_policy.value} {cfg.security_mode.value} "
            f"endpoint, or refused the certificate: {exc}"
        ) from exc


async def configure_identity(client: Client, cfg: OpcuaConfig) -> None:
    if cfg.username is not None:
        client.set_user(cfg.username)
        if cfg.password is not None:
            client.set_password(cfg.password.get_secret_value())
    if cfg.user_certificate is not None and cfg.user_private_key is not None:
        await client.load_client_certificate(_readable(cfg.user_certificate, "user_certificate"))
        await client.load_private_key(Path(_readable(cfg.user_private_key, "user_private_key")))
