"""Several mappings behind one callable: the first whose `match` takes the message maps it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from lotline.connectors.base import Message
from lotline.errors import MappingError
from lotline.mapping.mapper import Mapper

__all__ = ["MappingSet"]


class MappingSet:
    """`mappings(message) -> list[dict]` over mappers tried in order; a message no mapping takes is a
    MappingError (so it is dead-lettered, never dropped)."""

    def __init__(self, mappers: Sequence[Mapper]) -> None:
        self.mappers = tuple(mappers)

    def mapper_for(self, message: Message) -> Mapper:
        for mapper in self.mappers:
            if mapper.matches(message):
                return mapper
        names = ", ".join(m.name for m in self.mappers) or "none loaded"
        raise MappingError(
            f"no mapping takes the message {message.message_id} from {message.source!r} "
            f"(topic {message.topic!r}); tried: {names}"
        )

    def __call__(self, message: Message) -> list[dict[str, Any]]:
        return self.mapper_for(message)(message)
