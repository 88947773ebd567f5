"""Shared test fixtures. Test data comes straight from ../shared (CI has it beside the checkout)."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(__import__("os").environ.get("LOTLINE_SHARED_DIR", REPO.parent / "shared"))
GS1 = SHARED / "data" / "epcis" / "gs1"
HASH_VECTORS = SHARED / "data" / "epcis" / "hash-vectors" / "tests"


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not SHARED.is_dir():
        pytest.fail(f"test data folder {SHARED} is missing: check out ../shared beside the repo")
    return SHARED
