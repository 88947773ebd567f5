"""The pre-hash string of the common events, built straight from their JSON (the fast path of `prehash`).

`fast_prehash` writes the pre-hash string of an event made of the standard fields in their usual JSON-LD
shapes: scalar fields as strings, EPC lists of strings, quantity elements of `epcClass`/`quantity`/`uom`,
`readPoint`/`bizLocation` as `{"id": ...}`, and bizTransaction/source/destination entries of `type` and the
value. Other top-level fields (ilmd, user extensions) are written here when they are a string or an object
of strings, else by the general reader. For anything else (sensor data, persistentDisposition, other shapes or
value types, `ignoreFields`) it returns None and `hashing.prehash` uses the general builder, which stays the
reference implementation: tests/epcis/test_hash_fast.py checks that both give the same string, byte for
byte, on the hash vectors, generated plant histories and generated events.

Each field is written in one pass with the value canonicalisers of the general builder. What is written for
a value repeats across events (locations, vocabulary, parties, quantity elements), so the parts are cached
by the value as the event's vocabulary makes it read (see `_expand`); identifiers go through
`common_digital_link`, which converts the common ones fast and remembers them for `identity_key`.
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
    _RENAMES,
    _SKIPPED_KEYS,
    _UNSORTED,
    Order,
    _canonical,
    _compile,
    _generic,
    _Reader,
    _time,
    _vocabulary_terms,
    context_prefixes,
)
from lotline.epcis.identifiers import _AGREED, common_digital_link
from lotline.epcis.vocab import CBV_WEB, GS1_VOC, STANDARD_PREFIXES

__all__ = ["fast_prehash"]

_SCALAR, _TIME, _ID, _EPCS, _QUANTITIES, _LOCATION, _PAIRS, _SKIP, _GENERAL = range(9)
_QTY_ORDER: Final = _compile(_QTY)
_CURIES: Final = ("cbv:", "gs1:")
_CACHE_SIZE: Final = 4096
_known: Final = _AGREED.get  # what `common_digital_link` answered before (the common case, inline)
Cache = dict[Any, str]


def _kind(name: str, sub: Order | None, is_time: bool) -> int:
    if sub is None:
        return _TIME if is_time else _ID if name == "parentID" else _SCALAR
    if sub == _compile(_EPC):
        return _EPCS
    if sub == _QTY_ORDER:
        return _QUANTITIES
    if sub == _compile((("id", None),)):
        return _LOCATION
    return _GENERAL  # persistentDisposition, sensorElementList


# top-level field -> (how it is written, its rank in the ordered part, for pair lists the value's name, a cache
# of the parts written for its values)
_FIELDS: Final[dict[str, tuple[int, int, str, Cache]]] = {
    **{name: (_kind(name, sub, is_time), rank, "", {}) for name, (rank, sub, is_time) in _ORDER.items()},
    **{name: (_PAIRS, 0, name[:-4], {}) for name in _PAIR_LISTS},
    **{name: (_SKIP, 0, "", {}) for name in _NOT_HASHED | _SKIPPED_KEYS},
}
_SLOTS: Final = len(_ORDER)
_EXACT: Final = 2**53  # ints below are floats too
_TYPED_LISTS: Final = ("bizTransactionList", "sourceList", "destinationList")
_TERMS: Final[dict[tuple[str | int | None, ...], dict[str, str]]] = {}  # see `_terms`


# How a JSON string reads: `_Reader.text` maps a bare word of the event's vocabulary (`terms`) to its IRI,
# unless it is a `cbv:`/`gs1:` CURIE (`mapped = terms.get(value)`, `if mapped and value[:4] not in _CURIES`,
# written out where it is used); what is then written for that string depends on it alone (`_expand` expands
# a CURIE and strips it, as the general builder does before canonicalising), so it can be cached across
# events. (The IRIs of `terms` are web URIs, never CURIEs.)


def _expand(text: str) -> str:
    if text[:4] in _CURIES:
        text = (CBV_WEB if text[0] == "c" else GS1_VOC) + text[4:]
    return text.strip()


def _remember(cache: Cache, key: Any, part: str) -> str:
    if len(cache) >= _CACHE_SIZE:
        cache.clear()
    cache[key] = part
    return part


def _id(text: str) -> str:
    """`_canonical` of a stripped, non-empty identifier."""
    dl = common_digital_link(text)
    return _canonical(text) if dl is None else dl


def _epcs(name: str, items: Any, terms: Mapping[str, str]) -> str | None:
    if type(items) is not list:
        return None
    out = []
    for item in items:
        if type(item) is not str:
            return None
        dl = _known(item) or common_digital_link(item)  # not None: a URN or a Digital Link, so no CURIE
        if dl is None or item in terms:
            mapped = terms.get(item)
            text = _expand(mapped if mapped and item[:4] not in _CURIES else item)
            if not text:
                continue
            dl = _id(text)
        out.append(dl)
    if not out:
        return ""
    out.sort()  # as "epc=" + each
    return name + "epc=" + "epc=".join(out)


def _quantities(name: str, items: Any, terms: Mapping[str, str], uoms: Cache) -> str | None:
    if type(items) is not list:
        return None
    out = []
    for item in items:
        if type(item) is not dict:
            return None
        epc_class = item.get("epcClass")
        quantity = item.get("quantity")
        uom = item.get("uom")
        if len(item) != (epc_class is not None) + (quantity is not None) + (uom is not None) or not item:
            return None  # other fields, or null values
        element = "quantityElement"
        if epc_class is not None:
            if type(epc_class) is not str:
                return None
            dl = _known(epc_class)
            if dl is None or epc_class in terms:
                mapped = terms.get(epc_class)
                text = _expand(mapped if mapped and epc_class[:4] not in _CURIES else epc_class)
                dl = _id(text) if text else ""
            if dl:
                element += "epcClass=" + dl
        if quantity is not None:
            kind = type(quantity)
            if kind is int or kind is float:
                element += "quantity=" + _number(quantity)
            elif kind is str:
                mapped = terms.get(quantity)
                text = _expand(mapped if mapped and quantity[:4] not in _CURIES else quantity)
                if text:
                    element += "quantity=" + _canonical(text)
            else:
                return None  # (a boolean: the general builder)
        if uom is not None:
            if type(uom) is not str:
                return None
            mapped = terms.get(uom)
            if mapped and uom[:4] not in _CURIES:
                uom = mapped
            part = uoms.get(uom)
            if part is None:
                text = _expand(uom)
                part = _remember(uoms, uom, "uom=" + _canonical(text) if text else "")
            element += part
        if len(element) > 15:
            out.append(element)
    if not out:
        return ""
    out.sort()
    return name + "".join(out)


def _number(number: float) -> str:
    """`_canonical(str(number))` of an int or a float: no redundant zeros."""
    if type(number) is int:
        return str(number) if -_EXACT < number < _EXACT else _canonical(str(number))
    return str(int(number)) if number.is_integer() else repr(number)


def _location(name: str, value: Any, terms: Mapping[str, str], cache: Cache) -> str | None:
    if type(value) is not dict or len(value) != 1:
        return None
    uri = value.get("id")
    if type(uri) is not str:
        return None
    mapped = terms.get(uri)
    if mapped and uri[:4] not in _CURIES:
        uri = mapped
    part = cache.get(uri)
    if part is None:
        text = _expand(uri)
        part = _remember(cache, uri, name + "id=" + _id(text) if text else "")
    return part


def _pairs(name: str, element: str, items: Any, terms: Mapping[str, str], types: Cache) -> str | None:
    """A bizTransactionList/sourceList/destinationList: each entry as type, then value; entries sorted."""
    if type(items) is not list:
        return None
    out = []
    for item in items:
        if type(item) is not dict:
            return None
        kind = item.get("type")
        value = item.get(element)
        if len(item) != (kind is not None) + (value is not None):
            return None  # other fields, or null values
        pair = ""
        if kind is not None:
            if type(kind) is not str:
                return None
            mapped = terms.get(kind)
            if mapped and kind[:4] not in _CURIES:
                kind = mapped
            part = types.get(kind)
            if part is None:
                text = _expand(kind)
                part = _remember(types, kind, "type=" + _canonical(text) if text else "type")
            pair = part
        if value is not None:
            if type(value) is not str:
                return None
            mapped = terms.get(value)
            text = _expand(mapped if mapped and value[:4] not in _CURIES else value)
            pair += element + "=" + _canonical(text) if text else element
        out.append(pair)
    out.sort()
    return name + "".join(out)


def _terms(event: Mapping[str, Any]) -> dict[str, str]:
    """`_vocabulary_terms(event)`, cached by the values it reads (for the events `fast_prehash` takes)."""
    if "errorDeclaration" in event or "persistentDisposition" in event or "sensorElementList" in event:
        return _vocabulary_terms(event)
    step = event.get("bizStep")
    disposition = event.get("disposition")
    if not (type(step) is str or step is None) or not (type(disposition) is str or disposition is None):
        return _vocabulary_terms(event)
    key: list[str | int | None] = [step, disposition]
    for number, name in enumerate(_TYPED_LISTS):
        entries = event.get(name)
        if entries:
            if type(entries) is not list:
                return _vocabulary_terms(event)
            key.append(number)  # (not a string: no list of types can end like another list begins)
            for entry in entries:
                kind = entry.get("type") if type(entry) is dict else 0
                if not (type(kind) is str or kind is None):
                    return _vocabulary_terms(event)
                key.append(kind)
    found = tuple(key)
    terms = _TERMS.get(found)
    if terms is None:
        terms = _vocabulary_terms(event)
        if len(_TERMS) >= _CACHE_SIZE:
            _TERMS.clear()
        _TERMS[found] = terms
    return terms


def _extension(reader: _Reader, name: str, value: Any) -> str | None:
    """What `_generic` writes for a top-level field outside the standard ones (ilmd, a user extension) if it
    is a string or an object of strings; None for anything else (the general reader then)."""
    if type(value) is str:
        text = reader.text(value).strip()
        return name + "=" + _canonical(text) if text else name
    if type(value) is not dict or name in _RENAMES or name == "quantity":
        return None
    parts = []
    for key, text in value.items():
        if type(text) is not str or key in _SKIPPED_KEYS or key[:1] == "@":
            return None
        if ":" in key:
            key = reader.key(key)
        if key in _UNSORTED:
            return None
        text = reader.text(text).strip()
        parts.append(key + "=" + _canonical(text) if text else key)
    parts.sort()
    return name + "".join(parts)


def fast_prehash(event: Mapping[str, Any], context: Mapping[str, str] | None) -> str | None:
    """The pre-hash string of `event` (see the module docstring), or None: use the general builder."""
    if type(event.get("eventTime")) is not str:
        return None  # (the general builder then treats user extensions differently)
    terms = _terms(event)
    ordered = [""] * _SLOTS  # by rank
    rest: list[str] = []
    others: dict[str, Any] | None = None
    for key, value in event.items():
        field = _FIELDS.get(key)
        if field is None:
            if key[:1] != "@":
                if others is None:
                    others = {}
                others[key] = value
            continue
        how, rank, element, cache = field
        part: str | None
        if how <= _ID:  # _SCALAR, _TIME, _ID
            if type(value) is not str:
                return None
            mapped = terms.get(value)
            if mapped and value[:4] not in _CURIES:
                value = mapped
            if how == _SCALAR:
                part = cache.get(value)
                if part is None:
                    text = _expand(value)
                    part = _remember(cache, value, key + "=" + _canonical(text) if text else "")
            else:
                text = _expand(value)
                part = key + "=" + (_time(text) if how == _TIME else _id(text)) if text else ""
        elif how == _EPCS:
            part = _epcs(key, value, terms)
        elif how == _QUANTITIES:
            part = _quantities(key, value, terms, cache)
        elif how == _LOCATION:
            part = _location(key, value, terms, cache)
        elif how == _PAIRS:
            if type(value) is list and not value:
                continue
            part = _pairs(key, element, value, terms, cache)
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
        ordered[rank] = part
    if others:
        prefixes = STANDARD_PREFIXES
        if context or "@context" in event:
            prefixes = {**prefixes, **(context or {}), **context_prefixes(event.get("@context"))}
        reader = _Reader(prefixes, terms)
        for key, value in others.items():
            name = reader.key(key) if ":" in key else key
            if name in _UNSORTED:
                return None  # the general builder does not sort the remainder then
            part = _extension(reader, name, value)
            if part is not None:
                rest.append(part)
                continue
            for node in reader.children({key: value}):
                if node[0] in _UNSORTED:
                    return None
                if node[0] not in _NOT_HASHED:
                    rest.append(_generic([node]))
    rest.sort()
    return f"eventType={event.get('type', '')}{''.join(ordered)}{''.join(rest)}"
