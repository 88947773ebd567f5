"""GS1 keys out of EDI elements, and the URIs the EPCIS events use for them.

- GTIN from UP (UPC-A, 12 digits), EN (EAN-13), UK/UA/EU (GTIN-14) and friends: zero-padded to 14 digits.
- SSCC from MAN*GM / GIN+BJ: 18 digits, or 20 with the application identifier 00 in front.
- GLN from N1/NAD ids qualified UL (X12) or 9 (EDIFACT 3055: GS1).

Every key's check digit is verified. A key that fails is not a GS1 key, and is kept under a private URI
(below) with a warning on the notice, so the goods still trace. URIs: GS1 Digital Links on id.gs1.org
(`https://id.gs1.org/00/<sscc>`, `/01/<gtin>/10/<lot>`, `/01/<gtin>/21/<serial>`, `/414/<gln>` for a
location, `/417/<gln>` for a party); lotline's private scheme for the rest, values %-encoded and scoped
by the trading partner (`<partner>`: the interchange sender's id, ISA06 / UNB 0004), since a label or a
part number means something only within one partner's documents:

    urn:lotline:edi:<partner>:unit:<label>                       a handling unit without a valid SSCC
    urn:lotline:edi:<partner>:item:<qualifier>:<part>            a product without a valid GTIN (VP: vendor's
                                                                 part number, BP: buyer's, ...)
    urn:lotline:edi:<partner>:item:<qualifier>:<part>:lot:<lot>  a lot of it (`:ser:<serial>` an instance)
    urn:lotline:edi:<partner>:party:<qualifier>:<id>             a party without a GLN (92: id assigned by
                                                                 the buyer, ...; `name` when only named)
    urn:lotline:edi:<partner>:<po|desadv|bol>:<id>               a business transaction without issuer GLN
"""

from __future__ import annotations

from urllib.parse import quote

__all__ = [
    "DL",
    "check_digit",
    "class_uri",
    "gln_of",
    "gtin_of",
    "party_uris",
    "private",
    "serial_uri",
    "sscc_of",
    "unit_uri",
    "uom_of",
]

DL = "https://id.gs1.org/"
GTIN_QUALIFIERS = {"UP": 12, "UK": 14, "UA": 14, "EN": 13, "EO": 13, "UD": 12, "EU": 14, "SRV": 14}
# UN/ECE Recommendation 20 codes for the units EDI documents use; quantity without uom is a count
_UOM = {
    "EA": None,
    "PC": None,
    "PCE": None,
    "UN": None,
    "H87": None,
    "C62": None,
    "CT": "CT",
    "CA": "CS",
    "CS": "CS",
    "LB": "LBR",
    "KG": "KGM",
    "KGM": "KGM",
    "LBR": "LBR",
    "GA": "GLL",
    "LT": "LTR",
    "LTR": "LTR",
    "MR": "MTR",
    "MTR": "MTR",
    "FT": "FOT",
    "DZ": "DZN",
    "BX": "BX",
    "PK": "PK",
    "PL": "PX",
    "RL": "RO",
    "BG": "BG",
}


def check_digit(digits: str) -> str:
    """The GS1 mod-10 check digit of `digits` (the key without its last digit)."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(digits)))
    return str((10 - total % 10) % 10)


def _valid(key: str, size: int) -> bool:
    return len(key) == size and key.isdigit() and check_digit(key[:-1]) == key[-1]


def gtin_of(qualifier: str, value: str) -> str | None:
    """The GTIN-14 an item id qualified `qualifier` carries, or None (not a GTIN qualifier, or invalid)."""
    size = GTIN_QUALIFIERS.get(qualifier)
    value = value.strip()
    if size is None or not value.isdigit() or len(value) > 14:
        return None
    key = value.zfill(14)
    return key if _valid(key, 14) else None


def sscc_of(value: str) -> str | None:
    """The 18-digit SSCC in a MAN*GM / GIN+BJ value (18 digits, or 20 starting with AI 00), or None."""
    value = value.strip().replace("(00)", "")
    if len(value) == 20 and value.startswith("00"):
        value = value[2:]
    return value if _valid(value, 18) else None


def gln_of(qualifier: str, value: str) -> str | None:
    """The GLN of a party id qualified UL (X12) or 9 (EDIFACT 3055 = GS1), or None."""
    value = value.strip()
    return value if qualifier in ("UL", "9") and _valid(value, 13) else None


def private(*parts: str) -> str:
    return "urn:lotline:edi:" + ":".join(quote(p, safe="") for p in parts)


def unit_uri(scope: str, sscc: str | None, label: str | None) -> str:
    return f"{DL}00/{sscc}" if sscc else private(scope, "unit", label or "")


def class_uri(scope: str, gtin: str | None, parts: dict[str, str], lot: str | None) -> str | None:
    """The product class (with its lot when known); None when there is nothing to name the product by."""
    if gtin:
        return f"{DL}01/{gtin}" + (f"/10/{quote(lot, safe='')}" if lot else "")
    for qualifier in ("VP", "BP", "IN", "SA", "MG", "VN", *sorted(parts)):
        if parts.get(qualifier):
            base = private(scope, "item", qualifier, parts[qualifier])
            return base + (":lot:" + quote(lot, safe="") if lot else "")
    return None


def serial_uri(scope: str, gtin: str | None, parts: dict[str, str], serial: str) -> str | None:
    if gtin:
        return f"{DL}01/{gtin}/21/{quote(serial, safe='')}"
    base = class_uri(scope, None, parts, None)
    return f"{base}:ser:{quote(serial, safe='')}" if base else None


def party_uris(scope: str, gln: str | None, qualifier: str, value: str) -> tuple[str, str | None]:
    """(party URI, location URI or None): PGLN and SGLN Digital Links for a GLN, else a private party."""
    if gln:
        return f"{DL}417/{gln}", f"{DL}414/{gln}"
    return private(scope, "party", qualifier or "ZZ", value), None


def uom_of(code: str) -> str | None:
    """The UN/ECE Rec 20 unit for an EDI unit code; None for a count (each, piece) or an unknown unit."""
    return _UOM.get(code.strip().upper())
