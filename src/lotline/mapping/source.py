"""YAML with locations: every mapping and list remembers the file, line and column of each of its entries.

Mapping files are read with PyYAML's `compose` (the node graph keeps marks) and turned into `LDict` /
`LList`, plain dict and list subclasses that carry a `Loc` per key or index. Per-plant overrides merge two
such trees (`merge`) and the merged tree still says, for every value, which file and line it came from,
so an error found after merging points at the line the user wrote.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from lotline.errors import MappingError

__all__ = ["LDict", "LList", "Loc", "load_yaml", "locate", "merge"]


@dataclass(frozen=True, slots=True)
class Loc:
    """Where a value was written: file, 1-based line and column."""

    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


class LDict(dict[str, Any]):
    """A dict that knows where it and each of its keys' values were written."""

    loc: Loc
    locs: dict[str, Loc]

    def __init__(self, loc: Loc) -> None:
        super().__init__()
        self.loc = loc
        self.locs = {}


class LList(list[Any]):
    """A list that knows where it and each of its items were written."""

    loc: Loc
    locs: list[Loc]

    def __init__(self, loc: Loc) -> None:
        super().__init__()
        self.loc = loc
        self.locs = []


def _loc(file: str, mark: yaml.Mark) -> Loc:
    return Loc(file, mark.line + 1, mark.column + 1)


def load_yaml(path: Path) -> Any:
    """The document in `path` as LDict/LList/scalars. Syntax errors become a MappingError at file:line."""
    file = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise MappingError(f"{file}: cannot read: {exc.strerror or exc}") from None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = _loc(file, mark) if mark else Loc(file, 1, 1)
        raise MappingError(
            f"{where}: YAML syntax: {exc.problem or exc.context}", location=str(where)
        ) from None
    if node is None:
        raise MappingError(f"{file}:1:1: the file is empty", location=f"{file}:1:1")
    return _convert(node, file)


def _convert(node: yaml.Node, file: str) -> Any:
    constructor = yaml.SafeLoader("")
    if isinstance(node, yaml.MappingNode):
        out = LDict(_loc(file, node.start_mark))
        constructor.flatten_mapping(node)  # YAML merge keys (<<)
        for key_node, value_node in node.value:
            key = constructor.construct_object(key_node, deep=True)
            if not isinstance(key, str):
                where = _loc(file, key_node.start_mark)
                raise MappingError(f"{where}: keys must be strings, got {key!r}", location=str(where))
            if key in out:
                where = _loc(file, key_node.start_mark)
                raise MappingError(f"{where}: field {key!r} is given twice", location=str(where))
            out[key] = _convert(value_node, file)
            out.locs[key] = _loc(file, value_node.start_mark)
        return out
    if isinstance(node, yaml.SequenceNode):
        items = LList(_loc(file, node.start_mark))
        for item in node.value:
            items.append(_convert(item, file))
            items.locs.append(_loc(file, item.start_mark))
        return items
    return constructor.construct_object(node, deep=True)


def locate(tree: Any, path: Sequence[str | int]) -> Loc | None:
    """The location of the deepest value along `path` (dict keys and list indexes) that has one."""
    found: Loc | None = getattr(tree, "loc", None)
    node = tree
    for step in path:
        if isinstance(node, LDict) and isinstance(step, str) and step in node:
            found = node.locs.get(step, found)
            node = node[step]
        elif isinstance(node, LList) and isinstance(step, int) and 0 <= step < len(node):
            found = node.locs[step]
            node = node[step]
        else:
            break
    return found


def merge(base: Any, override: Any, keyed: frozenset[str] = frozenset({"outputs"})) -> Any:
    """`override` laid over `base`: mappings merge key by key (recursively), anything else is replaced.

    Lists under a key in `keyed` are lists of named entries: an override entry with the name of a base
    entry merges into it (in place), `remove: true` drops it, and new names are appended.
    """
    if not (isinstance(base, LDict) and isinstance(override, LDict)):
        return override
    out = LDict(override.loc)
    for key, value in base.items():
        out[key], out.locs[key] = value, base.locs[key]
    for key, value in override.items():
        if key in keyed and isinstance(out.get(key), LList) and isinstance(value, LList):
            out[key] = _merge_named(out[key], value)
        else:
            out[key] = merge(out[key], value) if key in out else value
        out.locs[key] = override.locs[key]
    return out


def _merge_named(base: LList, override: LList) -> LList:
    out = LList(override.loc)
    entries: dict[Any, tuple[Any, Loc]] = {}
    for item, loc in zip(base, base.locs, strict=True):
        entries[_name(item, len(entries))] = (item, loc)
    for item, loc in zip(override, override.locs, strict=True):
        name = _name(item, None)
        if isinstance(item, dict) and item.get("remove") is True:
            entries.pop(name, None)
        elif name in entries:
            entries[name] = (merge(entries[name][0], item), loc)
        else:
            entries[name if name is not None else ("#", len(entries))] = (item, loc)
    for item, loc in entries.values():
        out.append(item)
        out.locs.append(loc)
    return out


def _name(item: Any, fallback: int | None) -> Any:
    if isinstance(item, dict) and isinstance(item.get("name"), str):
        return item["name"]
    return None if fallback is None else ("#", fallback)
