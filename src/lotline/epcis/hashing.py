"""The CBV 2.0 canonical event hash: `ni:///sha-256;<hex>?ver=CBV2.0`.

The hash identifies an EPCIS event independently of its serialisation (JSON-LD or XML, field order, URN or
Digital Link identifiers, time zone, number formatting). This is a clean reimplementation of the algorithm
specified and implemented by the MIT-licensed reference https://github.com/RalphTro/epcis-event-hash-generator
(version 1.9.x and its test vectors), credit to Ralph Tröger, Sebastian Schmittner and contributors.

The pre-hash string is `eventType=<type>`, then the standard fields in the fixed order of `_ORDER` as
`name=value` (nested fields as `name` followed by their children; repeated values sorted), then everything
else (bizTransactionList, sourceList, destinationList, ilmd, user extensions as `{namespace}name=value`)
sorted. Values are canonicalised: times to UTC with milliseconds (`2019-10-21T14:45:00.000Z`), CBV values to
their web URI, GS1 identifiers to the constrained Digital Link, numbers without redundant zeros. `eventID`,
`recordTime` and `errorDeclaration` are not part of the hash.

Where the reference's result depends on more than the event (the serialisation it was read from, JSON key
order, the other events of the document, the machine's time zone) this module picks one answer, the one that
makes the JSON-LD and XML forms of an event hash alike, and the one the reference's XML vectors expect:
- CURIE values in the `cbv:` and `gs1:` namespaces are expanded, values with other prefixes are not (the
  reference's XML reader does exactly this; its JSON reader expands whatever prefixes the document declares);
- booleans are `true`/`false` (the reference's JSON reader writes Python's `True`);
- a JSON array under an `xList` key becomes an `xList` element of `x` elements, an object under such a key
  stays one element (the reference's JSON reader renames its children too);
- a bizTransaction/source/destination is hashed as type, then value, whatever the JSON key order;
- a bare word becomes a CBV web URI when a vocabulary field of the *same event* uses that term (the
  reference looks at the whole document); `@context` and other JSON-LD keywords inside an event are not hashed;
- times are rounded half-up to milliseconds as the reference documents (its code rounds half-to-even, and
  drops the event when that carries into the next second); a time without an offset is taken as UTC.
The `ignoreFields` header of a document (`ignored_fields`) is honoured for top-level fields.

`general_prehash` builds the pre-hash string of any event through the reference's tree model (below) and is
the reference for `_hash_fast`, which builds the same string for the common events straight from their JSON,
several times faster; `prehash` and `event_hash` use the fast path where it applies.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Collection, Mapping
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any, Final, TypeGuard, cast

from lotline.epcis.identifiers import hash_canonical
from lotline.epcis.vocab import (
    BIZ_STEPS,
    BIZ_TRANSACTION_TYPES,
    CBV_WEB,
    COMPONENTS,
    DISPOSITIONS,
    ERROR_REASONS,
    GS1_VOC,
    MEASUREMENT_TYPES,
    SENSOR_ALERT_TYPES,
    SOURCE_DEST_TYPES,
    STANDARD_PREFIXES,
    web_cbv,
)

__all__ = ["context_prefixes", "event_hash", "general_prehash", "ignored_fields", "prehash"]

Node = tuple[str, str, list["Node"]]  # (name, text, children), the reference's simple object model
_NO_KIDS: Final[list[Node]] = []  # shared: node lists are never changed in place
Spec = tuple[tuple[str, "Spec | None"], ...]
Order = dict[str, tuple[int, "Order | None", bool]]  # name -> (rank, order of its children, is a time)

_EPC: Final[Spec] = (("epc", None),)
_QTY: Final[Spec] = (("quantityElement", (("epcClass", None), ("quantity", None), ("uom", None))),)
_SENSOR_METADATA: Final = (
    "time startTime endTime deviceID deviceMetadata rawData dataProcessingMethod bizRules"
)
_SENSOR_REPORT: Final = (
    "type exception deviceID deviceMetadata rawData dataProcessingMethod time microorganism chemicalSubstance "
    "value component stringValue booleanValue hexBinaryValue uriValue minValue maxValue meanValue sDev "
    "percRank percValue uom coordinateReferenceSystem"
)
# bizTransactionList, sourceList and destinationList are absent: the reference never matches them here, so
# they always land in the sorted remainder.
_SPEC: Final[Spec] = (
    *((name, None) for name in ("eventTime", "eventTimeZoneOffset", "certificationInfo", "parentID")),
    ("epcList", _EPC),
    ("inputEPCList", _EPC),
    ("childEPCs", _EPC),
    ("quantityList", _QTY),
    ("childQuantityList", _QTY),
    ("inputQuantityList", _QTY),
    ("outputEPCList", _EPC),
    ("outputQuantityList", _QTY),
    *((name, None) for name in ("action", "transformationID", "bizStep", "disposition")),
    ("persistentDisposition", (("set", None), ("unset", None))),
    ("readPoint", (("id", None),)),
    ("bizLocation", (("id", None),)),
    (
        "sensorElementList",
        (
            (
                "sensorElement",
                (
                    ("sensorMetadata", tuple((name, None) for name in _SENSOR_METADATA.split())),
                    ("sensorReport", tuple((name, None) for name in _SENSOR_REPORT.split())),
                ),
            ),
        ),
    ),
)


def _compile(spec: Spec) -> Order:
    return {
        name: (
            rank,
            None if sub is None else _compile(sub),
            "time" in name.lower() and "offset" not in name.lower(),
        )
        for rank, (name, sub) in enumerate(spec)
    }


_ORDER: Final = _compile(_SPEC)
_NOT_HASHED: Final = frozenset({"recordTime", "eventID", "type", "errorDeclaration"})
_SKIPPED_KEYS: Final = frozenset({"#text", "rdfs:comment", "comment"})
_PAIR_LISTS: Final = frozenset({"bizTransactionList", "sourceList", "destinationList"})
_UNSORTED: Final = frozenset({"bizTransaction", "source", "destination"})
_RENAMES: Final = {
    "inputEPC": "epc",
    "outputEPC": "epc",
    "inputQuantity": "quantityElement",
    "outputQuantity": "quantityElement",
    "childQuantity": "quantityElement",
}
_CBV_URNS: Final = (
    ("urn:epcglobal:cbv:bizstep:", CBV_WEB + "BizStep-"),
    ("urn:epcglobal:cbv:disp:", CBV_WEB + "Disp-"),
    ("urn:epcglobal:cbv:btt:", CBV_WEB + "BTT-"),
    ("urn:epcglobal:cbv:sdt:", CBV_WEB + "SDT-"),
    ("urn:epcglobal:cbv:er:", CBV_WEB + "ER-"),
)
_AMBIGUOUS: Final = ""
_TYPED_LISTS: Final = (
    ("bizTransactionList", "bizTransactionType"),
    ("sourceList", "sourceDestType"),
    ("destinationList", "sourceDestType"),
)
_BARE: Final = {  # vocabulary kind -> bare standard term -> web URI
    kind: {value: web_cbv(kind, value) for value in values}
    for kind, values in (
        ("bizStep", BIZ_STEPS),
        ("disposition", DISPOSITIONS),
        ("bizTransactionType", BIZ_TRANSACTION_TYPES),
        ("sourceDestType", SOURCE_DEST_TYPES),
        ("errorReason", ERROR_REASONS),
        ("measurementType", MEASUREMENT_TYPES),
        ("sensorAlertType", SENSOR_ALERT_TYPES),
        ("component", COMPONENTS),
    )
}


# --- values ---------------------------------------------------------------------------------------------


@lru_cache(maxsize=1 << 14)
def _canonical(text: str) -> str:
    """CBV URN -> web URI, then number formatting, then GS1 identifier -> Digital Link."""
    if "urn:epcglobal:cbv:" in text:
        for urn, web in _CBV_URNS:
            text = text.replace(urn, web)
    first = text[:1]
    if first.isdigit() or first in "+-.":
        try:
            number = float(text)
            text = str(int(number)) if int(number) == number else str(number)
        except (ValueError, OverflowError):
            pass
    return hash_canonical(text) or text


def _time(text: str) -> str:
    """An ISO 8601 date-time -> UTC, milliseconds (rounded half up), `Z`; anything else unchanged."""
    if len(text) == 24 and text[19] == "." and text[23] == "Z" and text[10] == "T":
        return text  # already canonical
    if len(text) == 29 and text[27:] == "00" and _MS_WHOLE_HOUR_OFFSET.fullmatch(text):
        hour = int(text[11:13]) - int(text[23:26])  # `YYYY-MM-DDTHH:MM:SS.mmm+HH:00` in UTC: only the date
        shift = (hour > 23) - (hour < 0)  # and the hour change
        day = (_DAYS.get(text[:10]) or _days(text[:10]))[shift]
        if day:
            return day + _HOURS[hour - 24 * shift] + text[13:23] + "Z"
    try:
        moment = datetime.fromisoformat(text[:-1] + "+00:00" if text[-1:] in "Zz" else text)
    except ValueError:
        return text
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    rest = moment.microsecond % 1000
    if rest:
        moment += timedelta(microseconds=1000 - rest if rest >= 500 else -rest)
    return (
        f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}T{moment.hour:02d}:{moment.minute:02d}:"
        f"{moment.second:02d}.{moment.microsecond // 1000:03d}Z"
    )


# A date-time with milliseconds and a whole-hour offset, all ASCII digits, in range but for the date part
_MS_WHOLE_HOUR_OFFSET: Final = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T(?:[01][0-9]|2[0-3])(?::[0-5][0-9]){2}\.[0-9]{3}[+-](?:[01][0-9]|2[0-3]):00"
)
_DAYS: Final[dict[str, tuple[str, str, str]]] = {}  # "YYYY-MM-DD" -> (that day, the next, the one before)
_HOURS: Final = tuple(f"T{hour:02d}" for hour in range(24))


def _days(text: str) -> tuple[str, str, str]:
    """`_DAYS[text]` (a day that is not valid or out of range is "")."""
    days = []
    for shift in (0, 1, -1):
        try:
            days.append((date.fromisoformat(text) + timedelta(days=shift)).isoformat())
        except (ValueError, OverflowError):
            days.append("")
    if len(_DAYS) >= 4096:
        _DAYS.clear()
    _DAYS[text] = result = (days[0], days[1], days[2])
    return result


@lru_cache(maxsize=1024)
def _terms_of(iris: frozenset[str]) -> dict[str, str]:
    """bare word -> IRI for every tail of each IRI after a `-` or `/` (ambiguous words map to "")."""
    terms: dict[str, str] = {}
    for iri in iris:
        for i, c in enumerate(iri):
            if c in "-/":
                word = iri[i + 1 :]
                terms[word] = iri if terms.get(word, iri) == iri else _AMBIGUOUS
    return terms


def _is_mapping(value: Any) -> TypeGuard[Mapping[str, Any]]:
    return type(value) is dict or isinstance(value, Mapping)  # (the ABC check is slow)


def _vocabulary_iri(kind: str, value: Any) -> str | None:
    if type(value) is not str:
        return None
    iri = _BARE[kind].get(value)
    if iri is not None:
        return iri
    if value.startswith(("cbv:", "gs1:")):
        return (CBV_WEB if value[0] == "c" else GS1_VOC) + value[4:]
    return value if value.startswith((CBV_WEB, GS1_VOC)) else None


def _vocabulary_terms(event: Mapping[str, Any]) -> dict[str, str]:
    """bare word -> web URI, for the vocabulary terms this event uses: what the reference learns from the
    JSON-LD expansion of the @vocab-typed fields, and then applies to every string of the event."""
    found: set[str | None] = {_vocabulary_iri("bizStep", event.get("bizStep"))}
    found.add(_vocabulary_iri("disposition", event.get("disposition")))
    persistent = event.get("persistentDisposition")
    if persistent is not None and _is_mapping(persistent):
        for values in (persistent.get("set"), persistent.get("unset")):
            for value in values if isinstance(values, list) else (values,):
                found.add(_vocabulary_iri("disposition", value))
    for name, kind in _TYPED_LISTS:
        entries = event.get(name)
        if entries:
            for entry in entries if isinstance(entries, list) else (entries,):
                if _is_mapping(entry):
                    found.add(_vocabulary_iri(kind, entry.get("type")))
    declaration = event.get("errorDeclaration")
    if declaration is not None and _is_mapping(declaration):
        found.add(_vocabulary_iri("errorReason", declaration.get("reason")))
    elements = event.get("sensorElementList")
    for element in elements if isinstance(elements, list) else ():
        reports = element.get("sensorReport") if _is_mapping(element) else None
        for report in reports if isinstance(reports, list) else (reports,):
            if _is_mapping(report):
                found.add(_vocabulary_iri("measurementType", report.get("type")))
                found.add(_vocabulary_iri("sensorAlertType", report.get("exception")))
                found.add(_vocabulary_iri("component", report.get("component")))
    found.discard(None)
    return _terms_of(frozenset(cast("set[str]", found))) if found else {}


# --- the event as the reference's tree of (name, text, children) ------------------------------------------


class _Reader:
    """Turns a JSON-LD event into nodes shaped like the reference's XML model: a JSON array under an `xList`
    key becomes one `xList` node of `x` elements (`childEPCs` of `epc`), other arrays repeat their key."""

    __slots__ = ("prefixes", "terms")

    def __init__(self, prefixes: Mapping[str, str], terms: Mapping[str, str]) -> None:
        self.prefixes = prefixes
        self.terms = terms

    def key(self, key: str) -> str:
        prefix, sep, local = key.partition(":")
        iri = self.prefixes.get(prefix) if sep else None
        return key if iri is None else "{" + iri + "}" + local

    def text(self, value: str) -> str:
        if value[:4] in ("cbv:", "gs1:"):  # CURIEs of the standard vocabularies, expanded as in XML
            return (CBV_WEB if value[0] == "c" else GS1_VOC) + value[4:]
        return self.terms.get(value) or value

    def value(self, value: Any) -> tuple[str, list[Node]]:
        if isinstance(value, str):
            return self.text(value), _NO_KIDS
        if isinstance(value, Mapping):
            text = value.get("#text", "")
            return (text if isinstance(text, str) else str(text)), self.children(value)
        if isinstance(value, bool):
            return ("true" if value else "false"), _NO_KIDS
        if isinstance(value, list):
            return "", [self.node("", item) for item in value]
        return str(value), _NO_KIDS  # numbers as Python prints them, like the reference

    def node(self, name: str, value: Any) -> Node:
        text, kids = self.value(value)
        if name in _RENAMES or (name == "quantity" and kids):
            name = _RENAMES.get(name, "quantityElement")
        return name, text, kids

    def children(self, obj: Mapping[str, Any]) -> list[Node]:
        kids: list[Node] = []
        for key, value in obj.items():
            if key in _SKIPPED_KEYS or key[:1] == "@":
                continue
            name = self.key(key) if ":" in key else key
            if type(value) is str:
                kids.append((name, self.text(value), _NO_KIDS))
            elif not isinstance(value, list):
                kids.append(self.node(name, value))
            elif name.endswith("List") or name == "childEPCs":
                if value:
                    kids.append(self.group(name, value))
            else:
                kids.extend(self.node(name, item) for item in value)
        return kids

    def group(self, name: str, items: list[Any]) -> Node:
        if name == "childEPCs":
            return name, "", [("epc", self.value(item)[0], _NO_KIDS) for item in items]
        element = name[:-4]
        if name in _PAIR_LISTS:  # each entry becomes (type, value): no name, never sorted inside
            pairs: list[Node] = []
            for item in items:
                kids = self.value(item)[1]
                pairs.append(
                    ("", "", [k for k in kids if k[0] == "type"] + [k for k in kids if k[0] == element])
                )
            return name, "", pairs
        renamed = _RENAMES.get(element, element)
        return (
            name,
            "",
            [
                (renamed, self.text(item), _NO_KIDS) if type(item) is str else self.node(element, item)
                for item in items
            ],
        )


# --- the pre-hash string ---------------------------------------------------------------------------------


def _ordered(kids: list[Node], order: Order) -> tuple[str, list[Node]]:
    """The ordered part of `kids` and the nodes (or the parts of nodes) it did not use."""
    extensions: list[Node] = []
    if len(kids) > 1:
        names = "\0".join([k[0] for k in kids])
        if "/}" in names and "eventTime" not in names and "action" not in names:
            # below the event, user extensions follow the standard fields of their enclosing element (the
            # reference tells "below the event" by these substrings, so `ex:transaction` counts as the event)
            extensions = [k for k in kids if "{" in k[0] and "/}" in k[0]]
            kids = [k for k in kids if not ("{" in k[0] and "/}" in k[0])]
    out: list[tuple[int, str]] = []
    leftovers: list[Node] = []
    for kid in kids:
        name, text, grandkids = kid
        spec = order.get(name)
        if spec is None:
            leftovers.append(kid)
            continue
        rank, sub, is_time = spec
        nested = ""
        if sub is not None and grandkids:
            nested, grandkids = _ordered(grandkids, sub)
        value = text.strip() if text else ""
        if value:
            value = "=" + (_time(value) if is_time else _canonical(value))
        if value or nested:
            out.append((rank, name + value + nested))
        if grandkids:
            leftovers.append((name, text, grandkids))
    out.sort()
    ordered = "".join([text for _, text in out])
    return (ordered + _generic(extensions) if extensions else ordered), leftovers


def _generic(nodes: list[Node]) -> str:
    parts = []
    for name, text, kids in nodes:
        value = text.strip()
        parts.append(name + ("=" + _canonical(value) if value else "") + (_generic(kids) if kids else ""))
    if len(parts) > 1 and not any(n[0] in _UNSORTED for n in nodes):
        parts.sort()
    return "".join(parts)


def _iri(name: str) -> str:
    """`{namespace}local` -> `namespacelocal`."""
    return name[1:].replace("}", "", 1) if name[:1] == "{" else name


def context_prefixes(doc_context: Any) -> dict[str, str]:
    """Namespace prefix -> IRI declared in a JSON-LD `@context` value (a string, an object, or a list of them).

    Remote contexts given by URL (such as the standard GS1 EPCIS context) contribute nothing."""
    prefixes: dict[str, str] = {}
    for entry in doc_context if isinstance(doc_context, list) else [doc_context]:
        if not isinstance(entry, Mapping):
            continue
        for prefix, iri in entry.items():
            if isinstance(iri, Mapping):
                iri = iri.get("@id")
            if isinstance(iri, str) and not prefix.startswith("@") and not iri.startswith("@"):
                prefixes[prefix] = iri
    return prefixes


def ignored_fields(document: Mapping[str, Any]) -> frozenset[str]:
    """The fields a document lists under a `<prefix>:ignoreFields` header extension (at the top or in
    `epcisBody.queryResults`), which the reference leaves out of the hash."""
    found: set[str] = set()

    def collect(value: Any) -> None:
        if isinstance(value, str):
            found.add(value)
        elif isinstance(value, Mapping):
            found.update(k for k in value if not k.startswith("@"))
        elif isinstance(value, list):
            for item in value:
                collect(item)

    body = document.get("epcisBody")
    results = body.get("queryResults") if isinstance(body, Mapping) else None
    for holder in (document, body, results):
        if isinstance(holder, Mapping):
            for key, value in holder.items():
                if key.rpartition(":")[2].rpartition("}")[2] == "ignoreFields":
                    collect(value)
    return frozenset(found)


def prehash(
    event: Mapping[str, Any],
    context: Mapping[str, str] | None = None,
    *,
    ignore_fields: Collection[str] = (),
) -> str:
    """The canonical pre-hash string of one EPCIS 2.0 event in JSON-LD form.

    `context` maps the document's namespace prefixes to IRIs (see `context_prefixes`); an `@context` inside
    the event adds to it. `ignore_fields` (see `ignored_fields`) names top-level fields left out, as CURIEs or
    IRIs."""
    if not ignore_fields:
        text = _hash_fast.fast_prehash(event, context)
        if text is not None:
            return text
    return general_prehash(event, context, ignore_fields=ignore_fields)


def general_prehash(
    event: Mapping[str, Any],
    context: Mapping[str, str] | None = None,
    *,
    ignore_fields: Collection[str] = (),
) -> str:
    """`prehash` by the general builder, for every event: the reference for the fast path of common events
    (`_hash_fast`), which must give the same string."""
    prefixes = dict(STANDARD_PREFIXES)
    if context:
        prefixes.update(context)
    if "@context" in event:
        prefixes.update(context_prefixes(event["@context"]))
    reader = _Reader(prefixes, _vocabulary_terms(event))
    ordered, rest = _ordered(reader.children(event), _ORDER)
    rest = [k for k in rest if k[0] not in _NOT_HASHED]
    if ignore_fields:
        skip = {_iri(reader.key(name)) for name in ignore_fields}
        rest = [k for k in rest if _iri(k[0]) not in skip]
    return f"eventType={event.get('type', '')}{ordered}{_generic(rest)}"


def event_hash(
    event: Mapping[str, Any],
    context: Mapping[str, str] | None = None,
    *,
    ignore_fields: Collection[str] = (),
) -> str:
    """The CBV 2.0 event hash `ni:///sha-256;<64 hex digits>?ver=CBV2.0` of one JSON-LD event."""
    digest = hashlib.sha256(prehash(event, context, ignore_fields=ignore_fields).encode()).hexdigest()
    return f"ni:///sha-256;{digest}?ver=CBV2.0"


# The fast path of `prehash` for common events builds on this module, so it is imported last.
from lotline.epcis import _hash_fast  # noqa: E402
