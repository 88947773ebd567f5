"""The connector option tables of docs/connectors.md, generated from the registered config models.

The config model is the single source of a connector's options (validation and docs alike), so the
tables cannot drift from the code: a test regenerates them and fails when the committed file is stale.

    python -m lotline.connectors.docs            # rewrite the generated part of docs/connectors.md
    python -m lotline.connectors.docs --check    # exit 1 if it is stale
"""

from __future__ import annotations

import inspect
import sys
import types
from enum import Enum
from pathlib import Path, PurePath
from typing import Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, SecretStr
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from lotline.connectors.base import ConnectorSpec
from lotline.connectors.registry import Registry

BEGIN = "<!-- BEGIN GENERATED: connector options. Do not edit; run `python -m lotline.connectors.docs`. -->"
END = "<!-- END GENERATED -->"
COMMAND = ".venv/bin/python -m lotline.connectors.docs"
DEFAULT_PATH = Path("docs/connectors.md")

_SCALARS: dict[Any, str] = {
    str: "string",
    int: "integer",
    float: "number",
    bool: "boolean",
    bytes: "bytes",
    SecretStr: "secret",
}


def render(registry: Registry) -> str:
    """The generated section: one heading and option table per connector kind, nested models after."""
    parts = [BEGIN, ""]
    for spec in registry:
        parts.extend(_connector(spec))
    parts.append(END)
    return "\n".join(parts)


def update(document: str, generated: str) -> str:
    """`document` with its generated section replaced (appended if it has none)."""
    if BEGIN in document and END in document:
        head, rest = document.split(BEGIN, 1)
        _, tail = rest.split(END, 1)
        return head + generated + tail
    return document.rstrip("\n") + "\n\n" + generated + "\n"


def _connector(spec: ConnectorSpec) -> list[str]:
    roles = " and ".join(r for r, f in (("source", spec.source), ("sink", spec.sink)) if f) or "neither"
    lines = [f"### `{spec.kind}`", "", spec.summary, "", f"Provides: {roles}."]
    if spec.extra:
        lines.append(f"Needs its client library: `pip install 'lotline[{spec.extra}]'`.")
    doc = inspect.getdoc(spec.config)
    if doc and doc != inspect.getdoc(spec.config.__mro__[1]):
        lines += ["", _one_line(doc)]
    lines.append("")
    seen: set[type[BaseModel]] = {spec.config}
    lines += _table(spec.config)
    pending = _nested(spec.config, seen)
    while pending:
        label, model = pending.pop(0)
        lines += ["", f"{label} (`{model.__name__}`):", ""]
        lines += _table(model)
        pending += _nested(model, seen)
    lines.append("")
    return lines


def _table(model: type[BaseModel]) -> list[str]:
    rows = ["| Option | Type | Default | Description |", "|---|---|---|---|"]
    for name, info in model.model_fields.items():
        option = info.alias or name
        rows.append(
            f"| `{option}` | {_cell(type_name(info.annotation))} | {_cell(_default(info))} "
            f"| {_cell(_one_line(info.description or ''))} |"
        )
    return rows


def _nested(model: type[BaseModel], seen: set[type[BaseModel]]) -> list[tuple[str, type[BaseModel]]]:
    found: list[tuple[str, type[BaseModel]]] = []
    for name, info in model.model_fields.items():
        for inner, many in _models_in(info.annotation):
            if inner not in seen:
                seen.add(inner)
                what = "Each item of" if many else "The object"
                found.append((f"{what} `{info.alias or name}`", inner))
    return found


def _models_in(annotation: Any, many: bool = False) -> list[tuple[type[BaseModel], bool]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [(annotation, many)]
    origin = get_origin(annotation)
    is_collection = origin in (list, tuple, set, frozenset, dict)
    found: list[tuple[type[BaseModel], bool]] = []
    for arg in get_args(annotation):
        found += _models_in(arg, many or is_collection)
    return found


def type_name(annotation: Any) -> str:
    """A reader's name for a field type: `string`, `integer | null`, `list of string`, `"5" | "3.1.1"`."""
    if annotation is type(None):
        return "null"
    if annotation in _SCALARS:
        return _SCALARS[annotation]
    origin, args = get_origin(annotation), get_args(annotation)
    if origin in (Union, types.UnionType):
        return " | ".join(type_name(a) for a in args)
    if origin is Literal:
        return " | ".join(_value(a) for a in args)
    if origin in (list, tuple, set, frozenset):
        return f"list of {type_name(args[0])}" if args else "list"
    if origin is dict:
        return f"map of {type_name(args[0])} to {type_name(args[1])}" if args else "map"
    if isinstance(annotation, type):
        if issubclass(annotation, Enum):
            return " | ".join(_value(m.value) for m in annotation)
        if issubclass(annotation, BaseModel):
            return "object"
        if issubclass(annotation, PurePath):
            return "path"
        return annotation.__name__
    return str(annotation)


def _default(info: FieldInfo) -> str:
    if info.is_required():
        return "**required**"
    factory = info.default_factory
    value = factory() if factory is not None else info.default  # type: ignore[call-arg]
    if value is PydanticUndefined or value is None:
        return ""
    if isinstance(value, BaseModel):
        return "see below"
    if isinstance(value, list | tuple | set | frozenset | dict) and not value:
        return "`[]`" if not isinstance(value, dict) else "`{}`"
    return f"`{_value(value)}`"


def _value(value: Any) -> str:
    if isinstance(value, Enum):
        value = value.value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, PurePath):
        return f'"{value}"'
    return str(value)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    path = DEFAULT_PATH
    current = path.read_text(encoding="utf-8") if path.exists() else "# Connectors\n"
    fresh = update(current, render(Registry.discover()))
    if "--check" in args:
        if fresh != current:
            print(f"{path} is stale: run `{COMMAND}`", file=sys.stderr)
            return 1
        return 0
    if fresh != current:
        path.write_text(fresh, encoding="utf-8")
        print(f"wrote {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
