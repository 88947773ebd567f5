"""API keys: created once and shown once, stored only as a salted hash, checked on every request.

A key looks like `ll_<id>_<secret>`: the id finds the row, the secret is checked against
sha256(salt + secret). Secrets are 256 random bits, so a fast hash is safe (as for GitHub tokens).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy import Engine, select, update

from lotline.epcis.timefmt import now_micros
from lotline.errors import AuthError, NotFound
from lotline.store.engine import writer
from lotline.store.schema import api_keys

SCOPES = ("capture", "query", "trace", "admin")


@dataclass(frozen=True, slots=True)
class ApiKey:
    id: str
    name: str
    scopes: frozenset[str]
    created_at: int
    revoked_at: int | None


def parse_scopes(text: str) -> frozenset[str]:
    scopes = frozenset(part.strip() for part in text.split(",") if part.strip())
    unknown = sorted(scopes - set(SCOPES))
    if unknown:
        raise ValueError(f"unknown scope {unknown[0]!r}; choose from {', '.join(SCOPES)}")
    if not scopes:
        raise ValueError(f"give at least one scope from {', '.join(SCOPES)}")
    return scopes


def _digest(salt: str, secret: str) -> str:
    return hashlib.sha256((salt + secret).encode()).hexdigest()


def create_key(engine: Engine, name: str, scopes: frozenset[str]) -> tuple[ApiKey, str]:
    """Store a new key; returns it and the full secret token, which is never stored or shown again."""
    key_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    salt = secrets.token_hex(16)
    created = now_micros()
    with writer(engine).begin() as conn:
        conn.execute(
            api_keys.insert().values(
                id=key_id,
                name=name,
                scopes=",".join(sorted(scopes)),
                salt=salt,
                hash=_digest(salt, secret),
                created_at=created,
            )
        )
    return ApiKey(key_id, name, scopes, created, None), f"ll_{key_id}_{secret}"


def list_keys(engine: Engine) -> list[ApiKey]:
    with engine.connect() as conn:
        rows = conn.execute(select(api_keys).order_by(api_keys.c.created_at)).all()
    return [_row(r) for r in rows]


def revoke_key(engine: Engine, key_id: str) -> None:
    with writer(engine).begin() as conn:
        done = conn.execute(
            update(api_keys)
            .where(api_keys.c.id == key_id, api_keys.c.revoked_at.is_(None))
            .values(revoked_at=now_micros())
        )
    if done.rowcount == 0:
        raise NotFound(f"no active key with id {key_id!r} (see `lotline keys list`)")


def verify_token(engine: Engine, token: str) -> ApiKey:
    """The key a bearer token belongs to, or AuthError."""
    parts = token.split("_", 2)
    if len(parts) != 3 or parts[0] != "ll" or not parts[1] or not parts[2]:
        raise AuthError("the API key is not in the form ll_<id>_<secret>")
    with engine.connect() as conn:
        row = conn.execute(select(api_keys).where(api_keys.c.id == parts[1])).first()
    if row is None or not hmac.compare_digest(row.hash, _digest(row.salt, parts[2])):
        raise AuthError("unknown API key")
    if row.revoked_at is not None:
        raise AuthError("this API key has been revoked")
    return _row(row)


def _row(row: object) -> ApiKey:
    return ApiKey(
        id=row.id,  # type: ignore[attr-defined]
        name=row.name,  # type: ignore[attr-defined]
        scopes=frozenset(row.scopes.split(",")),  # type: ignore[attr-defined]
        created_at=row.created_at,  # type: ignore[attr-defined]
        revoked_at=row.revoked_at,  # type: ignore[attr-defined]
    )
