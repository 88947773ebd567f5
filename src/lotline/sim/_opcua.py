"""Pieces of the simulated OPC UA server: ports, logins, security settings, asyncua value helpers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

from asyncua import ua
from asyncua.crypto.permission_rules import User, UserRole
from asyncua.server.user_managers import UserManager


class Users(UserManager):
    """Logins of the simulated server: a user name with its password, or an X.509 user certificate."""

    def __init__(self, users: Mapping[str, str]) -> None:
        self._users = dict(users)

    def get_user(
        self, iserver: Any, username: str | None = None, password: str | None = None, certificate: Any = None
    ) -> User | None:
        if username is not None:  # a user name token: the password must match
            return User(role=UserRole.User) if self._users.get(username) == password else None
        if certificate:  # an X.509 user token (only offered with security); its signature was checked
            return User(role=UserRole.User)
        return None


@dataclass(frozen=True, slots=True)
class Security:
    """Server certificate and key (PEM or DER files) to offer Basic256Sha256 Sign and SignAndEncrypt."""

    certificate: Path
    private_key: Path
    allow_none: bool = True  # also offer the unsecured endpoint


def data_value(value: Any, vtype: ua.VariantType) -> ua.DataValue:
    return ua.DataValue(ua.Variant(value, vtype), SourceTimestamp=cast(Any, datetime.now(UTC)))


def nid(name: str, ns: int) -> ua.NodeId:
    return ua.NodeId(ua.String(name), ua.Int16(ns))


def qn(name: str, ns: int) -> ua.QualifiedName:
    return ua.QualifiedName(name, ua.UInt16(ns))


def variant(dv: ua.DataValue) -> ua.Variant:
    assert dv.Value is not None
    return dv.Value
