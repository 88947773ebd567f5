"""EPCIS 2.0 XML binding: read XML into the JSON-LD shaped document dict, and write it back.

`parse_xml_document` lives in `xml_read`, `render_xml_document` in `xml_write`; the mapping rules between
the two bindings are described in those modules' docstrings.
"""

from __future__ import annotations

from lotline.epcis.xml_read import parse_xml_document
from lotline.epcis.xml_write import render_xml_document

__all__ = ["parse_xml_document", "render_xml_document"]
