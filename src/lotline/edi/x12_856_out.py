"""The canonical ship notice as an X12 856 transaction set (HL S > O > T > P > I).

    body = ship_notice_856(notice)       # segments between ST and SE, for lotline.edi.x12_write

One O level per purchase order (none when the notice names no order), under it the handling units that
belong to it, nested as they are (T: a unit holding units, P: the others) with MAN*GM for an SSCC or
REF*LS for another label, and under each unit its items: LIN (line number, UK GTIN-14 or the part
numbers, LT lot), SN1 quantity, REF*SE per serial, PID description. CTT counts the HL segments.
"""

from __future__ import annotations

from lotline.edi.errors import EdiError
from lotline.edi.shipnotice import Container, Item, ShipNotice
from lotline.edi.x12_write import ControlNumbers, Envelope, write_interchange

__all__ = ["PURPOSE_TO_X12", "ROLE_CODES", "ship_notice_856", "write_856"]

# party role -> N101 / NAD 3035 entity code (the same codes exist in both standards)
ROLE_CODES = {
    "ship_from": "SF",
    "ship_to": "ST",
    "supplier": "SU",
    "buyer": "BY",
    "shipper": "SH",
    "carrier": "CA",
    "ordered_by": "OB",
    "vendor": "VN",
    "manufacturer": "MF",
}
# EDIFACT 1225 message function -> X12 353 transaction set purpose (original, cancellation, replace)
PURPOSE_TO_X12 = {"9": "00", "1": "01", "5": "05"}


# UN/ECE Rec 20 -> X12 355 unit codes (X12 codes have 2 characters)
_X12_UNITS = {
    "KGM": "KG",
    "LBR": "LB",
    "PCE": "PC",
    "H87": "PC",
    "C62": "EA",
    "CS": "CA",
    "LTR": "LT",
    "MTR": "MR",
    "GLL": "GA",
    "FOT": "FT",
    "DZN": "DZ",
    "PX": "PL",
    "RO": "RL",
    "": "EA",
}


def x12_unit(code: str) -> str:
    """The X12 unit code for a unit as the notice has it (X12's own, or UN/ECE Rec 20)."""
    unit = _X12_UNITS.get(code, code)
    if len(unit) != 2:
        raise EdiError(f"unit {code!r} has no X12 unit code (355); use one of {sorted(_X12_UNITS)}")
    return unit


def _date(value: str | None) -> tuple[str, str]:
    """CCYYMMDD and HHMM[SS] of an ISO 8601 local date-time."""
    if not value:
        return "", ""
    day = value[:10].replace("-", "")
    time = value[11:19].replace(":", "")
    return day, time[:4] if time.endswith("00") else time


class _Writer:
    def __init__(self, notice: ShipNotice) -> None:
        self.notice = notice
        self.segments: list[list[str]] = []
        self.count = 0

    def hl(self, parent: int, level: str) -> int:
        self.count += 1
        self.segments.append(["HL", str(self.count), str(parent) if parent else "", level])
        return self.count

    def unit(self, container: Container, parent: int) -> None:
        n = self.hl(parent, container.level)
        if container.sscc:
            self.segments.append(["MAN", "GM", container.sscc])
        else:
            self.segments.append(["REF", "LS", container.label or container.key])
        for inner in self.notice.containers:
            if inner.parent == container.key:
                self.unit(inner, n)
        for item in self.notice.items:
            if item.container == container.key:
                self.item(item, n)

    def item(self, item: Item, parent: int) -> None:
        self.hl(parent, "I")
        lin = ["LIN", item.line]
        for qualifier, value in item.parts.items():
            lin += [qualifier, value]
        if item.gtin and item.gtin not in item.parts.values():
            lin += ["UK", item.gtin]
        if item.lot:
            lin += ["LT", item.lot]
        self.segments.append(lin)
        if item.quantity is not None:
            amount = item.quantity
            text = str(int(amount)) if float(amount).is_integer() else str(amount)
            self.segments.append(["SN1", "", text, x12_unit(item.uom)])
        self.segments += [["REF", "SE", serial] for serial in item.serials]
        if item.description:
            self.segments.append(["PID", "F", "", "", "", item.description])


def ship_notice_856(notice: ShipNotice) -> list[list[str]]:
    """The 856 body (BSN ... CTT) for the notice."""
    w = _Writer(notice)
    day, time = _date(notice.document_time or notice.ship_time)
    purpose = PURPOSE_TO_X12.get(notice.purpose, notice.purpose) or "00"
    w.segments.append(["BSN", purpose, notice.number, day, time or "0000", "0001"])
    top = w.hl(0, "S")
    if notice.carrier:
        w.segments.append(["TD5", "", "", "", "", notice.carrier])
    if notice.bol:
        w.segments.append(["REF", "BM", notice.bol])
    if notice.pro:
        w.segments.append(["REF", "CN", notice.pro])
    for code, value in (("011", notice.ship_time), ("017", notice.delivery_time)):
        if value:
            w.segments.append(["DTM", code, *_date(value)])
    for party in notice.parties:
        code = ROLE_CODES.get(party.role, party.code)
        qualifier, value = ("UL", party.gln) if party.gln else (party.qualifier if party.id else "", party.id)
        w.segments.append(["N1", code, party.name, qualifier, value])
    for order in [None, *notice.orders]:  # units and items of no (known) order hang under the shipment
        parent = top
        if order is not None:
            parent = w.hl(top, "O")
            w.segments.append(["PRF", order])
        for container in notice.containers:
            if container.parent is None and _of(container.order, order, notice.orders):
                w.unit(container, parent)
        for item in notice.items:
            if item.container is None and _of(item.order, order, notice.orders):
                w.item(item, parent)
    w.segments.append(["CTT", str(w.count)])
    return w.segments


def _of(owner: str | None, order: str | None, orders: list[str]) -> bool:
    return owner == order or (order is None and owner not in orders)


def write_856(
    notice: ShipNotice, envelope: Envelope, numbers: ControlNumbers, version: str = "004010"
) -> str:
    """A whole interchange (ISA ... IEA) with the notice as one 856 in one SH group."""
    return write_interchange(envelope, "SH", version, [("856", ship_notice_856(notice))], numbers)
