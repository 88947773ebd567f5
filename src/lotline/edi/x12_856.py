"""An X12 856 (Ship Notice/Manifest) transaction set into the canonical ship notice.

The HL hierarchy (HL01 id, HL02 parent, HL03 level: S shipment, O order, T tare/pallet, P pack, I item)
is read as a tree. Segments read, by level:

- S: BSN (number, purpose, date/time), DTM*011 shipped / *017 or *067 delivery, REF*BM bill of lading,
  REF*CN carrier's reference (PRO), TD5 carrier, N1 parties (N101 role, N103/N104 id: UL = GLN).
- O: PRF01 purchase order (also REF*PO), N1 parties.
- T and P: MAN*GM SSCC (any other MAN, or REF*LS, as a label id), PO4/TD1 packaging.
- I: LIN qualifier/value pairs (UP/EN/UK... GTIN, VP/BP/IN part numbers, LT lot, SN serial), REF*LT lot,
  REF*SE/SN serial, SN1 quantity and unit, PID description; REF*LS on an item names its packs.

A T/P level without any id is not a handling unit lotline can track: what it holds goes to the next
container up. Packs *under* an item (HL S>T>I>P, the "pick and pack" order) split the item's quantity
among them (SN1 of each pack).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from lotline.edi.ids import GTIN_QUALIFIERS, gln_of, gtin_of, sscc_of
from lotline.edi.shipnotice import Container, Item, Party, ShipNotice
from lotline.edi.x12 import Segment
from lotline.edi.x12_envelope import FunctionalGroup, Interchange, TransactionSet

__all__ = ["PARTY_ROLES", "ship_notice_of", "x12_date"]

PARTY_ROLES = {
    "SF": "ship_from",
    "ST": "ship_to",
    "SU": "supplier",
    "BY": "buyer",
    "SH": "shipper",
    "OB": "ordered_by",
    "CA": "carrier",
    "VN": "vendor",
    "MF": "manufacturer",
}


@dataclass(slots=True)
class _Node:
    id: str
    parent: str
    level: str
    segments: list[Segment] = field(default_factory=list)


def x12_date(day: str, time: str = "") -> str | None:
    """ISO 8601 for an X12 date (CCYYMMDD or YYMMDD) and optional time (HHMM[SS[dd]])."""
    if not day.isdigit() or len(day) not in (6, 8):
        return None
    day = ("20" + day) if len(day) == 6 else day
    out = f"{day[:4]}-{day[4:6]}-{day[6:8]}"
    if time.isdigit() and len(time) >= 4:
        out += f"T{time[:2]}:{time[2:4]}:{time[4:6] or '00'}"
    return out


def ship_notice_of(interchange: Interchange, group: FunctionalGroup, tset: TransactionSet) -> ShipNotice:
    """The ship notice an 856 transaction set says (warnings for ids that fail their check digit)."""
    sender, receiver = interchange.sender, interchange.receiver
    notice = ShipNotice(
        "X12",
        "856",
        "",
        group.version,
        ":".join(sender),
        ":".join(receiver),
        interchange.control,
        tset.control,
    )
    reader = _Reader(notice)
    top = _Node("", "", "")
    current = top
    for segment in tset.body():
        if segment.id == "HL":
            current = _Node(segment.get(1), segment.get(2), segment.get(3))
            reader.nodes[current.id] = current
            reader.order.append(current)
        elif segment.id == "BSN":
            notice.purpose, notice.number = segment.get(1), segment.get(2)
            notice.document_time = x12_date(segment.get(3), segment.get(4))
        else:
            current.segments.append(segment)
    for segment in top.segments:
        _common(notice, segment)
    for node in reader.order:
        reader.read(node)
    return notice


def _common(notice: ShipNotice, segment: Segment) -> None:
    """Segments that mean the same at any level: dates, references, parties, carrier."""
    kind, value = segment.get(1), segment.get(2)
    if segment.id == "DTM":
        when = x12_date(value, segment.get(3))
        if kind == "011" and notice.ship_time is None:
            notice.ship_time = when
        elif kind in ("017", "067") and notice.delivery_time is None:
            notice.delivery_time = when
    elif segment.id == "REF" and kind == "BM" and notice.bol is None:
        notice.bol = value
    elif segment.id == "REF" and kind == "CN" and notice.pro is None:
        notice.pro = value
    elif segment.id == "TD5" and notice.carrier is None:
        notice.carrier = segment.get(5) or segment.get(3) or None
    elif segment.id == "N1":
        party = Party(PARTY_ROLES.get(kind, kind.lower()), kind, value, segment.get(3), segment.get(4))
        party.gln = gln_of(party.qualifier, party.id)
        if party.qualifier == "UL" and party.gln is None:
            notice.warnings.append(f"segment {segment.number} (N1): {party.id!r} is not a valid GLN")
        if all((p.code, p.id, p.name) != (party.code, party.id, party.name) for p in notice.parties):
            notice.parties.append(party)


def _orders(node: _Node) -> list[str]:
    found = [s.get(1) for s in node.segments if s.id == "PRF" and s.get(1)]
    return found + [s.get(2) for s in node.segments if s.id == "REF" and s.get(1) == "PO" and s.get(2)]


def _number(text: str) -> float | None:
    try:
        amount = float(text)
    except ValueError:
        return None
    return int(amount) if amount.is_integer() else amount


def _quantity(node: _Node) -> tuple[float | None, str]:
    for segment in node.segments:
        if segment.id == "SN1" and segment.get(2):
            return _number(segment.get(2)), segment.get(3)
    return None, ""


@dataclass(slots=True)
class _Reader:
    notice: ShipNotice
    nodes: dict[str, _Node] = field(default_factory=dict)
    order: list[_Node] = field(default_factory=list)
    keys: dict[str, str] = field(default_factory=dict)  # HL id -> key of the container read there
    pieces: dict[str, list[Item]] = field(default_factory=dict)  # HL id of an item -> its items
    packed: set[str] = field(default_factory=set)  # items (HL id) split into packs

    def read(self, node: _Node) -> None:
        up = self._ancestors(node)
        holder = next((self.keys[n.id] for n in up if n.id in self.keys), None)
        po = next((o for n in [node, *up] for o in _orders(n)), None)
        for segment in node.segments:
            _common(self.notice, segment)
        if node.level == "O":
            self.notice.orders.extend(o for o in _orders(node) if o not in self.notice.orders)
        elif node.level in ("T", "P"):
            container = self._container(node, holder, po)
            if container is not None:
                self.keys[node.id] = container.key
                self.notice.containers.append(container)
                item_above = next((n for n in up if n.level == "I"), None)
                if item_above is not None:  # a pack under an item: it holds (part of) that item
                    self._split(item_above.id, container, _quantity(node))
        elif node.level == "I":
            self._item(node, holder, po)

    def _ancestors(self, node: _Node) -> list[_Node]:
        chain, seen = [], {node.id}
        while node.parent in self.nodes and node.parent not in seen:
            node = self.nodes[node.parent]
            seen.add(node.id)
            chain.append(node)
        return chain

    def _container(self, node: _Node, holder: str | None, po: str | None) -> Container | None:
        sscc = label = None
        packaging = ""
        for segment in node.segments:
            value = segment.get(2)
            if segment.id == "MAN" and segment.get(1) == "GM" and sscc is None:
                sscc = sscc_of(value)
                if sscc is None:
                    label = label or value
                    self.notice.warnings.append(
                        f"segment {segment.number} (MAN): {value!r} is not a valid SSCC (18 digits with a "
                        "check digit); the unit is kept under a private id"
                    )
            elif (segment.id == "MAN" or (segment.id == "REF" and segment.get(1) == "LS")) and value:
                label = label or value
            elif segment.id in ("PO4", "TD1") and not packaging:
                packaging = segment.get(1) if segment.id == "TD1" else "PO4"
        if sscc is None and label is None:
            return None
        return Container(
            sscc or label or node.id, node.level, sscc, None if sscc else label, holder, po, packaging
        )

    def _item(self, node: _Node, holder: str | None, po: str | None) -> None:
        item = Item(order=po, container=holder)
        labels: list[str] = []
        packs: tuple[int, float | None] = (0, None)
        for segment in node.segments:
            kind, value = segment.get(1), segment.get(2)
            if segment.id == "LIN":
                item.line = kind
                pairs = segment.elements[1:]
                for qualifier, code in zip(pairs[::2], pairs[1::2], strict=False):
                    self._identify(item, qualifier, code, segment)
            elif segment.id == "REF" and kind == "LT":
                item.lot = item.lot or value
            elif segment.id == "REF" and kind in ("SE", "SN"):
                item.serials.append(value)
            elif segment.id == "REF" and kind == "LS":
                labels.append(value)
            elif segment.id == "PID" and not item.description:
                item.description = segment.get(5)
            elif segment.id == "PO4" and kind.isdigit():
                packs = (int(kind), _number(value))
        item.quantity, item.uom = _quantity(node)
        item.line = item.line or f"HL{node.id}"
        self.notice.items.append(item)
        self.pieces[node.id] = [item]
        for label in labels:  # REF*LS on an item: the labels of the packs it came in
            pack = Container(label, "P", None, label, holder, po, "PO4")
            self.notice.containers.append(pack)
            size = item.quantity if len(labels) == 1 else packs[1] if packs[0] == len(labels) else None
            self._split(node.id, pack, (size, item.uom))

    def _identify(self, item: Item, qualifier: str, value: str, segment: Segment) -> None:
        if not qualifier or not value:
            return
        if qualifier == "LT":
            item.lot = value
            return
        if qualifier == "SN":
            item.serials.append(value)
            return
        item.parts[qualifier] = value
        if qualifier in GTIN_QUALIFIERS and item.gtin is None:
            item.gtin = gtin_of(qualifier, value)
            if item.gtin is None:
                self.notice.warnings.append(
                    f"segment {segment.number} (LIN): {qualifier} {value!r} is not a valid GTIN (check digit); "
                    "the item is identified by its part numbers"
                )

    def _split(self, item_node: str, pack: Container, amount: tuple[float | None, str]) -> None:
        """Put (part of) the item read at HL `item_node` into `pack`: the first pack takes the item's place."""
        pieces = self.pieces.get(item_node)
        if not pieces:
            return
        quantity, uom = amount
        original = pieces[0]
        piece = replace(
            original,
            quantity=quantity,
            uom=uom or original.uom,
            container=pack.key,
            serials=list(original.serials),
            parts=dict(original.parts),
        )
        items = self.notice.items
        if item_node not in self.packed:
            self.packed.add(item_node)
            items[items.index(original)] = piece
            pieces[0] = piece
        else:
            items.insert(items.index(pieces[-1]) + 1, piece)
            pieces.append(piece)
