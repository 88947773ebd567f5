"""EPCIS XML (2.0, and 1.x documents) -> the JSON-LD shaped document dict.

The result is what the JSON binding of the same document carries: standard CBV values become the bare
JSON words (`urn:epcglobal:cbv:bizstep:shipping` -> `shipping`, `gs1:Temperature` -> `Temperature`, via
`lotline.epcis.vocab`), quantities and sensor values become numbers (int when the XML text is an integer,
float otherwise), booleanValue a boolean, the EPCIS 1.x `extension` and `baseExtension` wrappers are
unwrapped, and user extensions become `"prefix:localName"` keys whose namespaces are declared in the
document's `@context` (XML prefixes kept, namespaces verbatim; those the standard context already has, such
as cbvmda and gs1, use its prefix).

User extension elements map to JSON as follows: text content -> a string (whitespace trimmed), child
elements -> a nested dict, repeated elements -> a list, `xsi:nil="true"` -> null, attributes -> keys of the
element's dict, text beside attributes -> the key `#text`; text beside child elements (mixed content) is
not kept. `xsi:type` is ignored, as the GS1 JSON examples keep such values as strings. Unqualified elements
inside an extension keep their bare name. An `EPCISMasterDataDocument` becomes an EPCISDocument whose
`epcisHeader.epcisMasterData` carries the vocabularies (the EPCIS 2.0 way to ship master data) and whose
event list is empty; an SBDH header is kept as the extension field `sbdh:StandardBusinessDocumentHeader`.

Safety: no DTD may declare anything (entities, elements) or point to an external DTD, nothing is fetched, and
every problem is a `DocumentError` naming the line.
"""

from __future__ import annotations

import re
from itertools import islice
from typing import Any, cast

from lxml import etree

from lotline.epcis.document import STANDARD_CONTEXT
from lotline.epcis.vocab import STANDARD_PREFIXES, short_cbv
from lotline.errors import DocumentError

EPCIS_NS = "urn:epcglobal:epcis:xsd:2"
QUERY_NS = "urn:epcglobal:epcis-query:xsd:2"
MASTERDATA_NS = "urn:epcglobal:epcis-masterdata:xsd:2"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
_XML_NS = "http://www.w3.org/XML/1998/namespace"
_XSI_NIL = f"{{{XSI_NS}}}nil"
_IGNORED_ATTR_NS = ("{" + XSI_NS + "}", "{" + _XML_NS + "}")

# Document roots we read (1.x namespaces too: their content is a subset of 2.0 plus extension wrappers).
_DOCUMENT_ROOTS = {f"{{urn:epcglobal:epcis:xsd:{v}}}EPCISDocument" for v in (1, 2)}
_QUERY_ROOTS = {f"{{urn:epcglobal:epcis-query:xsd:{v}}}EPCISQueryDocument" for v in (1, 2)}
_MASTERDATA_ROOTS = {f"{{urn:epcglobal:epcis-masterdata:xsd:{v}}}EPCISMasterDataDocument" for v in (1, 2)}
_BARE_ROOTS = {"EPCISBody", "EventList", f"{{{EPCIS_NS}}}EPCISBody", f"{{{EPCIS_NS}}}EventList"}
_QUERY_RESULTS = {"QueryResults"} | {f"{{urn:epcglobal:epcis-query:xsd:{v}}}QueryResults" for v in (1, 2)}

EVENT_TYPES = (
    "ObjectEvent",
    "AggregationEvent",
    "TransactionEvent",
    "TransformationEvent",
    "AssociationEvent",
)

# Standard CBV values (bizStep, disposition, bizTransaction and source/destination types, error reasons,
# sensor measurement/alert types and components) read in the bare JSON form `lotline.epcis.vocab` gives
# them, whichever spelling the XML uses (URN, web URI, CURIE); other values are kept as they are.
SENSOR_VOCABULARIES = {"type": "measurementType", "exception": "sensorAlertType", "component": "component"}

# Prefixes the standard EPCIS JSON-LD context already defines; XML namespaces that are exactly theirs are not
# repeated in the output @context. Other namespaces are kept as written, even near-misses: GS1's XML examples
# put master data in `urn:epcglobal:cbv:mda`, not the JSON-LD `cbvmda` (`urn:epcglobal:cbv:mda:`), and the
# CBV 2.0 hash (with its reference vectors) tells the two apart, so those keys read as `cbvmda2:...`.
_STANDARD_BY_NS = {uri: prefix for prefix, uri in STANDARD_PREFIXES.items()}

_EPC_LISTS = frozenset({"epcList", "childEPCs", "inputEPCList", "outputEPCList"})
_QUANTITY_LISTS = frozenset({"quantityList", "childQuantityList", "inputQuantityList", "outputQuantityList"})
_PLAIN_FIELDS = frozenset(
    {"eventTime", "recordTime", "eventTimeZoneOffset", "eventID", "parentID", "action", "transformationID"}
)
SENSOR_NUMBERS = frozenset({"value", "minValue", "maxValue", "sDev", "meanValue", "percRank", "percValue"})
NUMBER_TEXT = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_INTEGER = re.compile(r"[+-]?\d+")


def parse_xml_document(data: bytes) -> dict[str, Any]:
    """Parse EPCIS XML (EPCISDocument, EPCISQueryDocument, master data document, bare EPCISBody or
    EventList) into the JSON-LD shaped dict of the JSON binding. Raises DocumentError naming the line."""
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        huge_tree=False,
        load_dtd=False,
        remove_comments=True,
        remove_pis=True,
    )
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise DocumentError(f"line {exc.lineno or 1}: the body is not well-formed XML: {exc.msg}") from None
    except (ValueError, TypeError) as exc:
        raise DocumentError(f"line 1: the body cannot be read as XML: {exc}") from None
    _reject_dtd(root, data)
    _unqualify(root)
    return _Reader().document(root)


_CORE_NAMESPACES = tuple(f"urn:epcglobal:{kind}:xsd:{v}" for kind in ("epcis", "epcis-query") for v in (1, 2))


def _unqualify(root: etree._Element) -> None:
    """EPCIS core elements below the root are unqualified; some producers put them in the EPCIS namespace
    (a default `xmlns`). Read those as the unqualified elements they stand for. The first few elements
    tell whether the document does that, so well-formed documents pay nothing."""
    probe = (el.tag for el in islice(root.iterdescendants(), 8))
    core = tuple("{" + ns + "}" for ns in _CORE_NAMESPACES)
    if any(isinstance(t, str) and t.startswith(core) and not t.endswith("}QueryResults") for t in probe):
        for ns in _CORE_NAMESPACES:
            for el in root.iterdescendants(f"{{{ns}}}*"):
                el.tag = _local(el.tag)


def _reject_dtd(root: etree._Element, data: bytes) -> None:
    info: Any = root.getroottree().docinfo  # the lxml stubs lack system_url and the DTD iterators
    dtd: Any = info.internalDTD
    declares = dtd is not None and (
        any(True for _ in dtd.iterentities()) or any(True for _ in dtd.iterelements())
    )
    if declares or info.system_url or info.public_id:
        at = data.find(b"<!DOCTYPE") if isinstance(data, bytes) else -1
        line = data.count(b"\n", 0, at) + 1 if at >= 0 else 1
        raise DocumentError(
            f"line {line}: document type declarations (DTDs, entities) are not accepted in EPCIS XML"
        )


def _fail(el: etree._Element, message: str) -> DocumentError:
    return DocumentError(f"line {el.sourceline}: {message}")


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _text(el: etree._Element) -> str:
    text = el.text
    return text.strip() if text else ""


def _number(el: etree._Element, text: str, what: str) -> int | float:
    if _INTEGER.fullmatch(text) and len(text) < 16:  # beyond 2**53 a JSON number is a float anyway
        return int(text)
    if NUMBER_TEXT.fullmatch(text):
        return float(text)
    raise _fail(el, f"{what} {text!r} is not a number")


def _items(el: etree._Element, tag: str) -> etree._Element:
    """Check that a list element holds only `tag` children; return it for iteration."""
    for child in el:
        if child.tag != tag:
            raise _fail(
                child, f"unexpected element <{_local(child.tag)}> in <{_local(el.tag)}>, expected <{tag}>"
            )
    return el


def _add(target: dict[str, Any], key: str, value: Any) -> None:
    """Set key; a repeated key collects its values in a list (extension values are never lists)."""
    if key not in target:
        target[key] = value
    elif isinstance(old := target[key], list):
        old.append(value)
    else:
        target[key] = [old, value]


class _Reader:
    """One document's conversion; remembers the namespace prefixes it has handed out."""

    def __init__(self) -> None:
        self.prefix_of: dict[str, str] = {}  # namespace -> JSON prefix
        self.context: dict[str, str] = {}  # JSON prefix -> namespace, for the output @context
        self.keys: dict[str, str] = {}  # lxml tag/attribute name -> JSON key

    # --- names ----------------------------------------------------------------------------------------

    def key(self, name: str, hint: str | None) -> str:
        """`{http://ns.example.com/epcis}myField` -> `example:myField` (declaring `example`)."""
        found = self.keys.get(name)
        if found is not None:
            return found
        if name[0] != "{":
            self.keys[name] = name
            return name
        namespace, local = name[1:].split("}", 1)
        prefix = self.prefix_of.get(namespace)
        if prefix is None:
            prefix = _STANDARD_BY_NS.get(namespace) or self._new_prefix(namespace, hint)
            self.prefix_of[namespace] = prefix
        key = f"{prefix}:{local}"
        self.keys[name] = key
        return key

    def _new_prefix(self, namespace: str, hint: str | None) -> str:
        base = hint or "ns"
        prefix, n = base, 1
        while prefix in STANDARD_PREFIXES or prefix in self.context:
            n += 1
            prefix = f"{base}{n}"
        self.context[prefix] = namespace
        return prefix

    def attributes(
        self, el: etree._Element, skip: frozenset[str] = frozenset(), *, local: bool = False
    ) -> dict[str, Any]:
        """Attributes as JSON keys: namespaced ones always, unqualified ones only if `local` (extension
        elements, sensorMetadata/sensorReport); xsi: and xml: attributes never."""
        out: dict[str, Any] = {}
        for name, value in cast("list[tuple[str, str]]", el.items()):
            if name in skip or name.startswith(_IGNORED_ATTR_NS):
                continue
            hint = None
            if name[0] == "{":
                namespace = name[1:].split("}", 1)[0]
                hint = next((p for p, ns in (el.nsmap or {}).items() if ns == namespace and p), None)
            elif not local:
                continue
            out[self.key(name, hint)] = value
        return out

    # --- document -------------------------------------------------------------------------------------

    def document(self, root: etree._Element) -> dict[str, Any]:
        tag = root.tag
        if not isinstance(tag, str):
            raise _fail(root, "the document has no root element")
        doc: dict[str, Any] = {"@context": [STANDARD_CONTEXT]}
        if tag in _DOCUMENT_ROOTS or tag in _QUERY_ROOTS or tag in _MASTERDATA_ROOTS:
            query = tag in _QUERY_ROOTS
            doc["type"] = "EPCISQueryDocument" if query else "EPCISDocument"
            for name in ("schemaVersion", "creationDate"):
                if (value := root.get(name)) is not None:
                    doc[name] = value.strip()
            doc.update(self.attributes(root))
            body: Any = None
            children = list(root)
            if query and all(c.tag != "EPCISBody" for c in children):
                # Lenient: some producers put the QueryResults content straight under the root.
                body = self.query_results([c for c in children if c.tag != "EPCISHeader"])
                children = [c for c in children if c.tag == "EPCISHeader"]
            for child in children:
                name = child.tag
                if name == "EPCISHeader":
                    doc["epcisHeader"] = self.header(child)
                elif name == "EPCISBody" and tag in _MASTERDATA_ROOTS:
                    doc.setdefault("epcisHeader", {})["epcisMasterData"] = self.masterdata(child)
                    body = {"eventList": []}
                elif name == "EPCISBody":
                    body = self.query_body(child) if query else self.body(child)
                elif name == "extension":
                    self.extension_into(child, doc)
                elif name[0] == "{":
                    _add(doc, self.key(name, child.prefix), self.value(child))
                else:
                    raise _fail(child, f"unexpected element <{name}> in <{_local(tag)}>")
            if body is None:
                raise _fail(root, f"<{_local(tag)}> has no <EPCISBody>")
            doc["epcisBody"] = body
        elif tag in _BARE_ROOTS:
            doc["type"] = "EPCISDocument"
            doc["schemaVersion"] = "2.0"
            local = _local(tag)
            doc["epcisBody"] = (
                self.body(root) if local == "EPCISBody" else {"eventList": self.event_list(root)}
            )
        elif _local(tag) == "EPCISCaptureJob":
            raise _fail(root, "<EPCISCaptureJob> is a capture job status, not an EPCIS document")
        else:
            raise _fail(
                root,
                f"unknown root element <{root.prefix + ':' if root.prefix else ''}{_local(tag)}> "
                f"(namespace {etree.QName(root).namespace or 'none'}); expected an EPCIS 2.0 EPCISDocument "
                "or EPCISQueryDocument",
            )
        doc["@context"].extend({prefix: self.context[prefix]} for prefix in sorted(self.context))
        return doc

    def header(self, el: etree._Element) -> dict[str, Any]:
        out: dict[str, Any] = self.attributes(el)
        for child in el:
            name = child.tag
            if name == "extension":
                for inner in child:
                    if inner.tag == "EPCISMasterData":
                        out["epcisMasterData"] = self.masterdata(inner)
                    elif inner.tag == "extension":
                        self.extension_into(inner, out)
                    else:
                        _add(out, self.key(inner.tag, inner.prefix), self.value(inner))
            elif name == "EPCISMasterData":
                out["epcisMasterData"] = self.masterdata(child)
            elif name[0] == "{":
                _add(out, self.key(name, child.prefix), self.value(child))
            else:
                raise _fail(child, f"unexpected element <{name}> in <EPCISHeader>")
        return out

    def body(self, el: etree._Element) -> dict[str, Any]:
        out: dict[str, Any] = {"eventList": []}
        for child in el:
            if child.tag == "EventList":
                out["eventList"].extend(self.event_list(child))
            else:
                self.extra_into(child, out, "EPCISBody")
        return out

    def query_body(self, el: etree._Element) -> dict[str, Any]:
        results = next((c for c in el if c.tag in _QUERY_RESULTS), None)
        if results is None:
            first = next(iter(el), None)
            what = f"<{_local(first.tag)}>" if first is not None else "nothing"
            where = first if first is not None else el
            raise _fail(where, f"the query document body holds {what}, not <QueryResults>")
        return self.query_results(list(results))

    def query_results(self, children: list[etree._Element]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for child in children:
            name = child.tag
            if name in ("queryName", "subscriptionID"):
                out[name] = _text(child)
            elif name == "resultsBody":
                out["resultsBody"] = self.results_body(child)
            elif name == "extension":
                self.extension_into(child, out)
            elif name[0] == "{":
                _add(out, self.key(name, child.prefix), self.value(child))
            else:
                raise _fail(child, f"unexpected element <{name}> in <QueryResults>")
        out.setdefault("resultsBody", {"eventList": []})
        return {"queryResults": out}

    def results_body(self, el: etree._Element) -> dict[str, Any]:
        for child in el:
            if child.tag == "EventList":
                return {"eventList": self.event_list(child)}
            if child.tag == "VocabularyList":
                return {"vocabularyList": self.vocabulary_list(child)}
            raise _fail(child, f"unexpected element <{_local(child.tag)}> in <resultsBody>")
        return {"eventList": []}

    # --- master data ----------------------------------------------------------------------------------

    def masterdata(self, el: etree._Element) -> dict[str, Any]:
        out: dict[str, Any] = {"vocabularyList": []}
        for child in el:
            if child.tag == "VocabularyList":
                out["vocabularyList"] = self.vocabulary_list(child)
            else:
                self.extra_into(child, out, _local(el.tag))
        return out

    def vocabulary_list(self, el: etree._Element) -> list[dict[str, Any]]:
        vocabularies = []
        for vocabulary in _items(el, "Vocabulary"):
            item: dict[str, Any] = {"type": vocabulary.get("type", "")}
            item.update(self.attributes(vocabulary))
            for child in vocabulary:
                if child.tag == "VocabularyElementList":
                    elements = _items(child, "VocabularyElement")
                    item["vocabularyElementList"] = [self.vocabulary_element(e) for e in elements]
                else:
                    self.extra_into(child, item, "Vocabulary")
            vocabularies.append(item)
        return vocabularies

    def vocabulary_element(self, el: etree._Element) -> dict[str, Any]:
        item: dict[str, Any] = {"id": el.get("id", "")}
        item.update(self.attributes(el))
        for child in el:
            if child.tag == "attribute":
                value: Any = self.value(child, frozenset({"id"})) if len(child) else _text(child)
                item.setdefault("attributes", []).append({"id": child.get("id", ""), "attribute": value})
            elif child.tag == "children":
                item["children"] = [_text(c) for c in _items(child, "id")]
            else:
                self.extra_into(child, item, "VocabularyElement")
        return item

    # --- events ---------------------------------------------------------------------------------------

    def event_list(self, el: etree._Element) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = []
        for child in el:
            name = child.tag
            if name in EVENT_TYPES:
                events.append(self.event(child, name))
            elif name == "extension":  # EPCIS 1.x: TransformationEvent (and others) inside <extension>
                events.extend(self.event_list(child))
            else:
                raise _fail(
                    child,
                    f"unknown event type <{_local(name)}>; expected one of {', '.join(EVENT_TYPES)}",
                )
        return events

    def event(self, el: etree._Element, kind: str) -> dict[str, Any]:
        event: dict[str, Any] = {"type": kind}
        if el.attrib:
            event.update(self.attributes(el))
        self.event_fields(el, event, kind)
        return event

    def event_fields(self, el: etree._Element, event: dict[str, Any], kind: str) -> None:
        for child in el:
            name = child.tag
            if name in _PLAIN_FIELDS:
                event[name] = _text(child)
            elif name in _EPC_LISTS:
                event[name] = [_text(epc) for epc in _items(child, "epc")]
            elif name == "bizStep" or name == "disposition":
                event[name] = short_cbv(name, _text(child))
            elif name == "readPoint" or name == "bizLocation":
                event[name] = self.location(child)
            elif name == "bizTransactionList":
                event[name] = self.biz_transactions(child)
            elif name in _QUANTITY_LISTS:
                event[name] = [self.quantity(q) for q in _items(child, "quantityElement")]
            elif name == "sourceList" or name == "destinationList":
                event[name] = self.source_dest(child, name[:-4])
            elif name == "sensorElementList":
                event[name] = [self.sensor_element(s) for s in _items(child, "sensorElement")]
            elif name == "persistentDisposition":
                event[name] = self.persistent_disposition(child)
            elif name == "ilmd":
                event[name] = self.container(child, {}, "ilmd")
            elif name == "errorDeclaration":
                event[name] = self.error_declaration(child)
            elif name == "certificationInfo":
                _add(event, name, _text(child))
            elif name == "extension" or name == "baseExtension":
                self.event_fields(child, event, kind)  # EPCIS 1.x wrappers: their content is 2.0 fields
            elif name[0] == "{":
                _add(event, self.key(name, child.prefix), self.value(child))
            else:
                raise _fail(child, f"unknown element <{name}> in {kind}")

    def location(self, el: etree._Element) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for child in el:
            if child.tag == "id":
                out["id"] = _text(child)
            else:
                self.extra_into(child, out, _local(el.tag))
        return out

    def biz_transactions(self, el: etree._Element) -> list[dict[str, str]]:
        out = []
        for item in _items(el, "bizTransaction"):
            kind = item.get("type")
            entry = {"type": short_cbv("bizTransactionType", kind.strip())} if kind is not None else {}
            entry["bizTransaction"] = _text(item)
            out.append(entry)
        return out

    def source_dest(self, el: etree._Element, field: str) -> list[dict[str, str]]:
        out = []
        for item in _items(el, field):
            kind = item.get("type")
            entry = {"type": short_cbv("sourceDestType", kind.strip())} if kind is not None else {}
            entry[field] = _text(item)
            out.append(entry)
        return out

    def quantity(self, el: etree._Element) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for child in el:
            name = child.tag
            if name == "epcClass" or name == "uom":
                out[name] = _text(child)
            elif name == "quantity":
                if child.get(_XSI_NIL) in ("true", "1"):
                    continue
                out[name] = _number(child, _text(child), "quantity")
            else:
                raise _fail(child, f"unexpected element <{_local(name)}> in <quantityElement>")
        return out

    def persistent_disposition(self, el: etree._Element) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for child in el:
            if child.tag not in ("set", "unset"):
                raise _fail(child, f"unexpected element <{_local(child.tag)}> in <persistentDisposition>")
            out.setdefault(child.tag, []).append(short_cbv("disposition", _text(child)))
        return out

    def error_declaration(self, el: etree._Element) -> dict[str, Any]:
        out: dict[str, Any] = self.attributes(el)
        for child in el:
            name = child.tag
            if name == "declarationTime":
                out[name] = _text(child)
            elif name == "reason":
                out[name] = short_cbv("errorReason", _text(child))
            elif name == "correctiveEventIDs":
                out[name] = [_text(c) for c in _items(child, "correctiveEventID")]
            else:
                self.extra_into(child, out, "errorDeclaration")
        return out

    def sensor_element(self, el: etree._Element) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for child in el:
            name = child.tag
            if name == "sensorMetadata":
                out[name] = self.attributes(child, local=True)
            elif name == "sensorReport":
                out.setdefault(name, []).append(self.sensor_report(child))
            else:
                self.extra_into(child, out, "sensorElement")
        return out

    def sensor_report(self, el: etree._Element) -> dict[str, Any]:
        out: dict[str, Any] = self.attributes(el, local=True)
        for name in SENSOR_NUMBERS & out.keys():
            out[name] = _number(el, out[name].strip(), f"sensorReport {name}")
        if "booleanValue" in out:
            flag = out["booleanValue"].strip()
            if flag not in ("true", "false", "1", "0"):
                raise _fail(el, f"sensorReport booleanValue {flag!r} is not a boolean (true or false)")
            out["booleanValue"] = flag in ("true", "1")
        for name, vocabulary in SENSOR_VOCABULARIES.items():
            if name in out:
                out[name] = short_cbv(vocabulary, out[name].strip())
        return out

    # --- extensions -----------------------------------------------------------------------------------

    def extra_into(self, child: etree._Element, out: dict[str, Any], where: str) -> None:
        """A child of an extensible standard element: a foreign element, or an `<extension>` wrapper."""
        name = child.tag
        if name == "extension":
            self.extension_into(child, out)
        elif name[0] == "{":
            _add(out, self.key(name, child.prefix), self.value(child))
        else:
            raise _fail(child, f"unexpected element <{name}> in <{where}>")

    def extension_into(self, el: etree._Element, out: dict[str, Any]) -> None:
        """An `<extension>` wrapper's children become keys of `out` (unqualified ones keep bare names)."""
        out.update(self.attributes(el))
        for child in el:
            _add(out, self.key(child.tag, child.prefix), self.value(child))

    def container(self, el: etree._Element, out: dict[str, Any], where: str) -> dict[str, Any]:
        out.update(self.attributes(el))
        for child in el:
            self.extra_into(child, out, where)
        return out

    def value(self, el: etree._Element, skip: frozenset[str] = frozenset()) -> Any:
        """A user extension element as JSON (see the module docstring)."""
        if el.get(_XSI_NIL) in ("true", "1"):
            return None
        attrs = self.attributes(el, skip, local=True) if el.attrib else {}
        if len(el) == 0:
            text = _text(el)
            if not attrs:
                return text
            if text:
                attrs["#text"] = text
            return attrs
        for child in el:
            _add(attrs, self.key(child.tag, child.prefix), self.value(child))
        return attrs
