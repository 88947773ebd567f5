"""The canonical ship notice: what an X12 856 and an EDIFACT DESADV both say, in one shape.

Parsers (`x12_856`, `desadv`) produce it, writers (`x12_856_out`, `desadv_out`) consume it, and
`receiving` turns it into EPCIS events through the `x12-856-receiving` mapping template. `to_json` is the
canonical JSON the mapping reads (`lotline edi parse --format json` prints it).

Containers are the shipment's handling units (X12 HL levels T tare/pallet and P pack, EDIFACT CPS/PAC);
`parent` nests them (a carton on a pallet). Items are the shipped lines (X12 HL level I, EDIFACT LIN) in
the container that holds them (`container`, None when loose in the shipment).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

__all__ = ["Container", "Item", "Party", "ShipNotice"]


@dataclass(slots=True)
class Party:
    role: str  # ship_from, ship_to, supplier, buyer, shipper, carrier, ordered_by, or the code itself
    code: str  # N101 / NAD 3035 as written (SF, ST, SU, BY, ...)
    name: str = ""
    qualifier: str = ""  # N103 / NAD 3055: how `id` is assigned (UL or 9: GLN, 1: DUNS, 92: by the buyer)
    id: str = ""
    gln: str | None = None  # the 13-digit GLN when `id` is one (check digit verified)


@dataclass(slots=True)
class Container:
    key: str  # unique in the notice: the SSCC, else the label, else the HL id
    level: str = "P"  # T: tare (pallet), P: pack (carton)
    sscc: str | None = None  # 18 digits, check digit verified
    label: str | None = None  # another label id (REF*LS, MAN*CP, an SSCC with a bad check digit, ...)
    parent: str | None = None  # key of the container holding this one
    order: str | None = None  # purchase order number
    packaging: str = ""  # packaging code (X12 TD1/PO4 packaging, EDIFACT PAC 7065)


@dataclass(slots=True)
class Item:
    line: str = ""  # LIN01 / LIN 1082
    gtin: str | None = None  # 14 digits, check digit verified
    lot: str | None = None
    serials: list[str] = field(default_factory=list)
    parts: dict[str, str] = field(default_factory=dict)  # id qualifier -> value (VP, BP, UP, EN, SA, ...)
    quantity: float | None = None
    uom: str = ""  # as written (EA, PC, CT, LB, ...)
    order: str | None = None
    container: str | None = None  # key of the container holding the item
    description: str = ""


@dataclass(slots=True)
class ShipNotice:
    standard: str  # X12 or EDIFACT
    message: str  # 856 or DESADV
    number: str  # the ship notice number: BSN02 / BGM 1004
    version: str = ""  # GS08 / UNH 0052+0054 (004010, D96A)
    sender: str = ""  # interchange sender (qualifier:id)
    receiver: str = ""
    interchange_control: str = ""  # ISA13 / UNB 0020
    control: str = ""  # ST02 / UNH 0062
    purpose: str = ""  # BSN01 / BGM 1225 (00 / 9: original)
    document_time: str | None = None  # ISO 8601, no offset (EDI dates carry none)
    ship_time: str | None = None
    delivery_time: str | None = None
    bol: str | None = None  # bill of lading (REF*BM / RFF+BM)
    pro: str | None = None  # carrier's reference / PRO number (REF*CN / RFF+CN)
    carrier: str | None = None
    orders: list[str] = field(default_factory=list)
    parties: list[Party] = field(default_factory=list)
    containers: list[Container] = field(default_factory=list)
    items: list[Item] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def party(self, *roles: str) -> Party | None:
        """The first party with one of these roles, in the order of the roles given."""
        for role in roles:
            for party in self.parties:
                if party.role == role:
                    return party
        return None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ShipNotice:
        values = {f.name: data[f.name] for f in fields(cls) if f.name in data}
        values["parties"] = [Party(**p) for p in data.get("parties", [])]
        values["containers"] = [Container(**c) for c in data.get("containers", [])]
        values["items"] = [Item(**i) for i in data.get("items", [])]
        return cls(**values)

    def comparable(self) -> dict[str, Any]:
        """What a round trip must keep: the notice without envelope data and warnings, with what the two
        standards write differently made equal (units as UN/ECE Rec 20, the GLN qualifier UL or 9, the
        GTIN qualifier of a part number, the purpose code 00 or 9 of an original, the order in which
        units and lines are listed)."""
        from lotline.edi.ids import GTIN_QUALIFIERS, uom_of

        data = self.to_json()
        for key in ENVELOPE_FIELDS:
            data.pop(key)
        purposes = {
            "": "original",
            "00": "original",
            "9": "original",
            "01": "cancel",
            "1": "cancel",
            "05": "replace",
            "5": "replace",
        }
        data["purpose"] = purposes.get(data["purpose"], data["purpose"])
        for party in data["parties"]:
            party.pop("code")  # DP or ST, CZ or SF: the role says it
            if party["gln"]:
                party["qualifier"] = "GLN"
        for item in data["items"]:
            item["uom"] = uom_of(item["uom"]) or ("count" if item["uom"] in _COUNTS else item["uom"])
            item["parts"] = {q: v for q, v in item["parts"].items() if q not in GTIN_QUALIFIERS}
        # the order of units and lines is how a writer walks the hierarchy, not part of what is said
        for container in data["containers"]:
            container.pop("packaging")  # informational; the standards code it differently
        data["containers"].sort(key=lambda c: c["key"])
        data["items"].sort(key=lambda i: repr(sorted(i.items())))
        return data


ENVELOPE_FIELDS = (
    "standard",
    "message",
    "version",
    "sender",
    "receiver",
    "interchange_control",
    "control",
    "warnings",
)
_COUNTS = ("", "EA", "PC", "PCE", "UN", "H87", "C62")
