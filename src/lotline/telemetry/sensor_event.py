"""An excursion as EPCIS 2.0: an ObjectEvent (OBSERVE) on the batch, with a sensorElement whose sensorReport
carries the measurement type, the peak `value`, `minValue` / `maxValue`, the unit and the CBV 2.0 sensor
alert type `ALARM_CONDITION`; `sensorMetadata` gives the time range (startTime, endTime).

The batch's identifier comes from the rule's template; an EPC class (`urn:epc:class:...`, or a Digital Link
with a lot and no serial) goes in `quantityList`, an instance in `epcList`. Without a batch (none known, or
an id that does not make a valid identifier), the event still records the excursion at the read point: EPCIS
2.0 allows an ObjectEvent with sensor data and a readPoint and no objects.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lotline.epcis.identifiers import identity_key
from lotline.epcis.timefmt import format_time
from lotline.errors import IdentifierError
from lotline.telemetry.spec import ExcursionRule

__all__ = ["Part", "excursion_event", "identifier"]

# EPC URN escapes (GS1 Tag Data Standard: " % & / < > ? are written %-escaped)
_URN_ESCAPES = str.maketrans({c: f"%{ord(c):02X}" for c in '"%&/<>?'})


@dataclass(frozen=True, slots=True)
class Part:
    """The stretch of one excursion during which one batch was being produced."""

    equipment: str
    start: int
    end: int
    batch: str | None
    item: str | None
    low: float
    high: float
    above: bool
    below: bool


def identifier(spec: ExcursionRule, part: Part) -> str | None:
    """The batch's identifier from the template, or None (no batch, or not a valid identifier)."""
    if spec.identifier is None or part.batch is None:
        return None
    text = spec.identifier.format(
        batch=part.batch.translate(_URN_ESCAPES),
        item=(part.item or "").translate(_URN_ESCAPES),
        equipment=part.equipment.translate(_URN_ESCAPES),
    )
    try:
        identity_key(text)
    except IdentifierError:
        return None
    return text


def _is_class(uri: str) -> bool:
    return ":class:" in uri or ("/10/" in uri and "/21/" not in uri)


def _peak(spec: ExcursionRule, part: Part) -> float:
    """The value farthest outside its limit."""
    if part.above and part.below and spec.high is not None and spec.low is not None:
        return part.high if part.high - spec.high >= spec.low - part.low else part.low
    return part.high if part.above else part.low


def excursion_event(spec: ExcursionRule, part: Part, epc: str | None) -> dict[str, Any]:
    """The ObjectEvent for one part of an excursion (see the module docstring)."""
    report: dict[str, Any] = {
        "type": spec.measurement,
        "exception": "ALARM_CONDITION",
        "value": _peak(spec, part),
        "minValue": part.low,
        "maxValue": part.high,
    }
    if spec.uom is not None:
        report["uom"] = spec.uom
    metadata: dict[str, Any] = {"startTime": format_time(part.start), "endTime": format_time(part.end)}
    if spec.device_id is not None:
        metadata["deviceID"] = spec.device_id
    event: dict[str, Any] = {
        "type": "ObjectEvent",
        "eventTime": format_time(part.end),
        "eventTimeZoneOffset": spec.time_zone_offset,
        "action": "OBSERVE",
    }
    if epc is not None and _is_class(epc):
        event["quantityList"] = [{"epcClass": epc}]
    elif epc is not None:
        event["epcList"] = [epc]
    event["bizStep"] = spec.biz_step
    if spec.disposition is not None:
        event["disposition"] = spec.disposition
    event["readPoint"] = {"id": spec.read_point}
    if spec.biz_location is not None:
        event["bizLocation"] = {"id": spec.biz_location}
    event["sensorElementList"] = [{"sensorMetadata": metadata, "sensorReport": [report]}]
    return event
