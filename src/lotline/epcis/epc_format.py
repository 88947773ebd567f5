"""The `GS1-EPC-Format` request header: serve identifiers as captured, or all as GS1 Digital Link / EPC URN."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lotline.epcis.epc_urn import to_epc_urn
from lotline.epcis.identifiers import to_digital_link

NO_PREFERENCE = "No_Preference"
ALWAYS_DIGITAL_LINK = "Always_GS1_Digital_Link"
ALWAYS_URN = "Always_EPC_URN"
NEVER_TRANSLATES = "Never_Translates"
FORMATS = (NO_PREFERENCE, ALWAYS_DIGITAL_LINK, ALWAYS_URN, NEVER_TRANSLATES)

_LISTS = ("epcList", "childEPCs", "inputEPCList", "outputEPCList")
_QTY_LISTS = ("quantityList", "childQuantityList", "inputQuantityList", "outputQuantityList")


def translate_event(event: dict[str, Any], fmt: str) -> dict[str, Any]:
    """A copy of `event` with its EPCs in the requested form. Identifiers that cannot be converted
    (private URIs; a Digital Link whose company prefix length is unknown) are kept as they are."""
    if fmt == ALWAYS_DIGITAL_LINK:
        convert: Callable[[str], str] = lambda uri: to_digital_link(uri) or uri  # noqa: E731
    elif fmt == ALWAYS_URN:
        convert = lambda uri: to_epc_urn(uri) or uri  # noqa: E731
    else:
        return event
    out = dict(event)
    for name in _LISTS:
        if isinstance(out.get(name), list):
            out[name] = [convert(v) if isinstance(v, str) else v for v in out[name]]
    for name in _QTY_LISTS:
        if isinstance(out.get(name), list):
            out[name] = [
                {**q, "epcClass": convert(q["epcClass"])} if isinstance(q, dict) and "epcClass" in q else q
                for q in out[name]
            ]
    if isinstance(out.get("parentID"), str):
        out["parentID"] = convert(out["parentID"])
    return out
