"""Mapping expressions: JSONata (jsonata-python), compiled once when the mapping file is loaded.

An expression is evaluated against the decoded payload (`$` is the payload) with variables bound by the
mapper (`$message`, `$plant`, the mapping's `vars`, `$each`/`$index` in a `foreach`, and the lookup
functions). What comes back is plain JSON data: sequences become lists, JSONata `null` becomes None, a
whole number computed as a float (`1.25 * 1000`) becomes an int, and "no value" (JSONata *undefined*,
e.g. a missing field) is `UNDEFINED`, which templates drop.

Plain field paths (`order`, `header.plant`, `$site`, `$each.lot`) are the most common expressions in a
mapping; they are read straight from the dicts (and the bound variables) without the JSONata evaluator
(5x faster), falling back to JSONata whenever the path meets anything but a dict, so the result is always
what JSONata would return. The next most common, string concatenations of such paths and literals
(`'urn:epc:class:lgtin:' & $gcp & '.' & item & '.' & lot`), comparisons of a path with a number
(`count > 0`) and `$fromMillis(path)`, are evaluated the same way when every value they meet is a string (a
number for comparisons, whole milliseconds for `$fromMillis`); anything else goes to JSONata.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
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

_PATH = r"\$?[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*"
_PLAIN_PATH = re.compile(_PATH)
_RESERVED = frozenset({"true", "false", "null", "and", "or", "in"})
_TERM = rf"'[^'\\]*'|\"[^\"\\]*\"|{_PATH}"
_CONCAT = re.compile(rf"\s*(?:{_TERM})(?:\s*&\s*(?:{_TERM}))+\s*")
_TERMS = re.compile(_TERM)
_COMPARE = re.compile(rf"\s*({_PATH})\s*(>=|<=|!=|>|<|=)\s*(-?\d+(?:\.\d+)?)\s*")
_OPERATORS: Final[dict[str, Callable[[Any, Any], bool]]] = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
    "=": operator.eq,
    "!=": operator.ne,
}
_FROM_MILLIS = re.compile(rf"\s*\$fromMillis\(\s*({_PATH})\s*\)\s*")
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_UNSURE: Final = object()  # a fast path met something only JSONata knows how to treat


class Expr:
    """One compiled JSONata expression, with where it was written (for error messages)."""

    __slots__ = ("_compare", "_compiled", "_concat", "_millis", "_path", "location", "source")

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
        self._path = _plain(source)
        self._concat: list[str | tuple[str, ...]] | None = None  # literals and paths
        if _CONCAT.fullmatch(source):
            terms = [t if t[0] in "'\"" else _plain(t) for t in _TERMS.findall(source)]
            if all(t is not None for t in terms):
                self._concat = [t[1:-1] if isinstance(t, str) else t for t in terms if t is not None]
        compare = _COMPARE.fullmatch(source)
        path = _plain(compare[1]) if compare else None
        self._compare = (path, _OPERATORS[compare[2]], float(compare[3])) if compare and path else None
        millis = _FROM_MILLIS.fullmatch(source)
        self._millis = _plain(millis[1]) if millis else None

    def __repr__(self) -> str:
        return f"Expr({self.source!r})"

    def evaluate(self, data: Any, bindings: Mapping[str, Any]) -> Any:
        """The value of the expression for `data`, as plain JSON data, or UNDEFINED.

        Raises MappingError (with this expression's location) when the evaluation fails."""
        if self._path is not None:
            value = _lookup(self._path, data, bindings)
            if value is not _UNSURE:
                return UNDEFINED if value is None else to_json(value)
        elif self._concat is not None:
            pieces = []
            for term in self._concat:
                piece = term if isinstance(term, str) else _lookup(term, data, bindings)
                if type(piece) is not str:
                    break  # numbers, missing values, ...: JSONata's own rules
                pieces.append(piece)
            else:
                return "".join(pieces)
        elif self._compare is not None:
            path, compare, number = self._compare
            value = _lookup(path, data, bindings)
            if type(value) is int or type(value) is float:  # not bool: JSONata refuses to compare those
                return compare(value, number)
        elif self._millis is not None:
            millis = _lookup(self._millis, data, bindings)
            if type(millis) is int and 0 <= millis < 253402300800000:  # years 1970-9999
                when = _EPOCH + timedelta(milliseconds=millis)  # exact: no float seconds
                return when.isoformat(timespec="milliseconds").replace("+00:00", "Z")
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


def _plain(source: str) -> tuple[str, ...] | None:
    """The steps of a plain field path (`a.b`, `$var.c`), or None for anything else."""
    source = source.strip()
    if _PLAIN_PATH.fullmatch(source) and not (set(source.split(".")) & _RESERVED):
        return tuple(source.split("."))
    return None


def _lookup(path: tuple[str, ...], data: Any, bindings: Mapping[str, Any]) -> Any:
    """The value at a plain path (None when missing or null), or _UNSURE where JSONata must decide (a
    variable that is not bound, a step into something other than an object)."""
    if path[0][0] == "$":  # a variable, then a path into it
        if path[0][1:] not in bindings:
            return _UNSURE  # not ours (a JSONata function name?): let JSONata say what it is
        value: Any = bindings[path[0][1:]]
        path = path[1:]
    else:
        value = data
    for step in path:
        if type(value) is not dict:
            return _UNSURE
        value = value.get(step)
        if value is None:  # missing, or JSON null: no value either way
            return None
    return value


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
