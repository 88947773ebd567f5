"""The FDA FSMA 204 electronic sortable spreadsheet of a recall report (21 CFR 1.1455(c)(3)(ii)).

One row per critical tracking event (Receiving, Transformation, Shipping) and traceability lot, with the key
data elements of 21 CFR 1.1340 (shipping), 1.1345 (receiving) and 1.1350 (transformation) as columns, then a
few lotline columns that tie each row to its EPCIS event. A transformation takes one row per input and per
output lot, sharing the EPCIS event id. CSV (UTF-8 with a byte order mark, so spreadsheets read the accents)
or XLSX (header bold and frozen, autofilter, real dates, plus an "About" sheet explaining the columns).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any
from urllib.parse import unquote

from lotline.epcis.timefmt import format_time
from lotline.store import schema as s
from lotline.trace.facts import INPUT_ROLES, OUTPUT_ROLES, Light

if TYPE_CHECKING:
    from lotline.trace.recall import Recall, RecallReport
    from lotline.trace.recallevent import Ev

FSMA_COLUMNS: tuple[str, ...] = (
    "Traceability Lot Code",
    "Traceability Lot Code Source",
    "Product Description",
    "Quantity",
    "Unit of Measure",
    "Critical Tracking Event",
    "Event Date",
    "Event Time",
    "Location Description",
    "Ship-From Location",
    "Ship-To Location",
    "Reference Document Type",
    "Reference Document Number",
    # lotline: what ties the row to the EPCIS record
    "Transformation Input/Output",
    "Identifier",
    "Logistic Unit",
    "EPCIS Event ID",
)

COLUMN_NOTES: dict[str, str] = {
    "Traceability Lot Code": "The lot number (GS1 AI 10) of the identifier; serials, SSCCs and other "
    "identifiers without a lot number give the identifier itself.",
    "Traceability Lot Code Source": "Where the lot code was assigned: the location of the transformation or "
    "commissioning that made the lot, else the source (location or party) of the receipt that brought it in.",
    "Product Description": "From product master data; without it, the GTIN (said so in the cell).",
    "Quantity": "As recorded in the event (quantity lists), or 1 for a serialised item.",
    "Unit of Measure": "UN/ECE Rec. 20 code as recorded (EA = each for serialised items).",
    "Critical Tracking Event": "Receiving, Transformation or Shipping.",
    "Event Date": "Local date of the event (its eventTimeZoneOffset).",
    "Event Time": "Local time of the event with its UTC offset.",
    "Location Description": "Where the event happened: receiving, shipping or transformation location.",
    "Ship-From Location": "Shipping: our location; receiving: the immediate previous source.",
    "Ship-To Location": "Shipping: the immediate subsequent recipient; receiving: our receiving location.",
    "Reference Document Type": "From the event's business transactions (bizTransactionList); without one, "
    "the EPCIS event itself is the record.",
    "Reference Document Number": "The business transaction id (for CBV bt URNs, the part after the GLN).",
    "Transformation Input/Output": "Transformation rows: whether the lot went in or came out.",
    "Identifier": "The EPC URN or GS1 Digital Link as captured.",
    "Logistic Unit": "The container (SSCC, ...) the lot travelled in, if it was not moved loose.",
    "EPCIS Event ID": "The eventID of the EPCIS event that records this tracking event.",
}

REFERENCE_TYPES = {
    "po": "Purchase Order",
    "poc": "Purchase Order Confirmation",
    "bol": "Bill of Lading",
    "cert": "Certificate",
    "desadv": "Despatch Advice (ASN)",
    "inv": "Invoice",
    "pedigree": "Pedigree",
    "prodorder": "Production Order",
    "recadv": "Receiving Advice",
    "rma": "Return Merchandise Authorization",
    "testprd": "Test Procedure",
    "testres": "Test Result",
    "upevt": "Upstream EPCIS Event",
}

_LOT_DL = re.compile(r"/10/([^/?#]+)")
_LGTIN = re.compile(r"urn:epc:class:lgtin:[^.]+\.[^.]+\.(.+)")
_GTIN = re.compile(r"https://id\.gs1\.org/01/(\d{14})")
_SSCC = re.compile(r"https://id\.gs1\.org/00/(\d{18})")
_CBV_BT = re.compile(r"urn:epcglobal:cbv:bt:\d{13}:(.+)")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_OFFSET = re.compile(r"([+-])(\d\d):(\d\d)")


# --- which events are critical tracking events --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CteLine:
    identifier: str  # as captured
    key: str
    quantity: float | None
    uom: str | None
    role: str | None = None  # transformations: input or output
    container: str | None = None  # the logistic unit it travelled in
    node: int = field(default=-1, compare=False, repr=False)  # in the trace index (`lot_code_sources`)


@dataclass(slots=True)
class Cte:
    """One critical tracking event: Receiving, Transformation or Shipping."""

    kind: str
    event_id: str
    time: int
    offset: str
    location: str | None
    ship_from: str | None
    ship_to: str | None
    references: list[tuple[str, str]]  # (CBV bizTransaction type, id as captured)
    lines: list[CteLine]


def _place_text(locations: list[str], parties: list[str]) -> str | None:
    if locations and parties:
        return f"{'; '.join(locations)} ({'; '.join(parties)})"
    return "; ".join(locations or parties) or None


def _moved_lines(recall: Recall, ev: Ev, suspects: set[int]) -> list[CteLine]:
    """The affected lots and serials an event moved, loose or in containers; a suspect container whose
    contents are not recorded stands for itself."""
    carried = [c for c in recall.carried(ev) if c[0] in recall.affected]
    products = [c for c in carried if recall.kind(c[0]) != "container" and not recall.is_device(c[0])]
    lines = {
        CteLine(
            recall.shown(node),
            recall.key(node),
            q,
            uom,
            None,
            recall.shown(unit) if unit is not None else None,
            node,
        )
        for node, q, uom, unit in products or [c for c in carried if c[0] in suspects]
    }
    return sorted(lines, key=lambda line: (line.identifier, line.container or ""))


def critical_tracking_events(recall: Recall, shipped: set[int], suspects: set[int]) -> list[Cte]:
    """Shipments that carried affected lots (as the forward traces found them), receipts of affected lots,
    and every transformation (all events of its transformationID) with an affected lot among its inputs or
    outputs, with all its input and output lots."""
    g, ctes, groups = recall.g, [], set[int]()
    for pk in recall.by_time(recall.evs):
        ev = recall.evs[pk]
        light = ev.light
        if light.event_type == "TransformationEvent":
            if any(n in recall.affected for n in light.nodes) and (code := g.group_of(pk)) is not None:
                groups.add(code)
            continue
        if pk not in shipped and not ev.receipt:
            continue
        lines = _moved_lines(recall, ev, suspects)
        if not lines:
            continue
        (src_locs, src_parties), (dst_locs, dst_parties) = (
            ev.ends(s.REF_SOURCE),
            ev.ends(s.REF_DESTINATION),
        )
        if pk in shipped:
            origin = _place_text(src_locs or ([ev.location] if ev.location else []), src_parties)
            where, ship_from, ship_to, kind = (
                ev.location or origin,
                origin,
                _place_text(dst_locs, dst_parties),
                "Shipping",
            )
        else:
            where = ev.location or _place_text(dst_locs, [])
            ship_from, ship_to, kind = _place_text(src_locs, src_parties), where, "Receiving"
        ctes.append(
            Cte(kind, light.event_id, light.time, ev.offset, where, ship_from, ship_to, ev.references, lines)
        )
    pks = {pk for group in groups for facts in g.group(group) for _, pk in facts}
    recall.load(pks)
    for pk in recall.by_time(pks):
        ev = recall.evs[pk]
        lines = [
            CteLine(
                raw or key,
                key,
                *ev.amount(key, {role}),
                "input" if role in INPUT_ROLES else "output",
                node=node,
            )
            for (role, key, raw), node in zip(ev.light.epcs, ev.light.nodes, strict=True)
            if role in INPUT_ROLES or role in OUTPUT_ROLES
        ]
        lines.sort(key=lambda line: (line.role != "input", line.identifier))
        light = ev.light
        ctes.append(
            Cte(
                "Transformation",
                light.event_id,
                light.time,
                ev.offset,
                ev.location,
                None,
                None,
                ev.references,
                lines,
            )
        )
    order = {"Receiving": 0, "Transformation": 1, "Shipping": 2}
    return sorted(ctes, key=lambda c: (c.time, order[c.kind], c.event_id))


def _commissions(light: Light) -> bool:
    return light.event_type == "ObjectEvent" and light.action == "ADD" and not light.is_receipt


def lot_code_sources(recall: Recall, nodes: dict[str, int]) -> dict[str, str]:
    """Where each lot code (key -> its node) was assigned: the transformation (or commissioning) that made the
    lot, else the source (location, else party) of the receipt that brought it in."""
    g, candidates, outputs = recall.g, {}, dict[int, dict[int, list[int]]]()
    alive, evs = recall.alive, recall.evs
    for key, node in nodes.items():
        made = []
        for group in g.produced_by.get(node, ()):
            if group not in outputs:  # index each transformation's outputs once: some make thousands
                outputs[group] = {}
                for m, pk in g.group(group)[1]:
                    outputs[group].setdefault(m, []).append(pk)
            made += outputs[group].get(node, [])
        made += [pk for pk in recall.by_node.get(node, ()) if _commissions(evs[pk].light)]
        candidates[key] = tuple(pk for pk in made if alive(pk)) or tuple(
            pk for pk in g.receipts.get(node, ()) if alive(pk)
        )
    recall.load(pk for pks in candidates.values() for pk in pks)
    out, found = {}, dict[tuple[int, ...], str | None]()  # (the serials of one commissioning: one answer)
    for key, pks in candidates.items():
        if pks not in found:
            found[pks] = None
            for pk in recall.by_time(pks):
                ev = evs[pk]
                made_here = ev.light.event_type == "TransformationEvent" or not ev.receipt
                text = ev.location if made_here else _place_text(*ev.ends(s.REF_SOURCE))
                if text:
                    found[pks] = text
                    break
        text = found[pks]
        if text:
            out[key] = text
    return out


def traceability_lot_code(key: str, identifier: str) -> str:
    """The lot number of an LGTIN or a Digital Link with AI 10 (from the captured form if the key dropped it,
    as for a serial); otherwise the identifier itself."""
    for text in (key, identifier):
        match = _LOT_DL.search(text) or _LGTIN.fullmatch(text)
        if match:
            return unquote(match[1])
    return identifier


def product_description(key: str, identifier: str) -> str:
    """No product master data exists yet: the GTIN (or SSCC), said so."""
    if match := _GTIN.match(key):
        return f"GTIN {match[1]} (no product master data)"
    if match := _SSCC.match(key):
        return f"Logistic unit SSCC {match[1]} (contents not recorded)"
    return f"{identifier} (no product master data)"


def _local(micros: int, offset: str) -> datetime:
    moment = _EPOCH + timedelta(microseconds=micros)
    match = _OFFSET.fullmatch(offset)
    if match:
        delta = timedelta(hours=int(match[2]), minutes=int(match[3]))
        moment += delta if match[1] == "+" else -delta
    return moment.replace(tzinfo=None)


def _document_number(value: str) -> str:
    match = _CBV_BT.fullmatch(value)
    return match[1] if match else value


def fsma_rows(report: RecallReport) -> list[dict[str, Any]]:
    """One row per critical tracking event and lot, keyed by `FSMA_COLUMNS`; empty cells are None."""
    rows: list[dict[str, Any]] = []
    for cte in report.ctes:
        local = _local(cte.time, cte.offset)
        refs = cte.references or [("EPCIS event", cte.event_id)]
        ref_type = "; ".join(REFERENCE_TYPES.get(t, t or "Unspecified") for t, _ in refs)
        ref_number = "; ".join(_document_number(v) for _, v in refs)
        for line in cte.lines:
            values = (
                traceability_lot_code(line.key, line.identifier),
                report.tlc_sources.get(line.key),
                product_description(line.key, line.identifier),
                line.quantity,
                line.uom,
                cte.kind,
                local.date(),
                local.strftime("%H:%M:%S") + (cte.offset if _OFFSET.fullmatch(cte.offset) else ""),
                cte.location,
                cte.ship_from,
                cte.ship_to,
                ref_type,
                ref_number,
                line.role,
                line.identifier,
                line.container,
                cte.event_id,
            )
            rows.append(dict(zip(FSMA_COLUMNS, values, strict=True)))
    return rows


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def write_csv(rows: Sequence[dict[str, Any]], target: str | Path | IO[str]) -> None:
    """Write the rows as CSV: to a path (UTF-8 with a byte order mark) or to an open text stream."""
    if isinstance(target, str | Path):
        with open(target, "w", encoding="utf-8-sig", newline="") as stream:
            write_csv(rows, stream)
        return
    writer = csv.writer(target)
    writer.writerow(FSMA_COLUMNS)
    for row in rows:
        writer.writerow([_text(row.get(column)) for column in FSMA_COLUMNS])


def write_xlsx(
    rows: Sequence[dict[str, Any]], target: str | Path | IO[bytes], report: RecallReport | None = None
) -> None:
    """Write the rows as an XLSX workbook: sheet "FSMA 204" (bold frozen header, autofilter, column widths,
    real dates) and, with the report, an "About" sheet: suspects, when, and what each column holds."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    sheet = book.active
    sheet.title = "FSMA 204"
    sheet.append(list(FSMA_COLUMNS))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(vertical="top", wrap_text=True)
    date_column = FSMA_COLUMNS.index("Event Date") + 1
    for number, row in enumerate(rows, start=2):
        sheet.append([row.get(column) for column in FSMA_COLUMNS])
        sheet.cell(row=number, column=date_column).number_format = "yyyy-mm-dd"
    sheet.freeze_panes = "A2"
    last = get_column_letter(len(FSMA_COLUMNS))
    sheet.auto_filter.ref = f"A1:{last}{len(rows) + 1}"
    for number, column in enumerate(FSMA_COLUMNS, start=1):
        longest = max([len(column) // 2 + 4, *(len(_text(row.get(column))) for row in rows)])
        sheet.column_dimensions[get_column_letter(number)].width = min(longest + 2, 60)
    if report is not None:
        about = book.create_sheet("About")
        about.append(["lotline recall report: FDA FSMA 204 electronic sortable spreadsheet"])
        about["A1"].font = Font(bold=True)
        about.append(["Generated", format_time(report.generated_at)])
        for suspect in report.suspects:
            about.append(["Suspect" if suspect["found"] else "Not found", suspect["id"]])
        about.append([])
        about.append(["Column", "What it holds"])
        about[about.max_row][0].font = about[about.max_row][1].font = Font(bold=True)
        for column in FSMA_COLUMNS:
            about.append([column, COLUMN_NOTES[column]])
        about.column_dimensions["A"].width = 32
        about.column_dimensions["B"].width = 110
    book.save(target)
