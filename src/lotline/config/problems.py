"""Turning what went wrong into `file:line:col: field path: what to fix`, one line per problem.

The YAML tree carries the location of every value (`lotline.mapping.source`), so a pydantic error's path
(`connectors`, 2, `options`, `port`) leads back to the line the user wrote. Values set by environment
overrides carry an `EnvLoc` instead, which prints as the variable's name.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, get_args

import pydantic

from lotline.mapping.source import Loc, locate

__all__ = ["EnvLoc", "Problems", "field_path"]


class EnvLoc(Loc):
    """The "location" of a value that came from an environment variable (`file` holds its name)."""

    def __str__(self) -> str:
        return f"environment variable {self.file}"


def field_path(path: Sequence[str | int], tree: Any = None) -> str:
    """`connectors[line1-mqtt].options.port`: list entries by their `name` or `id` when they have one."""
    out = ""
    node = tree
    for step in path:
        if isinstance(step, int):
            label: Any = step
            if isinstance(node, list) and 0 <= step < len(node) and isinstance(node[step], dict):
                label = node[step].get("id") or node[step].get("name") or step
            out += f"[{label}]"
        else:
            out += f".{step}" if out else str(step)
        node = _child(node, step)
    return out


def _child(node: Any, step: str | int) -> Any:
    if isinstance(node, dict) and isinstance(step, str):
        return node.get(step)
    if isinstance(node, list) and isinstance(step, int) and 0 <= step < len(node):
        return node[step]
    return None


class Problems:
    """Collects located problems; `lines` is what `ConfigError` carries."""

    def __init__(self, file: str, tree: Any) -> None:
        self.file = file
        self.tree = tree
        self.lines: list[str] = []

    def add(self, path: Sequence[str | int], message: str, where: Loc | str | None = None) -> None:
        if where is None:
            where = locate(self.tree, list(path))
        location = str(where) if where is not None else f"{self.file}:1:1"
        field = field_path(path, self.tree) or "(file)"
        self.lines.append(f"{location}: {field}: {message}")

    def from_pydantic(
        self,
        exc: pydantic.ValidationError,
        model: type[pydantic.BaseModel],
        prefix: Sequence[str | int] = (),
        what: str = "field",
    ) -> None:
        """One line per pydantic error of `model`, whose input sits at `prefix` (e.g. connector options)."""
        for error in exc.errors():
            inner = [s for s in error["loc"] if isinstance(s, str | int)]
            # pydantic adds the union member it tried ("str", "list[str]", "function-after[...]"): drop it
            while inner and isinstance(inner[-1], str) and _is_member(inner[-1]):
                inner.pop()
            kind = error["type"]
            if kind == "extra_forbidden":
                parent = _model_at(model, inner[:-1])
                allowed = f" (allowed here: {', '.join(parent.model_fields)})" if parent else ""
                message = f"unknown {what}{allowed}"
            elif kind == "missing":
                message = f"required {what} is missing"
            else:
                message = str(error["msg"]).removeprefix("Value error, ")
                if not isinstance(error.get("input"), dict | list) and "input" in error:
                    message += f" (got {error['input']!r})"
            self.add([*prefix, *inner], message)


def _is_member(step: str) -> bool:
    return "[" in step or step in ("str", "int", "float", "bool")


def _model_at(model: type[pydantic.BaseModel], path: Sequence[str | int]) -> type[pydantic.BaseModel] | None:
    """The model that validates the value at `path` inside `model` (lists and optionals looked through)."""
    current: Any = model
    for step in path:
        if isinstance(step, int):
            continue  # the list's item type was taken with the field
        if not (isinstance(current, type) and issubclass(current, pydantic.BaseModel)):
            return None
        info = current.model_fields.get(step)
        if info is None:
            return None
        current = _inner_model(info.annotation)
    return current if isinstance(current, type) and issubclass(current, pydantic.BaseModel) else None


def _inner_model(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, pydantic.BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _inner_model(arg)
        if found is not None:
            return found
    return None


def raw_line(problems: Problems, text: str) -> None:
    """A problem already located elsewhere (a mapping file's own file:line:col), added once."""
    if text not in problems.lines:
        problems.lines.append(text)
