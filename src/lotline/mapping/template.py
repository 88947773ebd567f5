"""Output templates: YAML values where a string starting with `=` is a JSONata expression.

    eventTime: "= $fromMillis(ts)"         # expression
    bizStep: shipping                      # literal
    note: "== not an expression"           # literal "= not an expression" (a leading == escapes)

Templates are compiled once (every expression parsed at load, with its file:line) and rendered per
message. A field whose expression yields no value (JSONata *undefined*: a missing payload field) is left
out; a list item with no value is dropped. Nested mappings and lists are templates too.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lotline.errors import MappingError
from lotline.mapping.expr import UNDEFINED, Expr
from lotline.mapping.source import LDict, LList, Loc

__all__ = ["Node", "compile_expr", "compile_template", "merge_under"]


class Node:
    """A compiled template value."""

    __slots__ = ()

    def render(self, data: Any, bindings: Mapping[str, Any]) -> Any:
        raise NotImplementedError


class _Const(Node):
    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def render(self, data: Any, bindings: Mapping[str, Any]) -> Any:
        return self.value


class _Expr(Node):
    __slots__ = ("expr", "field")

    def __init__(self, expr: Expr, field: str) -> None:
        self.expr, self.field = expr, field

    def render(self, data: Any, bindings: Mapping[str, Any]) -> Any:
        try:
            return self.expr.evaluate(data, bindings)
        except MappingError as exc:
            raise MappingError(str(exc), field=self.field, location=self.expr.location) from None


class _Dict(Node):
    __slots__ = ("items",)

    def __init__(self, items: list[tuple[str, Node]]) -> None:
        self.items = items

    def render(self, data: Any, bindings: Mapping[str, Any]) -> Any:
        out = {}
        for key, node in self.items:
            value = node.render(data, bindings)
            if value is not UNDEFINED:
                out[key] = value
        return out


class _List(Node):
    __slots__ = ("items",)

    def __init__(self, items: list[Node]) -> None:
        self.items = items

    def render(self, data: Any, bindings: Mapping[str, Any]) -> Any:
        return [v for v in (node.render(data, bindings) for node in self.items) if v is not UNDEFINED]


def compile_template(value: Any, field: str, loc: Loc | None) -> Node:
    """Compile a template value written at `loc`; `field` is its path, for error messages."""
    if isinstance(value, str):
        if value.startswith("=="):
            return _Const(value[1:])
        if value.startswith("="):
            return _Expr(compile_expr(value[1:], field, loc), field)
        return _Const(value)
    if isinstance(value, dict):
        locs = value.locs if isinstance(value, LDict) else {}
        return _Dict([(k, compile_template(v, f"{field}.{k}", locs.get(k, loc))) for k, v in value.items()])
    if isinstance(value, list):
        item_locs = value.locs if isinstance(value, LList) else [loc] * len(value)
        return _List([compile_template(v, f"{field}[{i}]", item_locs[i]) for i, v in enumerate(value)])
    return _Const(value)


def compile_expr(source: str, field: str, loc: Loc | None) -> Expr:
    """One expression written at `loc` for `field`; a syntax error says file:line:column, field and why."""
    try:
        return Expr(source.strip(), str(loc) if loc else None)
    except MappingError as exc:
        where = f"{loc}: " if loc else ""
        raise MappingError(f"{where}field {field}: {exc}", field=field, location=exc.location) from None


def merge_under(defaults: Any, template: Any) -> Any:
    """`template` over `defaults`, key by key (recursively for nested mappings), keeping locations."""
    if not (isinstance(defaults, dict) and isinstance(template, dict)):
        return template
    out = LDict(template.loc if isinstance(template, LDict) else Loc("?", 0, 0))
    for source in (defaults, template):
        for key, value in source.items():
            out[key] = merge_under(out[key], value) if key in out else value
            if isinstance(source, LDict):
                out.locs[key] = source.locs[key]
    return out
