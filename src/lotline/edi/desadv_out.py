"""The canonical ship notice as an EDIFACT DESADV (D.96A), for outbound despatch advices.

BGM 351, DTM 137/11/17 (format 203), RFF ON/BM/CN, NAD (GLNs with 3055 = 9), TDT carrier, then the
packaging hierarchy: CPS 1 is the shipment, each unit gets its own CPS (parent: its unit's CPS) with PAC
(201 pallet for a unit holding units, CT carton for the others), PCI 33E and GIN BJ (its SSCC; ML for
another label), and the unit's items: LIN (GTIN as SRV), PIA (part numbers, NB lot), IMD, QTY 12 with
its UN/ECE Rec 20 unit, RFF ON when the notice has several orders, PCI/GIN BN per serial. CNT 2 counts
the lines.
"""

from __future__ import annotations

from lotline.edi.edifact_write import EdifactEnvelope, segment, write_edifact
from lotline.edi.ids import GTIN_QUALIFIERS, uom_of
from lotline.edi.shipnotice import Container, Item, ShipNotice
from lotline.edi.x12_856_out import PURPOSE_TO_X12, ROLE_CODES
from lotline.edi.x12_write import ControlNumbers

__all__ = ["IDENTIFIER", "desadv_body", "write_desadv"]

IDENTIFIER = ("DESADV", "D", "96A", "UN", "EAN005")


def _when(value: str | None) -> tuple[str, str]:
    if not value:
        return "", ""
    if "T" not in value:
        return value.replace("-", ""), "102"
    return value[:19].replace("-", "").replace("T", "").replace(":", ""), "204"


class _Writer:
    def __init__(self, notice: ShipNotice) -> None:
        self.notice = notice
        self.out: list[str] = []
        self.cps = 1
        self.lines = 0

    def unit(self, container: Container, parent: int) -> None:
        self.cps += 1
        number = self.cps
        self.out.append(segment("CPS", str(number), str(parent)))
        self.out.append(segment("PAC", "1", "", "201" if container.level == "T" else "CT"))
        self.out.append(segment("PCI", "33E"))
        if container.sscc:
            self.out.append(segment("GIN", "BJ", container.sscc))
        else:
            self.out.append(segment("GIN", "ML", container.label or container.key))
        for item in self.notice.items:
            if item.container == container.key:
                self.item(item)
        for inner in self.notice.containers:
            if inner.parent == container.key:
                self.unit(inner, number)

    def item(self, item: Item) -> None:
        self.lines += 1
        gtin = [item.gtin[1:] if item.gtin.startswith("0") else item.gtin, "SRV"] if item.gtin else []
        self.out.append(segment("LIN", item.line or str(self.lines), "", gtin))
        parts = [(v, q) for q, v in item.parts.items() if q not in GTIN_QUALIFIERS]
        if item.lot:
            parts.append((item.lot, "NB"))
        if parts:
            self.out.append(segment("PIA", "1", *parts[:5]))
        if item.description:
            self.out.append(segment("IMD", "F", "", ("", "", "", item.description)))
        if item.quantity is not None:
            amount = item.quantity
            text = str(int(amount)) if float(amount).is_integer() else str(amount)
            self.out.append(segment("QTY", ("12", text, uom_of(item.uom) or item.uom)))
        if item.order and len(self.notice.orders) > 1:
            self.out.append(segment("RFF", ("ON", item.order)))
        if item.serials:
            self.out.append(segment("PCI", "17"))
            self.out += [segment("GIN", "BN", serial) for serial in item.serials]


def desadv_body(notice: ShipNotice) -> list[str]:
    """The segments between UNH and UNT."""
    w = _Writer(notice)
    purpose = {x12: edifact for edifact, x12 in PURPOSE_TO_X12.items()}.get(notice.purpose, notice.purpose)
    w.out.append(segment("BGM", "351", notice.number, purpose or "9"))
    for code, value in (
        ("137", notice.document_time),
        ("11", notice.ship_time),
        ("17", notice.delivery_time),
    ):
        text, fmt = _when(value)
        if text:
            w.out.append(segment("DTM", (code, text, fmt)))
    w.out += [segment("RFF", ("ON", order)) for order in notice.orders]
    for code, value in (("BM", notice.bol), ("CN", notice.pro)):
        if value:
            w.out.append(segment("RFF", (code, value)))
    for party in notice.parties:
        qualifier = "9" if party.gln else party.qualifier
        w.out.append(
            segment(
                "NAD",
                ROLE_CODES.get(party.role, party.code),
                (party.gln or party.id, "", qualifier),
                "",
                party.name,
            )
        )
    if notice.carrier:
        w.out.append(segment("TDT", "20", "", "", "", notice.carrier))
    w.out.append(segment("CPS", "1"))
    for item in notice.items:
        if item.container is None:
            w.item(item)
    for container in notice.containers:
        if container.parent is None:
            w.unit(container, 1)
    w.out.append(segment("CNT", ("2", str(w.lines))))
    return w.out


def write_desadv(notice: ShipNotice, envelope: EdifactEnvelope, numbers: ControlNumbers) -> str:
    """A whole interchange (UNA ... UNZ) with the notice as one DESADV."""
    return write_edifact(envelope, [(IDENTIFIER, desadv_body(notice))], numbers)
