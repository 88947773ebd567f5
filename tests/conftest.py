"""Shared test fixtures. Test data comes straight from ../shared (CI has it beside the checkout)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import settings

# CI runs the property tests with a fixed seed so that a landing never depends on luck; developers keep
# hypothesis's random exploration (and its example database) on their machines.
settings.register_profile("ci", derandomize=True, print_blob=True)
if __import__("os").environ.get("CI"):
    settings.load_profile("ci")

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(__import__("os").environ.get("LOTLINE_SHARED_DIR", REPO.parent / "shared"))
GS1 = SHARED / "data" / "epcis" / "gs1"
HASH_VECTORS = SHARED / "data" / "epcis" / "hash-vectors" / "tests"


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not SHARED.is_dir():
        pytest.fail(f"test data folder {SHARED} is missing: check out ../shared beside the repo")
    return SHARED


# --- databases -------------------------------------------------------------------------------------------
# Store and API tests run on SQLite and on the real PostgreSQL named by LOTLINE_TEST_POSTGRES_URL.
# Without that variable the PostgreSQL cases skip (with the reason); with it set, an unreachable server is
# a failure, not a skip (CI sets it, and LOTLINE_REQUIRE_SERVICES=1).

import os  # noqa: E402
import secrets  # noqa: E402
from collections.abc import Iterator  # noqa: E402

import sqlalchemy as sa  # noqa: E402

POSTGRES_URL = os.environ.get("LOTLINE_TEST_POSTGRES_URL")
REQUIRE_SERVICES = os.environ.get("LOTLINE_REQUIRE_SERVICES") == "1"


def _postgres_schema_url() -> Iterator[str]:
    if not POSTGRES_URL:
        if REQUIRE_SERVICES:
            pytest.fail("LOTLINE_REQUIRE_SERVICES=1 but LOTLINE_TEST_POSTGRES_URL is not set")
        pytest.skip("PostgreSQL not configured: set LOTLINE_TEST_POSTGRES_URL=postgresql://user@host/db")
    from lotline.store.engine import normalise_url

    base = normalise_url(POSTGRES_URL)
    admin = sa.create_engine(base)
    schema = "t_" + secrets.token_hex(6)
    try:
        with admin.begin() as conn:
            conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
    except sa.exc.OperationalError as exc:
        pytest.fail(f"PostgreSQL at {POSTGRES_URL} is unreachable: {exc}")
    sep = "&" if "?" in base else "?"
    try:
        yield f"{base}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database URL: a SQLite file, or a private schema on the PostgreSQL server."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'lotline.db'}"
    else:
        yield from _postgres_schema_url()


@pytest.fixture
def engine(db_url: str) -> Iterator[sa.Engine]:
    from lotline.store.engine import open_engine

    eng = open_engine(db_url)
    yield eng
    eng.dispose()
