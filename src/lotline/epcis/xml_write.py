"""The JSON-LD shaped EPCIS document dict -> EPCIS 2.0 XML (the reverse of `xml_read`).

Elements come out in the order the EPCIS 2.0 XSD prescribes, bare CBV words become URNs (sensor terms, which
have no URN, their web URI: `https://gs1.org/voc/Temperature`), and `"prefix:name"` extension fields become elements (attributes on
sensorMetadata/sensorReport) in the namespace the document's or the event's own `@context` gives the prefix.
Unprefixed keys inside extension values become unqualified elements; unprefixed unknown keys of readPoint,
errorDeclaration, sensorElement, ilmd and friends go into their `<extension>` wrapper, as `xml_read` reads
them. The document-level JSON fields `id`, `sender`, `receiver` and `instanceIdentifier` have no XML
counterpart outside the SBDH and are not written.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from lxml import etree

from lotline.epcis.vocab import STANDARD_PREFIXES, urn_cbv
from lotline.epcis.xml_read import (
    EPCIS_NS,
    NUMBER_TEXT,
    QUERY_NS,
    SENSOR_NUMBERS,
    SENSOR_VOCABULARIES,
    XSI_NS,
)
from lotline.errors import DocumentError

_XSI_NIL = f"{{{XSI_NS}}}nil"
_COMMON_HEAD = (
    "eventTime",
    "recordTime",
    "eventTimeZoneOffset",
    "eventID",
    "errorDeclaration",
    "certificationInfo",
)
_WHERE_HOW = ("bizStep", "disposition", "readPoint", "bizLocation", "bizTransactionList")
_TAIL = ("sourceList", "destinationList", "sensorElementList", "persistentDisposition")
# Field order per event type, as in the XSD sequences.
EVENT_FIELDS: dict[str, tuple[str, ...]] = {
    "ObjectEvent": (*_COMMON_HEAD, "epcList", "action", *_WHERE_HOW, "quantityList", *_TAIL, "ilmd"),
    "AggregationEvent": (
        *_COMMON_HEAD, "parentID", "childEPCs", "action", *_WHERE_HOW, "childQuantityList", *_TAIL,
    ),
    "TransactionEvent": (
        *_COMMON_HEAD, "bizTransactionList", "parentID", "epcList", "action", "bizStep", "disposition",
        "readPoint", "bizLocation", "quantityList", *_TAIL,
    ),
    "TransformationEvent": (
        *_COMMON_HEAD, "inputEPCList", "inputQuantityList", "outputEPCList", "outputQuantityList",
        "transformationID", *_WHERE_HOW, *_TAIL, "ilmd",
    ),
    "AssociationEvent": (
        *_COMMON_HEAD, "parentID", "childEPCs", "childQuantityList", "action", *_WHERE_HOW, *_TAIL,
    ),
}  # fmt: skip
_DOC_FIELDS = frozenset(
    {"@context", "type", "schemaVersion", "creationDate", "epcisHeader", "epcisBody"}
    | {"id", "sender", "receiver", "instanceIdentifier"}  # JSON-only document fields (see module docstring)
)
_RESERVED_XML_PREFIXES = frozenset({"epcis", "epcisq", "xsi", "xml", "xmlns"})
# Namespaces are written as the JSON-LD context defines them (cbvmda included: `urn:epcglobal:cbv:mda:`),
# so an event read back from lotline's XML has the hash it had: the CBV 2.0 hash takes namespaces as written.
_STANDARD_XML_PREFIXES = {p: uri for p, uri in STANDARD_PREFIXES.items() if p != "epcis"}
_NCNAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")


def render_xml_document(doc: Mapping[str, Any]) -> bytes:
    """An EPCISDocument or EPCISQueryDocument dict -> EPCIS 2.0 XML bytes (UTF-8, with declaration)."""
    if not isinstance(doc, Mapping):
        raise DocumentError(f"expected an EPCIS document object, got {type(doc).__name__}")
    kind = doc.get("type")
    if kind not in ("EPCISDocument", "EPCISQueryDocument"):
        raise DocumentError(f"type must be EPCISDocument or EPCISQueryDocument, got {kind!r}")
    names = _Names(_context_prefixes(doc.get("@context")))
    query = kind == "EPCISQueryDocument"
    body = _mapping(doc.get("epcisBody"), "epcisBody")
    if query:
        results = _mapping(body.get("queryResults"), "epcisBody.queryResults")
        events_at = _mapping(results.get("resultsBody", {}), "queryResults.resultsBody")
    else:
        results, events_at = {}, body
    events = _sequence(events_at.get("eventList", []), "eventList")

    nsmap: dict[str, str] = {"epcisq": QUERY_NS} if query else {"epcis": EPCIS_NS}
    nsmap |= _declarable(names.prefixes)
    root = etree.Element(f"{{{QUERY_NS if query else EPCIS_NS}}}{kind}", nsmap=nsmap)
    root.set("schemaVersion", _text(doc.get("schemaVersion", "2.0"), "schemaVersion"))
    if "creationDate" not in doc:
        raise DocumentError("the document has no creationDate (required in EPCIS XML)")
    root.set("creationDate", _text(doc["creationDate"], "creationDate"))

    if "epcisHeader" in doc:
        _header(etree.SubElement(root, "EPCISHeader"), _mapping(doc["epcisHeader"], "epcisHeader"), names)
    body_el = etree.SubElement(root, "EPCISBody")
    if query:
        results_el = etree.SubElement(body_el, f"{{{QUERY_NS}}}QueryResults")
        _query_results(results_el, results, events_at, events, names)
    else:
        _event_list(etree.SubElement(body_el, "EventList"), events, names)
        _extras(body_el, {k: v for k, v in body.items() if k != "eventList"}, names, "epcisBody")
    _extras(root, {k: v for k, v in doc.items() if k not in _DOC_FIELDS}, names, "the document")
    # Declare the standard prefixes used (cbvmda, gs1, ...) once on the root; drop unused declarations.
    etree.cleanup_namespaces(root, top_nsmap=_STANDARD_XML_PREFIXES)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))


# --- names ------------------------------------------------------------------------------------------------


def _context_prefixes(context: Any) -> dict[str, str]:
    """JSON-LD @context (string, object or list) -> {prefix: namespace} for the prefixes it defines."""
    found: dict[str, str] = {}
    items = context if isinstance(context, list) else [context]
    for item in items:
        if not isinstance(item, Mapping):
            continue
        for term, definition in item.items():
            if not isinstance(term, str) or term.startswith("@") or ":" in term:
                continue
            if isinstance(definition, Mapping):
                definition = definition.get("@id")
            if isinstance(definition, str):
                found[term] = definition
    return found


class _Names:
    """Resolves `prefix:local` keys against a @context; one per document, a child one per event."""

    def __init__(self, prefixes: dict[str, str], parent: _Names | None = None) -> None:
        self.prefixes = prefixes
        self.parent = parent
        self.tags: dict[str, str] = {}

    def namespace(self, prefix: str) -> str | None:
        uri = self.prefixes.get(prefix)
        if uri is None:
            return self.parent.namespace(prefix) if self.parent else STANDARD_PREFIXES.get(prefix)
        return uri

    def tag(self, key: str, where: str) -> str:
        """`example:myField` -> `{http://ns.example.com/epcis/}myField`; `plain` -> `plain`."""
        found = self.tags.get(key)
        if found is not None:
            return found
        if not isinstance(key, str) or not key:
            raise DocumentError(f"{where}: field names must be non-empty strings, got {key!r}")
        prefix, sep, local = key.partition(":")
        if not sep:
            tag = key
        elif local.startswith("//"):  # an absolute IRI used as a key
            cut = max(key.rfind("/"), key.rfind("#")) + 1
            tag = f"{{{key[:cut]}}}{key[cut:]}"
        elif (uri := self.namespace(prefix)) is not None:
            tag = f"{{{uri}}}{local}"
        else:
            raise DocumentError(f"{where}: the prefix of {key!r} is not declared in the @context")
        try:
            etree.QName(tag)
        except ValueError:
            raise DocumentError(f"{where}: {key!r} cannot be an XML element or attribute name") from None
        self.tags[key] = tag
        return tag


def _declarable(prefixes: Mapping[str, str]) -> dict[str, str]:
    """The @context prefixes that can be XML namespace prefixes: NCNames bound to an IRI, not to a CURIE
    such as `gs1:Temperature` (a term definition). Keys with other prefixes get generated XML prefixes."""
    return {
        p: uri
        for p, uri in prefixes.items()
        if p not in _RESERVED_XML_PREFIXES
        and _NCNAME.fullmatch(p)
        and ":" in uri
        and (scheme := uri.split(":", 1)[0]) not in prefixes
        and scheme not in STANDARD_PREFIXES
    }


# --- value checks -----------------------------------------------------------------------------------------


def _mapping(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise DocumentError(f"{where} must be an object, got {type(value).__name__}")
    return value


def _sequence(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list | tuple):
        raise DocumentError(f"{where} must be an array, got {type(value).__name__}")
    return list(value)


def _text(value: Any, where: str) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise DocumentError(f"{where} must be a string, got {type(value).__name__}")


def _decimal(value: Any, where: str) -> str:
    """A quantity as xsd:decimal text (no exponent)."""
    if isinstance(value, bool):
        raise DocumentError(f"{where} must be a number, got a boolean")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float | Decimal) and math.isfinite(value):
        return format(Decimal(repr(value)) if isinstance(value, float) else value, "f")
    if isinstance(value, str) and NUMBER_TEXT.fullmatch(value.strip()):
        return format(Decimal(value.strip()), "f")
    raise DocumentError(f"{where} must be a finite number, got {value!r}")


def _double(value: Any, where: str) -> str:
    if isinstance(value, bool):
        raise DocumentError(f"{where} must be a number, got a boolean")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float) and math.isfinite(value):
        return repr(value)
    if isinstance(value, str) and NUMBER_TEXT.fullmatch(value.strip()):
        return value.strip()
    raise DocumentError(f"{where} must be a finite number, got {value!r}")


def _cbv(kind: str, value: Any, where: str) -> str:
    return urn_cbv(kind, _text(value, where))


def _sub(parent: etree._Element, tag: str, text: str) -> etree._Element:
    el = etree.SubElement(parent, tag)
    el.text = text
    return el


# --- document parts ---------------------------------------------------------------------------------------


def _header(el: etree._Element, header: Mapping[str, Any], names: _Names) -> None:
    local: dict[str, Any] = {}
    for key, value in header.items():
        if key == "epcisMasterData" or ":" not in key:
            local[key] = value
        else:
            _extension(el, key, value, names, "epcisHeader")
    if local:
        wrapper = etree.SubElement(el, "extension")
        if "epcisMasterData" in local:
            masterdata = _mapping(local.pop("epcisMasterData"), "epcisMasterData")
            md_el = etree.SubElement(wrapper, "EPCISMasterData")
            vocabularies = _sequence(masterdata.get("vocabularyList", []), "vocabularyList")
            _vocabulary_list(etree.SubElement(md_el, "VocabularyList"), vocabularies, names)
            extra = {k: v for k, v in masterdata.items() if k != "vocabularyList"}
            _extras(md_el, extra, names, "epcisMasterData")
        if local:
            inner = etree.SubElement(wrapper, "extension")
            for key, value in local.items():
                _extension(inner, key, value, names, "epcisHeader")


def _query_results(
    el: etree._Element,
    results: Mapping[str, Any],
    results_body: Mapping[str, Any],
    events: list[Any],
    names: _Names,
) -> None:
    _sub(el, "queryName", _text(results.get("queryName", ""), "queryName"))
    if "subscriptionID" in results:
        _sub(el, "subscriptionID", _text(results["subscriptionID"], "subscriptionID"))
    body = etree.SubElement(el, "resultsBody")
    if "vocabularyList" in results_body:
        vocabularies = _sequence(results_body["vocabularyList"], "resultsBody.vocabularyList")
        _vocabulary_list(etree.SubElement(body, "VocabularyList"), vocabularies, names)
    else:
        _event_list(etree.SubElement(body, "EventList"), events, names)
    extra = {k: v for k, v in results.items() if k not in ("queryName", "subscriptionID", "resultsBody")}
    _extras(el, extra, names, "queryResults")


def _vocabulary_list(el: etree._Element, vocabularies: list[Any], names: _Names) -> None:
    for n, item in enumerate(vocabularies):
        where = f"vocabularyList[{n}]"
        vocabulary = _mapping(item, where)
        v_el = etree.SubElement(el, "Vocabulary", type=_text(vocabulary.get("type", ""), f"{where}.type"))
        if "vocabularyElementList" in vocabulary:
            list_el = etree.SubElement(v_el, "VocabularyElementList")
            for m, element in enumerate(_sequence(vocabulary["vocabularyElementList"], where)):
                _vocabulary_element(list_el, _mapping(element, f"{where}[{m}]"), names, f"{where}[{m}]")
        extra = {k: v for k, v in vocabulary.items() if k not in ("type", "vocabularyElementList")}
        _extras(v_el, extra, names, where)


def _vocabulary_element(parent: etree._Element, item: Mapping[str, Any], names: _Names, where: str) -> None:
    el = etree.SubElement(parent, "VocabularyElement", id=_text(item.get("id", ""), f"{where}.id"))
    for attribute in _sequence(item.get("attributes", []), f"{where}.attributes"):
        attribute = _mapping(attribute, f"{where}.attributes")
        a_el = etree.SubElement(el, "attribute", id=_text(attribute.get("id", ""), f"{where}.attributes.id"))
        value = attribute.get("attribute")
        if isinstance(value, Mapping):
            for key, inner in value.items():
                _extension(a_el, key, inner, names, where)
        elif value is not None:
            a_el.text = _scalar(value, f"{where}.attributes")
    if "children" in item:
        children = etree.SubElement(el, "children")
        for child in _sequence(item["children"], f"{where}.children"):
            _sub(children, "id", _text(child, f"{where}.children"))
    extra = {k: v for k, v in item.items() if k not in ("id", "attributes", "children")}
    _extras(el, extra, names, where)


def _event_list(el: etree._Element, events: list[Any], names: _Names) -> None:
    for n, event in enumerate(events):
        _event(el, _mapping(event, f"event {n}"), names, n)


def _event(parent: etree._Element, event: Mapping[str, Any], names: _Names, n: int) -> None:
    kind = event.get("type")
    if not isinstance(kind, str) or kind not in EVENT_FIELDS:
        raise DocumentError(
            f"event {n}: unknown event type {kind!r}; expected one of {', '.join(EVENT_FIELDS)}"
        )
    fields = EVENT_FIELDS[kind]
    where = f"event {n} ({kind})"
    nsmap: dict[str, str] | None = None
    if "@context" in event:  # an event stored on its own carries its own prefixes
        own = _context_prefixes(event["@context"])
        nsmap = _declarable({p: uri for p, uri in own.items() if names.namespace(p) != uri}) or None
        names = _Names(own, names)
    el = etree.SubElement(parent, kind, nsmap=nsmap)
    for field in fields:
        if field in event:
            _FIELD_WRITERS[field](el, field, event[field], names, f"{where} {field}")
    known = set(fields)
    for key, value in event.items():
        if key in known or key == "type" or key == "@context":
            continue
        if not isinstance(key, str) or ":" not in key:
            raise DocumentError(f"{where}: {key!r} is not a field of {kind} (extensions need a prefix)")
        _extension(el, key, value, names, where)


# --- event fields -----------------------------------------------------------------------------------------


def _w_text(el: etree._Element, field: str, value: Any, names: _Names, where: str) -> None:
    _sub(el, field, _text(value, where))


def _w_certification(el: etree._Element, field: str, value: Any, names: _Names, where: str) -> None:
    for item in value if isinstance(value, list) else [value]:
        _sub(el, field, _text(item, where))


def _w_cbv(el: etree._Element, field: str, value: Any, names: _Names, where: str) -> None:
    _sub(el, field, _cbv(field, value, where))


def _w_epcs(el: etree._Element, field: str, value: Any, names: _Names, where: str) -> None:
    list_el = etree.SubElement(el, field)
    for epc in _sequence(value, where):
        _sub(list_el, "epc", _text(epc, where))


def _w_quantities(el: etree._Element, field: str, value: Any, names: _Names, where: str) -> None:
    list_el = etree.SubElement(el, field)
    for item in _sequence(value, where):
        item = _mapping(item, where)
        q_el = etree.SubElement(list_el, "quantityElement")
        _sub(q_el, "epcClass", _text(item.get("epcClass", ""), f"{where} epcClass"))
        if "quantity" in item:
            _sub(q_el, "quantity", _decimal(item["quantity"], f"{where} quantity"))
            if "uom" in item:
                _sub(q_el, "uom", _text(item["uom"], f"{where} uom"))


def _w_location(el: etree._Element, field: str, value: Any, names: _Names, where: str) -> None:
    location = _mapping(value, where)
    loc_el = etree.SubElement(el, field)
    _sub(loc_el, "id", _text(location.get("id", ""), f"{where} id"))
    _extras(loc_el, {k: v for k, v in location.items() if k != "id"}, names, where)


def _w_biz_transactions(el: etree._Element, field: str, value: Any, names: _Names, where: str) -> None:
    list_el = etree.SubElement(el, field)
    for item in _sequence(value, where):
        item = _mapping(item, where)
        bt = _sub(list_el, "bizTransaction", _text(item.get("bizTransaction", ""), where))
        if "type" in item:
            bt.set("type", _cbv("bizTransactionType", item["type"], f"{where} type"))


def _w_source_dest(el: etree._Element, field: str, value: Any, names: _Names, where: str) -> None:
    list_el = etree.SubElement(el, field)
    name = field[:-4]  # sourceList -> source
    for item in _sequence(value, where):
        item = _mapping(item, where)
        entry = _sub(list_el, name, _text(item.get(name, ""), where))
        entry.set("type", _cbv("sourceDestType", item.get("type", ""), f"{where} type"))


def _w_persistent(el: etree._Element, field: str, value: Any, names: _Names, where: str) -> None:
    pd = _mapping(value, where)
    pd_el = etree.SubElement(el, field)
    for part in ("unset", "set"):  # XSD order
        for item in _sequence(pd.get(part, []), f"{where} {part}"):
            _sub(pd_el, part, _cbv("disposition", item, f"{where} {part}"))


def _w_error(el: etree._Element, field: str, value: Any, names: _Names, where: str) -> None:
    declaration = _mapping(value, where)
    ed_el = etree.SubElement(el, field)
    if "declarationTime" in declaration:
        _sub(ed_el, "declarationTime", _text(declaration["declarationTime"], f"{where} declarationTime"))
    if "reason" in declaration:
        _sub(ed_el, "reason", _cbv("errorReason", declaration["reason"], f"{where} reason"))
    if "correctiveEventIDs" in declaration:
        ids_el = etree.SubElement(ed_el, "correctiveEventIDs")
        for item in _sequence(declaration["correctiveEventIDs"], f"{where} correctiveEventIDs"):
            _sub(ids_el, "correctiveEventID", _text(item, f"{where} correctiveEventIDs"))
    standard = ("declarationTime", "reason", "correctiveEventIDs")
    _extras(ed_el, {k: v for k, v in declaration.items() if k not in standard}, names, where)


def _w_ilmd(el: etree._Element, field: str, value: Any, names: _Names, where: str) -> None:
    _extras(etree.SubElement(el, field), _mapping(value, where), names, where)


def _w_sensors(el: etree._Element, field: str, value: Any, names: _Names, where: str) -> None:
    list_el = etree.SubElement(el, field)
    for item in _sequence(value, where):
        element = _mapping(item, where)
        s_el = etree.SubElement(list_el, "sensorElement")
        if "sensorMetadata" in element:
            meta_el = etree.SubElement(s_el, "sensorMetadata")
            for key, meta in _mapping(element["sensorMetadata"], f"{where} sensorMetadata").items():
                meta_el.set(names.tag(key, where), _scalar(meta, f"{where} sensorMetadata {key}"))
        for report in _sequence(element.get("sensorReport", []), f"{where} sensorReport"):
            _sensor_report(etree.SubElement(s_el, "sensorReport"), _mapping(report, where), names, where)
        extra = {k: v for k, v in element.items() if k not in ("sensorMetadata", "sensorReport")}
        _extras(s_el, extra, names, where)


def _sensor_report(el: etree._Element, report: Mapping[str, Any], names: _Names, where: str) -> None:
    for key, value in report.items():
        at = f"{where} sensorReport {key}"
        if key in SENSOR_NUMBERS:
            text = _double(value, at)
        elif key in SENSOR_VOCABULARIES:
            text = _cbv(SENSOR_VOCABULARIES[key], value, at)  # web URI: the sensor terms have no URN
        else:
            text = _scalar(value, at)
        el.set(names.tag(key, where), text)


_FIELD_WRITERS = {
    "eventTime": _w_text,
    "recordTime": _w_text,
    "eventTimeZoneOffset": _w_text,
    "eventID": _w_text,
    "parentID": _w_text,
    "action": _w_text,
    "transformationID": _w_text,
    "certificationInfo": _w_certification,
    "errorDeclaration": _w_error,
    "bizStep": _w_cbv,
    "disposition": _w_cbv,
    "epcList": _w_epcs,
    "childEPCs": _w_epcs,
    "inputEPCList": _w_epcs,
    "outputEPCList": _w_epcs,
    "quantityList": _w_quantities,
    "childQuantityList": _w_quantities,
    "inputQuantityList": _w_quantities,
    "outputQuantityList": _w_quantities,
    "readPoint": _w_location,
    "bizLocation": _w_location,
    "bizTransactionList": _w_biz_transactions,
    "sourceList": _w_source_dest,
    "destinationList": _w_source_dest,
    "sensorElementList": _w_sensors,
    "persistentDisposition": _w_persistent,
    "ilmd": _w_ilmd,
}


# --- extensions -------------------------------------------------------------------------------------------


def _scalar(value: Any, where: str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise DocumentError(f"{where}: {value!r} is not a finite number")
        return repr(value)
    if isinstance(value, str):
        return value
    raise DocumentError(f"{where} must be a string, number or boolean, got {type(value).__name__}")


def _extras(el: etree._Element, fields: Mapping[str, Any], names: _Names, where: str) -> None:
    """Extra keys of an extensible standard element: unprefixed ones in `<extension>`, then the rest."""
    local = [(k, v) for k, v in fields.items() if isinstance(k, str) and ":" not in k]
    if local:
        wrapper = etree.SubElement(el, "extension")
        for key, value in local:
            _extension(wrapper, key, value, names, where)
    for key, value in fields.items():
        if not (isinstance(key, str) and ":" not in key):
            _extension(el, key, value, names, where)


def _extension(parent: etree._Element, key: str, value: Any, names: _Names, where: str) -> None:
    tag = names.tag(key, where)
    for item in _flatten(value) if isinstance(value, list) else (value,):
        el = etree.SubElement(parent, tag)
        if item is None:
            el.set(_XSI_NIL, "true")
        elif isinstance(item, Mapping) and "#text" in item:  # text with attributes, as xml_read gives it
            for inner_key, inner in item.items():
                if inner_key == "#text":
                    el.text = _scalar(inner, f"{where} {key}")
                else:
                    el.set(names.tag(inner_key, where), _scalar(inner, f"{where} {key}.{inner_key}"))
        elif isinstance(item, Mapping):
            for inner_key, inner in item.items():
                _extension(el, inner_key, inner, names, where)
        else:
            el.text = _scalar(item, f"{where} {key}")


def _flatten(values: Iterable[Any]) -> Iterable[Any]:
    for value in values:
        if isinstance(value, list):
            yield from _flatten(value)
        else:
            yield value
