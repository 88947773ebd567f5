"""ISA-95 B2MML (and other XML) documents for mappings: what a document is, and the document as JSON.

Mappings work on JSON. An XML payload (content-type `application/xml`, as the files connector sends B2MML
documents) is decoded by the mapper with `xml_to_dict`: namespaces stripped, attributes as `@name`, text
beside attributes or children as `#text`, an element without attributes or children as its text (`""` when
empty), and an element that occurs more than once under one parent as a list (JSONata paths read one
element and a list of them alike; wrap a path in `[...]` to always get a list).

    <SyncProductionPerformance xmlns="http://www.wbf.org/xml/B2MML-V0401">
      <DataArea><ProductionPerformance>...</ProductionPerformance></DataArea>
    </SyncProductionPerformance>
    -> {"SyncProductionPerformance": {"DataArea": {"ProductionPerformance": {...}}}}

Parsing never resolves entities or fetches anything over the network (files come from other systems).

The Business To Manufacturing Markup Language (B2MML) is used courtesy of MESA International.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from lxml import etree

__all__ = ["VERBS", "B2mmlKind", "b2mml_kind", "is_xml", "parse_xml", "xml_to_dict"]

# The OAGIS verbs B2MML wraps its nouns in (SyncProductionPerformance, ProcessMaterialLot, ...).
VERBS = ("Acknowledge", "Cancel", "Change", "Confirm", "Get", "Process", "Respond", "Show", "Sync")

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, remove_comments=True)


@dataclass(frozen=True, slots=True)
class B2mmlKind:
    """What a B2MML document is: its noun (ProductionPerformance, MaterialInformation, MaterialLot, ...),
    its verb when the noun is wrapped in one (Sync, Process, ...), and the schema version (V0401, V0600;
    None for the un-versioned namespace of V07 and later)."""

    noun: str
    verb: str | None
    version: str | None


def is_xml(content_type: str | None) -> bool:
    """application/xml, text/xml and application/<anything>+xml."""
    kind = (content_type or "").split(";", 1)[0].strip().lower()
    return kind in ("application/xml", "text/xml") or kind.endswith("+xml")


def parse_xml(data: bytes) -> etree._Element:
    """The root element; raises `etree.XMLSyntaxError` for a document that is not well-formed."""
    return etree.fromstring(data, _PARSER)


def b2mml_kind(root: etree._Element) -> B2mmlKind | None:
    """What the document is, or None when it is not in a B2MML namespace."""
    qname = etree.QName(root)
    if "b2mml" not in (qname.namespace or "").lower():
        return None
    version = re.search(r"B2MML-(V\d+)", qname.namespace or "", re.IGNORECASE)
    name = qname.localname
    verb = next(
        (v for v in VERBS if name.startswith(v) and len(name) > len(v) and name[len(v)].isupper()), None
    )
    return B2mmlKind(name[len(verb) :] if verb else name, verb, version.group(1).upper() if version else None)


def xml_to_dict(document: bytes | etree._Element, lists: Collection[str] = ()) -> dict[str, Any]:
    """The document as `{root name: content}` (see the module docstring). Element names in `lists` are
    lists even when they occur once."""
    root = parse_xml(document) if isinstance(document, bytes) else document
    return {etree.QName(root).localname: _convert(root, frozenset(lists))}


def _convert(element: etree._Element, lists: frozenset[str]) -> Any:
    out: dict[str, Any] = {f"@{etree.QName(name).localname}": value for name, value in element.attrib.items()}
    text = (element.text or "").strip()
    children = [child for child in element if isinstance(child.tag, str)]
    if not children and not out:
        return text
    for child in children:
        name = etree.QName(child).localname
        value = _convert(child, lists)  # a string or a dict, never a list: a list here is one we made
        if name not in out:
            out[name] = [value] if name in lists else value
        elif isinstance(out[name], list):
            out[name].append(value)
        else:
            out[name] = [out[name], value]
    if text:
        out["#text"] = text
    return out
