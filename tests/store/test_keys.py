"""API keys: shown once, stored as a salted hash, revocable."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from lotline.errors import AuthError, NotFound
from lotline.store.keys import create_key, list_keys, parse_scopes, revoke_key, verify_token
from lotline.store.schema import api_keys


def test_a_created_key_verifies_with_its_scopes(engine: sa.Engine) -> None:
    key, token = create_key(engine, "mes line 2", frozenset({"capture"}))
    assert verify_token(engine, token) == key
    assert key.scopes == {"capture"}


def test_only_a_salted_hash_is_stored(engine: sa.Engine) -> None:
    _, token = create_key(engine, "a", frozenset({"query"}))
    _, token2 = create_key(engine, "b", frozenset({"query"}))
    secret = token.split("_", 2)[2]
    with engine.connect() as conn:
        rows = conn.execute(sa.select(api_keys)).all()
    dumped = repr(rows)
    assert secret not in dumped and token2.split("_", 2)[2] not in dumped
    assert len({r.salt for r in rows}) == 2


@pytest.mark.parametrize("bad", ["", "ll_", "ll_abc", "Bearer x", "ll_nosuchid_secret"])
def test_malformed_or_unknown_tokens_are_refused(engine: sa.Engine, bad: str) -> None:
    with pytest.raises(AuthError):
        verify_token(engine, bad)


def test_a_wrong_secret_is_refused(engine: sa.Engine) -> None:
    _, token = create_key(engine, "a", frozenset({"query"}))
    with pytest.raises(AuthError, match="unknown"):
        verify_token(engine, token[:-2] + "xx")


def test_a_revoked_key_is_refused_and_listed_as_revoked(engine: sa.Engine) -> None:
    key, token = create_key(engine, "old", frozenset({"query"}))
    revoke_key(engine, key.id)
    with pytest.raises(AuthError, match="revoked"):
        verify_token(engine, token)
    assert [k.revoked_at is not None for k in list_keys(engine)] == [True]
    with pytest.raises(NotFound):
        revoke_key(engine, key.id)


def test_scopes_are_checked_by_name() -> None:
    assert parse_scopes("capture, query") == {"capture", "query"}
    with pytest.raises(ValueError, match="unknown scope 'write'"):
        parse_scopes("capture,write")
    with pytest.raises(ValueError, match="at least one"):
        parse_scopes(" , ")
