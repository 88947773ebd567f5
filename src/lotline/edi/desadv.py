"""An EDIFACT DESADV (despatch advice, D.96A and later) message into the canonical ship notice.

Read, in the order the message definition gives them:

- BGM: 1004 the notice number, 1225 its function (9 original). DTM 137 document, 11 despatch, 17/132
  (estimated) delivery / arrival, formats 102, 203, 204.
- SG1 RFF: ON purchase order, BM bill of lading, CN carrier's reference. SG2 NAD: 3035 party role
  (SU, SF/CZ ship from, BY, DP/ST/CN ship to, CA carrier), C082 id with 3055 (9 = GS1: a GLN).
- SG6 TDT: the carrier (C040). SG10 CPS (7164 id, 7166 parent): the packaging hierarchy; SG11 PAC 7065
  packaging type; SG13 PCI + GIN BJ: the SSCC of the unit at this CPS level (ML: another label id).
- SG15 LIN: C212 item number with 7143 (EN/SRV/UP: GTIN); PIA (NB lot, SN serial, SA/IN/BP/MF part
  numbers), IMD description, QTY 12 despatched quantity with its unit, RFF ON line order, and in SG20
  PCI + GIN: BX batch (lot), BN serial numbers.

The items of a CPS level belong to its unit; a CPS level without a unit of its own passes them to the
nearest level above that has one. A GIN BJ listing several SSCCs names several identical units: the
first holds the level's items, the others are received as units with no known content (with a warning).
"""

from __future__ import annotations

from datetime import datetime

from lotline.edi.edifact import EdifactInterchange, EdifactMessage, ESegment
from lotline.edi.ids import GTIN_QUALIFIERS, gln_of, gtin_of, sscc_of
from lotline.edi.shipnotice import Container, Item, Party, ShipNotice

__all__ = ["NAD_ROLES", "desadv_notice", "edifact_date"]

NAD_ROLES = {
    "SU": "supplier",
    "SF": "ship_from",
    "CZ": "ship_from",
    "BY": "buyer",
    "DP": "ship_to",
    "ST": "ship_to",
    "CN": "ship_to",
    "CA": "carrier",
    "SH": "shipper",
    "OB": "ordered_by",
}
_FORMATS = {"102": "%Y%m%d", "203": "%Y%m%d%H%M", "204": "%Y%m%d%H%M%S"}


def edifact_date(value: str, fmt: str) -> str | None:
    """ISO 8601 local date(-time) of a DTM value in format 102, 203 or 204; None for others."""
    pattern = _FORMATS.get(fmt or "102")
    try:
        moment = datetime.strptime(value, pattern) if pattern else None
    except ValueError:
        return None
    if moment is None:
        return None
    return moment.date().isoformat() if fmt in ("", "102") else moment.isoformat()


class _Reader:
    def __init__(self, notice: ShipNotice, decimal: str) -> None:
        self.notice = notice
        self.decimal = decimal
        self.cps_parent: dict[str, str] = {}
        self.cps_unit: dict[str, str] = {}
        self.cps = ""
        self.item: Item | None = None

    def holder(self, cps: str) -> str | None:
        seen: set[str] = set()
        while cps and cps not in seen:
            if cps in self.cps_unit:
                return self.cps_unit[cps]
            seen.add(cps)
            cps = self.cps_parent.get(cps, "")
        return None

    def read(self, s: ESegment) -> None:
        handler = getattr(self, f"_{s.tag}", None)
        if handler is not None:
            handler(s)

    def _BGM(self, s: ESegment) -> None:
        self.notice.number, self.notice.purpose = s.get(2), s.get(3)

    def _DTM(self, s: ESegment) -> None:
        kind, when = s.get(1, 1), edifact_date(s.get(1, 2), s.get(1, 3))
        n = self.notice
        if self.item is not None or when is None:
            return
        if kind == "137" and n.document_time is None:
            n.document_time = when
        elif kind == "11" and n.ship_time is None:
            n.ship_time = when
        elif kind in ("17", "132", "2") and n.delivery_time is None:
            n.delivery_time = when

    def _RFF(self, s: ESegment) -> None:
        kind, value = s.get(1, 1), s.get(1, 2)
        n = self.notice
        if kind == "ON" and self.item is not None:
            self.item.order = value
        elif kind == "ON" and value not in n.orders:
            n.orders.append(value)
        elif kind == "BM" and n.bol is None:
            n.bol = value
        elif kind == "CN" and n.pro is None:
            n.pro = value

    def _NAD(self, s: ESegment) -> None:
        code, qualifier, value = s.get(1), s.get(2, 3), s.get(2, 1)
        party = Party(NAD_ROLES.get(code, code.lower()), code, s.get(4, 1) or s.get(3, 1), qualifier, value)
        party.gln = gln_of(qualifier, value)
        if qualifier == "9" and party.gln is None:
            self.notice.warnings.append(f"segment {s.number} (NAD): {value!r} is not a valid GLN")
        self.notice.parties.append(party)

    def _TDT(self, s: ESegment) -> None:
        self.notice.carrier = self.notice.carrier or s.get(5, 1) or s.get(5, 4) or None

    def _CPS(self, s: ESegment) -> None:
        self.cps, self.item = s.get(1), None
        if s.get(2):
            self.cps_parent[self.cps] = s.get(2)

    def _GIN(self, s: ESegment) -> None:
        kind = s.get(1)
        values = [s.get(i, 1) for i in range(2, len(s.elements) + 1) if s.get(i, 1)]
        if self.item is not None and kind in ("BX", "NB"):
            self.item.lot = self.item.lot or values[0]
        elif self.item is not None and kind in ("BN", "SN"):
            self.item.serials.extend(values)
        elif self.item is None and kind in ("BJ", "ML"):
            for value in values:
                self._unit(s, kind, value)

    def _unit(self, s: ESegment, kind: str, value: str) -> None:
        sscc = sscc_of(value) if kind == "BJ" else None
        if kind == "BJ" and sscc is None:
            self.notice.warnings.append(
                f"segment {s.number} (GIN): {value!r} is not a valid SSCC; kept as a label"
            )
        parent = self.holder(self.cps_parent.get(self.cps, ""))
        order = self.notice.orders[0] if len(self.notice.orders) == 1 else None
        unit = Container(sscc or value, "P", sscc, None if sscc else value, parent, order)
        for above in self.notice.containers:
            if above.key == parent:
                above.level = "T"
        self.notice.containers.append(unit)
        if self.cps in self.cps_unit:
            self.notice.warnings.append(
                f"segment {s.number} (GIN): unit {value} shares CPS {self.cps}; its content is not known"
            )
        else:
            self.cps_unit[self.cps] = unit.key

    def _LIN(self, s: ESegment) -> None:
        order = self.notice.orders[0] if len(self.notice.orders) == 1 else None
        self.item = Item(line=s.get(1), order=order, container=self.holder(self.cps))
        self.notice.items.append(self.item)
        self._number(s, s.get(3, 2), s.get(3, 1))

    def _PIA(self, s: ESegment) -> None:
        for i in range(2, len(s.elements) + 1):
            self._number(s, s.get(i, 2), s.get(i, 1))

    def _number(self, s: ESegment, qualifier: str, value: str) -> None:
        item = self.item
        if item is None or not value:
            return
        if qualifier == "NB":
            item.lot = item.lot or value
        elif qualifier == "SN":
            item.serials.append(value)
        elif qualifier:
            item.parts[qualifier] = value
            if qualifier in GTIN_QUALIFIERS and item.gtin is None:
                item.gtin = gtin_of(qualifier, value)
                if item.gtin is None:
                    self.notice.warnings.append(
                        f"segment {s.number} ({s.tag}): {value!r} is not a valid GTIN"
                    )

    def _IMD(self, s: ESegment) -> None:
        if self.item is not None and not self.item.description:
            self.item.description = s.get(3, 4)

    def _QTY(self, s: ESegment) -> None:
        if self.item is not None and s.get(1, 1) in ("12", "") and self.item.quantity is None:
            text = s.get(1, 2).replace(self.decimal, ".")
            try:
                amount = float(text)
            except ValueError:
                return
            self.item.quantity = int(amount) if amount.is_integer() else amount
            self.item.uom = s.get(1, 3)


def desadv_notice(interchange: EdifactInterchange, message: EdifactMessage) -> ShipNotice:
    """The ship notice a DESADV message says."""
    sender, receiver = interchange.sender, interchange.receiver
    notice = ShipNotice(
        "EDIFACT",
        "DESADV",
        "",
        message.version,
        ":".join(sender),
        ":".join(receiver),
        interchange.reference,
        message.reference,
    )
    reader = _Reader(notice, interchange.decimal_mark)
    for segment in message.body():
        reader.read(segment)
    return notice
