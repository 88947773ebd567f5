"""Mapping expressions: JSONata (jsonata-python), compiled once when the mapping file is loaded.

An expression is evaluated against the decoded payload (`$` is the payload) with variables bound by the
mapper (`$message`, `$plant`, the mapping's `vars`, `$each`/`$index` in a `foreach`, and the lookup
functions). What comes back is plain JSON data: sequences become lists, JSONata `null` becomes None, a
whole number computed as a float (`1.25 * 1000`) becomes an int, and "no value" (JSONata *undefined*,
e.g. a missing field) is `UNDEFINED`, which templates drop.

Plain field paths (`order`, `header.plant`, `$site`, `$each.lot`) are the most common expressions in a
mapping; they are read straight from the dicts (and the bound variables) without the JSONata evaluator
(5x faster), falling back to JSONata whenever the path meets anything but a dict, so the result is always
what JSONata would return.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final

from jsonata import Jsonata
from jsonata.jexception import JException
from jsonata.utils import Utils

from lotline.errors import MappingError

__all__ = ["UNDEFINED", "Expr", "function", "to_json"]


class _Undefined:
    """JSONata's *undefined*: the expression produced no value (a template drops the field)."""

    def __repr__(self) -> str:
        return "UNDEFINED"

    def __bool__(self) -> bool:
        return False


UNDEFINED: Final = _Undefined()

_PLAIN_PATH = re.compile(r"\$?[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*")
_RESERVED = frozenset({"true", "false", "null", "and", "or", "in"})


class Expr:
    """One compiled JSONata expression, with where it was written (for error messages)."""

    __slots__ = ("_compiled", "_path", "location", "source")

    def __init__(self, source: str, location: str | None = None) -> None:
        self.source = source
        self.location = location
        try:
            compiled = Jsonata(source)
        except JException as exc:
            raise MappingError(f"bad expression {source!r}: {_reason(exc)}", location=location) from None
        except Exception as exc:  # the parser has a few unguarded corners (e.g. lone operators)
            raise MappingError(f"bad expression {source!r}: {exc}", location=location) from None
        compiled.set_validate_input(False)  # payloads come from a JSON parser
        compiled.set_output_convert_nulls(False)  # keep null and undefined apart
        self._compiled = compiled
        plain = _PLAIN_PATH.fullmatch(source.strip()) and not (set(source.split(".")) & _RESERVED)
        self._path: tuple[str, ...] | None = tuple(source.strip().split(".")) if plain else None

    def __repr__(self) -> str:
        return f"Expr({self.source!r})"

    def evaluate(self, data: Any, bindings: Mapping[str, Any]) -> Any:
        """The value of the expression for `data`, as plain JSON data, or UNDEFINED.

        Raises MappingError (with this expression's location) when the evaluation fails."""
        path = self._path
        if path is not None and path[0][0] == "$":  # a variable, then a path into it
            if path[0][1:] in bindings:
                value: Any = bindings[path[0][1:]]
                path = path[1:]
            else:  # not ours (a JSONata function name?): let JSONata say what it is
                path = None
        else:
            value = data
        if path is not None:
            for step in path:
                if type(value) is not dict:
                    break
                value = value.get(step)
                if value is None:  # missing, or JSON null: no value either way
                    return UNDEFINED
            else:
                return UNDEFINED if value is None else to_json(value)
        Jsonata.CURRENT.jsonata = self._compiled  # $now() and higher-order functions read it
        try:
            result = self._compiled.evaluate(data, bindings)
        except JException as exc:
            raise MappingError(_reason(exc), location=self.location) from None
        except MappingError:
            raise
        except Exception as exc:
            raise MappingError(f"{type(exc).__name__}: {exc}", location=self.location) from None
        return UNDEFINED if result is None else to_json(result)


def function(implementation: Any) -> Any:
    """A Python callable made callable from expressions (`$name(...)` once bound as `name`)."""
    return Jsonata.JLambda(implementation)


def to_json(value: Any) -> Any:
    """JSONata's result as plain JSON data (lists, dicts, str, int, float, bool, None)."""
    if value is Utils.NULL_VALUE:
        return None
    if isinstance(value, float):
        return int(value) if value.is_integer() and abs(value) < 2**53 else value
    if isinstance(value, list):
        return [to_json(v) for v in value]
    if isinstance(value, dict):
        return {k: to_json(v) for k, v in value.items()}
    if isinstance(value, str | int | bool) or value is None:
        return value
    raise MappingError(f"the expression produced a {type(value).__name__}, not JSON data")


def _reason(exc: JException) -> str:
    message = str(exc)
    code = getattr(exc, "error", "")
    position = getattr(exc, "location", None)
    at = f" at character {position}" if isinstance(position, int) and position > 0 else ""
    return f"{message} (JSONata {code}{at})" if code else message
