"""The dead-letter store (`lotline.store.dlq`) as the pages see it: listed, inspected, replayed, discarded.

Imported lazily: a build without the store shows a "dead-letter store not available" panel instead.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

from sqlalchemy import Engine

PAGE = 50


def store() -> ModuleType | None:
    try:
        return importlib.import_module("lotline.store.dlq")
    except ImportError:
        return None


def open_count(engine: Engine) -> int | None:
    module = store()
    if module is None:
        return None
    return int(sum(module.count_open(engine).values()))


def letters(
    engine: Engine, source: str | None, stage: str | None, state: str | None, before: int | None
) -> Any:
    module = store()
    assert module is not None
    wanted = module.LetterState(state) if state else None
    return module.list_letters(
        engine, source=source, stage=stage, state=wanted, before_id=before, limit=PAGE + 1
    )


def letter(engine: Engine, letter_id: int) -> Any:
    module = store()
    assert module is not None
    return module.get_letter(engine, letter_id)


def replay(engine: Engine, letter_id: int, actor: str) -> Any:
    module = store()
    assert module is not None
    return module.replay(engine, [letter_id], actor)


def discard(engine: Engine, letter_id: int, actor: str, reason: str) -> Any:
    module = store()
    assert module is not None
    return module.discard(engine, [letter_id], actor, reason)


def states() -> list[str]:
    module = store()
    return [s.value for s in module.LetterState] if module is not None else []
