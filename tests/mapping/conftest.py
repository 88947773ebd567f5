"""Helpers for the mapping tests: write a mapping file, build a message."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

from lotline.connectors.base import Message


def write(folder: Path, name: str, text: str) -> Path:
    """`text` (dedented) written to folder/name."""
    path = folder / name
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def message(payload: Any, topic: str = "", source: str = "test", **headers: str) -> Message:
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return Message(source, "m-1", body, topic, headers, received_at=1_764_590_400_000_000)
