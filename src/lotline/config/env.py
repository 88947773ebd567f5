"""Environment variables in a configuration: `${NAME}` references and `LOTLINE_*` overrides.

References: in any string value, `${NAME}` is replaced by the variable's value and `${NAME:-default}` by
the default when NAME is unset or empty; `$${` writes a literal `${`. An unset variable without default
is an error at the value's file:line. Secrets (passwords, tokens) belong here, never in the file.

Overrides, applied after the references, before validation (so an override is validated like the file):
- `LOTLINE_DB` sets `database.url` (the variable the CLI's --db default reads too);
- `LOTLINE__<SECTION>__<FIELD>[__...]` sets any value by its path, `__` between the steps; list entries
  (plants, lines, connectors) are chosen by `id` or `name`, compared case-insensitively with `-` and `.`
  read as `_`. E.g. `LOTLINE__SERVER__PORT=9000`, `LOTLINE__RUNNER__BATCH_SIZE=200`,
  `LOTLINE__CONNECTORS__LINE1_MQTT__OPTIONS__HOST=broker.internal`.
Values are strings; numbers and booleans are converted by validation. An error in an overridden value
names the variable.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from lotline.config.problems import EnvLoc, Problems
from lotline.mapping.source import LDict, LList, Loc

__all__ = ["ALIASES", "OVERRIDE_PREFIX", "apply_overrides", "substitute"]

OVERRIDE_PREFIX = "LOTLINE__"
ALIASES: Mapping[str, tuple[str, ...]] = {"LOTLINE_DB": ("database", "url")}
_REF = re.compile(r"\$(\$?)\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


def substitute(tree: Any, environ: Mapping[str, str], problems: Problems) -> None:
    """Replace `${NAME}` references in every string of the tree, in place."""
    _walk(tree, environ, problems, ())


def _walk(node: Any, environ: Mapping[str, str], problems: Problems, path: tuple[str | int, ...]) -> None:
    if isinstance(node, LDict):
        for key, value in node.items():
            if isinstance(value, str):
                node[key] = _expand(value, environ, problems, (*path, key), node.locs.get(key))
            else:
                _walk(value, environ, problems, (*path, key))
    elif isinstance(node, LList):
        for index, value in enumerate(node):
            if isinstance(value, str):
                node[index] = _expand(value, environ, problems, (*path, index), node.locs[index])
            else:
                _walk(value, environ, problems, (*path, index))


def _expand(
    text: str, environ: Mapping[str, str], problems: Problems, path: tuple[str | int, ...], loc: Loc | None
) -> str:
    if "${" not in text:
        return text

    def value(match: re.Match[str]) -> str:
        escaped, name, default = match.group(1), match.group(2), match.group(3)
        if escaped:
            return match.group(0)[1:]
        found = environ.get(name)
        if found:
            return found
        if default is not None:
            return default
        problems.add(
            path,
            f"environment variable {name} is not set (set it, or write ${{{name}:-default}})",
            loc,
        )
        return ""

    return _REF.sub(value, text)


def apply_overrides(tree: LDict, environ: Mapping[str, str], problems: Problems) -> list[str]:
    """Apply `LOTLINE_DB` and `LOTLINE__...` variables to the tree; returns the names applied."""
    applied: list[str] = []
    for name in sorted(environ):
        if name in ALIASES:
            path: Sequence[str] = ALIASES[name]
        elif name.startswith(OVERRIDE_PREFIX) and len(name) > len(OVERRIDE_PREFIX):
            path = [step.lower() for step in name[len(OVERRIDE_PREFIX) :].split("__")]
        else:
            continue
        if _set(tree, path, environ[name], name, problems):
            applied.append(name)
    return applied


def _set(tree: LDict, path: Sequence[str], value: str, name: str, problems: Problems) -> bool:
    loc = EnvLoc(name, 0, 0)
    node: Any = tree
    walked: list[str | int] = []
    for step in path[:-1]:
        if isinstance(node, LList):
            index = _entry(node, step)
            if index is None:
                known = ", ".join(str(e.get("id") or e.get("name")) for e in node if isinstance(e, dict))
                problems.add(
                    walked, f"{name}: no entry named {step!r} here (entries: {known or 'none'})", loc
                )
                return False
            walked.append(index)
            node = node[index]
            continue
        if not isinstance(node, LDict):
            problems.add(walked, f"{name}: {'.'.join(path)} does not lead to a setting", loc)
            return False
        if not isinstance(node.get(step), LDict | LList):
            if step in node:
                problems.add([*walked, step], f"{name}: this value has no fields to set", loc)
                return False
            node[step], node.locs[step] = LDict(loc), loc
        walked.append(step)
        node = node[step]
    if not isinstance(node, LDict):
        problems.add(walked, f"{name}: a whole list entry cannot be set from the environment", loc)
        return False
    node[path[-1]], node.locs[path[-1]] = value, loc
    return True


def _entry(entries: LList, step: str) -> int | None:
    for index, entry in enumerate(entries):
        if isinstance(entry, dict):
            key = entry.get("id") or entry.get("name")
            if isinstance(key, str) and _norm(key) == step:
                return index
    return None


def _norm(key: str) -> str:
    return key.lower().replace("-", "_").replace(".", "_")
