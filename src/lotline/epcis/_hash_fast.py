"""The pre-hash string of the common events, built straight from their JSON (the fast path of `prehash`).

`fast_prehash` writes the pre-hash string of an event made of the standard fields in their usual JSON-LD
shapes: scalar fields as strings, EPC lists of strings, quantity elements of `epcClass`/`quantity`/`uom`,
`readPoint`/`bizLocation` as `{"id": ...}`, and bizTransaction/source/destination entries of `type` and the
value. Other top-level fields (ilmd, user extensions) go through the general reader, as in the general
builder. For anything else (sensor data, persistentDisposition, other shapes or value types, `ignoreFields`)
it returns None and `hashing.prehash` uses the general builder, which stays the reference implementation:
tests/epcis/test_hash_fast.py checks that both give the same string, byte for byte.

Each field is turned into its part of the string in one pass, with the value canonicalisers of the general
builder, and identifiers go through `common_digital_link`, which remembers them for `identity_key`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from lotline.epcis.hashing import (
    _EPC,
    _NOT_HASHED,
    _ORDER,
    _PAIR_LISTS,
    _QTY,
    _SKIPPED_KEYS,
    _UNSORTED,
    STANDARD_PREFIXES,
    Order,
    _canonical,
    _compile,
    _generic,
    _Reader,
    _time,
    _vocabulary_terms,
    context_prefixes,
)
from lotline.epcis.identifiers import common_digital_link
from lotline.epcis.vocab import CBV_WEB, GS1_VOC

__all__ = ["fast_prehash"]

_SCALAR, _TIME, _ID, _EPCS, _QUANTITIES, _LOCATION, _PAIRS, _SKIP = range(8)
_QTY_ORDER: Final = _compile(_QTY)


def _kind(name: str, sub: Order | None, is_time: bool) -> int | None:
    if sub is None:
        return _TIME if is_time else _ID if name == "parentID" else _SCALAR
    if sub == _compile(_EPC):
        return _EPCS
    if sub == _QTY_ORDER:
        return _QUANTITIES
    if sub == _compile((("id", None),)):
        return _LOCATION
    return None  # persistentDisposition, sensorElementList: the general builder


# top-level field -> (how it is written, its rank in the ordered part; for pair lists: the value's name)
_FIELDS: Final[dict[str, tuple[int | None, int | str]]] = {
    **{name: (_kind(name, sub, is_time), rank) for name, (rank, sub, is_time) in _ORDER.items()},
    **{name: (_PAIRS, name[:-4]) for name in _PAIR_LISTS},
    **{name: (_SKIP, 0) for name in _NOT_HASHED | _SKIPPED_KEYS},
}
_QUANTITY_RANKS: Final = {
    name: rank for name, (rank, _, _) in (_QTY_ORDER["quantityElement"][1] or {}).items()
}
_CURIES: Final = ("cbv:", "gs1:")


def _text(value: str, terms: Mapping[str, str]) -> str:
    """`_Reader.text`: a `cbv:`/`gs1:` CURIE expanded, or a bare word of the event's vocabulary as its IRI."""
    if value[:4] in _CURIES:
        return (CBV_WEB if value[0] == "c" else GS1_VOC) + value[4:]
    return terms.get(value) or value


def _scalar(value: Any, terms: Mapping[str, str]) -> str | None:
    """`_Reader.value` of a JSON scalar, stripped as `_ordered` does; None for anything else."""
    kind = type(value)
    if kind is str:
        return _text(value, terms).strip()
    if kind is bool:
        return "true" if value else "false"
    if kind is int or kind is float:
        return str(value).strip()
    return None


def _id(value: str) -> str:
    """`_canonical` of a stripped, non-empty identifier."""
    dl = common_digital_link(value)
    return _canonical(value) if dl is None else dl


def _epcs(name: str, items: Any, terms: Mapping[str, str]) -> str | None:
    if type(items) is not list:
        return None
    out = []
    for item in items:
        if type(item) is not str:
            return None
        if item[:4] in _CURIES or item in terms:
            item = _text(item, terms)
        item = item.strip()
        if item:
            out.append("epc=" + _id(item))
    if not out:
        return ""
    out.sort()
    return name + "".join(out)


def _quantities(name: str, items: Any, terms: Mapping[str, str]) -> str | None:
    if type(items) is not list:
        return None
    out = []
    for item in items:
        if type(item) is not dict or not item:
            return None
        parts: list[tuple[int, str]] = []
        for key, value in item.items():
            rank = _QUANTITY_RANKS.get(key)
            text = _scalar(value, terms)
            if rank is None or text is None:
                return None
            if text:
                parts.append((rank, key + "=" + (_id(text) if rank == 0 else _canonical(text))))
        if parts:
            parts.sort()
            out.append("quantityElement" + "".join([part for _, part in parts]))
    if not out:
        return ""
    out.sort()
    return name + "".join(out)


def _location(name: str, value: Any, terms: Mapping[str, str]) -> str | None:
    if type(value) is not dict or len(value) != 1:
        return None
    uri = value.get("id")
    if type(uri) is not str:
        return None
    uri = _text(uri, terms).strip()
    return name + "id=" + _id(uri) if uri else ""


def _pairs(name: str, element: str, items: Any, terms: Mapping[str, str]) -> str | None:
    """A bizTransactionList/sourceList/destinationList: each entry as type, then value; entries sorted."""
    if type(items) is not list:
        return None
    out = []
    for item in items:
        if type(item) is not dict:
            return None
        kind = value = ""
        for key, text in item.items():
            if type(text) is not str or (key != "type" and key != element):
                return None
            text = _text(text, terms).strip()
            part = key + "=" + _canonical(text) if text else key
            if key == "type":
                kind = part
            else:
                value = part
        out.append(kind + value)
    out.sort()
    return name + "".join(out)


def fast_prehash(event: Mapping[str, Any], context: Mapping[str, str] | None) -> str | None:
    """The pre-hash string of `event` (see the module docstring), or None: use the general builder."""
    if type(event.get("eventTime")) is not str:
        return None  # (the general builder then treats user extensions differently)
    terms = _vocabulary_terms(event)
    ordered: list[tuple[int, str]] = []
    rest: list[str] = []
    others: dict[str, Any] = {}
    for key, value in event.items():
        field = _FIELDS.get(key)
        if field is None:
            if key[:1] != "@":
                others[key] = value
            continue
        how, rank = field
        part: str | None
        if how <= _ID:  # _SCALAR, _TIME, _ID
            if type(value) is not str:
                return None
            text = _text(value, terms).strip()
            if not text:
                continue
            part = (
                key + "=" + (_time(text) if how == _TIME else _id(text) if how == _ID else _canonical(text))
            )
        elif how == _EPCS:
            part = _epcs(key, value, terms)
        elif how == _QUANTITIES:
            part = _quantities(key, value, terms)
        elif how == _LOCATION:
            part = _location(key, value, terms)
        elif how == _PAIRS:
            if type(value) is list and not value:
                continue
            part = _pairs(key, str(rank), value, terms)
            if part is None:
                return None
            rest.append(part)
            continue
        elif how == _SKIP:
            continue
        else:
            return None
        if part is None:
            return None
        if part:
            ordered.append((int(rank), part))
    if others:
        prefixes = dict(STANDARD_PREFIXES)
        if context:
            prefixes.update(context)
        if "@context" in event:
            prefixes.update(context_prefixes(event["@context"]))
        for node in _Reader(prefixes, terms).children(others):
            if node[0] in _UNSORTED:
                return None  # the general builder does not sort the remainder then
            if node[0] not in _NOT_HASHED:
                rest.append(_generic([node]))
    ordered.sort()
    rest.sort()
    return f"eventType={event.get('type', '')}{''.join([p for _, p in ordered])}{''.join(rest)}"
