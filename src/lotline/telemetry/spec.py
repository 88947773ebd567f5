"""The telemetry rules file, as pydantic models: the single source for validation and for docs/telemetry.md.

A validation error is a MappingError at the file, line and column where the offending field is written
(the YAML tree carries its locations, see `lotline.mapping.source`), with the field's path.
"""

from __future__ import annotations

import re
import string
from typing import Annotated, Any, Literal

import pydantic
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

from lotline.errors import MappingError
from lotline.mapping.source import locate
from lotline.mapping.spec import field_path
from lotline.model.operational import EquipmentStatus
from lotline.telemetry.adapters import InputOptions

__all__ = [
    "BatchInput",
    "CounterInput",
    "CountsRule",
    "DowntimeRule",
    "ExcursionRule",
    "OrderInput",
    "ReasonInput",
    "RuleSpec",
    "RulesFile",
    "StateInput",
    "micros",
    "validate_rules",
]

_NAME = r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$"
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_PLACEHOLDERS = frozenset({"batch", "item", "equipment"})


def _seconds(value: Any) -> Any:
    """`15m`, `30s`, `1h`, `500ms`, `1d`, or a number of seconds."""
    if isinstance(value, str):
        found = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*", value)
        if found is None:
            raise ValueError(f"{value!r} is not a duration (e.g. 30s, 15m, 1h, 500ms, or seconds)")
        return float(found.group(1)) * _UNITS[found.group(2)]
    return value


Duration = Annotated[float, BeforeValidator(_seconds), Field(ge=0)]


def micros(seconds: float) -> int:
    return round(seconds * 1_000_000)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Rule(_Strict):
    name: str = Field(pattern=_NAME, description="Unique in the file; names the rule's state and events.")
    equipment: str = Field(
        default="*", min_length=1, description="Equipment the rule watches: a name or a glob (filler-*)."
    )


class CounterInput(_Strict):
    """A count signal: a running counter (the default) or increments."""

    signal: str = Field(min_length=1, description="Signal name, e.g. Count/Good.")
    mode: Literal["counter", "increment"] = Field(
        default="counter",
        description="counter: a running total (differences are counted; a drop is a reset or a rollover); "
        "increment: each value is a quantity to add.",
    )
    rollover: float | None = Field(
        default=None,
        gt=0,
        description="The counter's modulus (65536 for a UInt16): a drop whose wrapped difference is under "
        "half of it is a rollover; any other drop is a reset to zero.",
    )


class OrderInput(_Strict):
    """Where the current production order of the equipment comes from: one of `signal` or `lookup`."""

    signal: str | None = Field(default=None, description="Signal carrying the order id at the line.")
    lookup: str | None = Field(
        default=None, description="Name of an order lookup given to load_rules (equipment, time -> order)."
    )

    @model_validator(mode="after")
    def _one(self) -> OrderInput:
        if (self.signal is None) == (self.lookup is None):
            raise ValueError("give exactly one of `signal` or `lookup`")
        return self


class CountsRule(_Rule):
    """Good and scrap counts per production order and interval -> OperationConfirmation events."""

    kind: Literal["counts"]
    good: CounterInput = Field(description="The good count.")
    scrap: CounterInput | None = Field(default=None, description="The scrap (reject) count.")
    order: OrderInput
    interval: Duration = Field(gt=0, description="Interval length (e.g. 15m); intervals align to UTC.")
    align: Duration = Field(default=0, description="Offset of interval starts from UTC multiples.")
    operation: str = Field(min_length=1, description="Operation / segment id of the confirmations.")
    work_center: str | None = Field(default=None, description="Work center of the confirmations.")
    uom: str | None = Field(default=None, description="UN/ECE Rec 20 unit of the counts, e.g. EA.")
    unassigned_order: str | None = Field(
        default=None,
        description="Order id for counts made while no order is known; without it they are only tallied "
        "in the rule's statistics (unassigned_good, unassigned_scrap).",
    )


class StateInput(_Strict):
    """The machine state signal and how its values read as equipment states."""

    signal: str = Field(min_length=1)
    map: dict[str, EquipmentStatus] = Field(
        default_factory=dict,
        description="Signal value (as text: 6, true, EXECUTE) -> state. Values that are state names "
        "(running, down, ...) need no entry; other values are counted as unknown and ignored.",
    )


class ReasonInput(_Strict):
    signal: str = Field(min_length=1, description="Signal carrying the stop reason code.")
    ignore: list[str] = Field(default_factory=lambda: ["", "0"], description="Codes meaning 'no reason'.")


class DowntimeRule(_Rule):
    """Downtime periods (start and end, reason, duration) -> EquipmentState events."""

    kind: Literal["downtime"]
    state: StateInput
    reason: ReasonInput | None = None
    downtime_states: list[EquipmentStatus] = Field(
        default_factory=lambda: [EquipmentStatus.down], min_length=1, description="States that are downtime."
    )
    min_duration: Duration = Field(default=0, description="Shorter downtimes are flickers and ignored.")
    min_up: Duration | None = Field(
        default=None,
        description="A return to a non-downtime state shorter than this does not end the downtime "
        "(default: min_duration).",
    )


class BatchInput(_Strict):
    signal: str = Field(min_length=1, description="Signal carrying the batch / lot id being produced.")
    item_signal: str | None = Field(default=None, description="Signal carrying the item (GTIN), if any.")


class ExcursionRule(_Rule):
    """A process parameter outside its limits for at least `min_duration` -> an EPCIS ObjectEvent with sensor
    data on the batch being produced."""

    kind: Literal["excursion"]
    signal: str = Field(min_length=1, description="The process parameter, e.g. Kettle/Temperature.")
    low: float | None = Field(default=None, description="Lower limit (a value below it is outside).")
    high: float | None = Field(default=None, description="Upper limit (a value above it is outside).")
    min_duration: Duration = Field(default=0, description="Shorter excursions are ignored (counted).")
    measurement: str = Field(
        default="Temperature", min_length=1, description="GS1 measurement type (CBV MT-...): Temperature."
    )
    uom: str | None = Field(default=None, pattern=r"^[A-Z0-9]{2,3}$", description="UN/ECE unit, e.g. CEL.")
    batch: BatchInput | None = Field(default=None, description="Where the batch being produced comes from.")
    identifier: str | None = Field(
        default=None,
        description="Template of the batch's identifier: an EPC class (urn:epc:class:lgtin:...) goes in "
        "quantityList, an instance (urn:epc:id:...) in epcList. Placeholders {batch}, {item}, {equipment}.",
    )
    read_point: str = Field(min_length=1, description="readPoint id of the line (SGLN or URI).")
    biz_location: str | None = Field(default=None, description="bizLocation id, if any.")
    biz_step: str = Field(default="sensor_reporting", description="CBV business step of the events.")
    disposition: str | None = Field(default=None, description="CBV disposition of the events, if any.")
    device_id: str | None = Field(default=None, description="sensorMetadata deviceID (a URI), if any.")
    time_zone_offset: str = Field(default="+00:00", pattern=r"^[+-]\d\d:\d\d$")

    @field_validator("measurement")
    @classmethod
    def _bare(cls, value: str) -> str:
        return value.removeprefix("gs1:").removeprefix("MT-")

    @model_validator(mode="after")
    def _consistent(self) -> ExcursionRule:
        if self.low is None and self.high is None:
            raise ValueError("give `low`, `high` or both")
        if self.low is not None and self.high is not None and self.low >= self.high:
            raise ValueError(f"low ({self.low}) must be below high ({self.high})")
        if (self.batch is None) != (self.identifier is None):
            raise ValueError("`batch` and `identifier` go together")
        if self.identifier is not None:
            names = {
                field for _, field, _, _ in string.Formatter().parse(self.identifier) if field is not None
            }
            unknown = names - _PLACEHOLDERS
            if unknown:
                raise ValueError(
                    f"identifier: unknown placeholder(s) {sorted(unknown)} (use batch, item, equipment)"
                )
            if "item" in names and (self.batch is None or self.batch.item_signal is None):
                raise ValueError("identifier uses {item}: set batch.item_signal")
        return self


RuleSpec = Annotated[CountsRule | DowntimeRule | ExcursionRule, Field(discriminator="kind")]
_KINDS = ("counts", "downtime", "excursion")


class RulesFile(_Strict):
    """A telemetry rules file."""

    telemetry: str = Field(pattern=_NAME, description="The rule set's name (the events' CloudEvents source).")
    version: int | str = Field(description="Version of this file, bumped on every change.")
    description: str | None = None
    plant: str | None = Field(default=None, description="Plant of the operational events.")
    lateness: Duration = Field(
        default=0,
        description="On a tick at time T, intervals and debounces close up to T minus this (late samples).",
    )
    inputs: InputOptions = InputOptions()
    rules: list[RuleSpec] = Field(min_length=1)

    @field_validator("rules")
    @classmethod
    def _unique(cls, rules: list[RuleSpec]) -> list[RuleSpec]:
        names = [rule.name for rule in rules]
        if len(set(names)) != len(names):
            raise ValueError(f"rule names must be unique: {names}")
        return rules


def validate_rules(raw: Any, file: str) -> RulesFile:
    """The validated rules, or a MappingError at the first offending field's file:line:column."""
    if not isinstance(raw, dict):
        raise MappingError(f"{file}:1:1: a rules file is a YAML mapping (telemetry:, version:, rules:)")
    try:
        return RulesFile.model_validate(raw)
    except pydantic.ValidationError as exc:
        error = exc.errors()[0]
        path = _path(raw, [step for step in error["loc"] if isinstance(step, str | int)])
        if error["type"] == "union_tag_invalid":
            path.append("kind")
        where = locate(raw, path)
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = "unknown field"
        elif error["type"] == "missing":
            message = "required field is missing"
        elif error["type"] in ("union_tag_invalid", "union_tag_not_found"):
            message = f"`kind` is one of {', '.join(_KINDS)}"
        field = field_path(path) or "(file)"
        location = str(where) if where else f"{file}:1:1"
        raise MappingError(f"{location}: field {field}: {message}", field=field, location=location) from None


def _path(raw: Any, loc: list[str | int]) -> list[str | int]:
    """pydantic's error path without the steps it adds (union tags, member types), walking the YAML tree."""
    out: list[str | int] = []
    node = raw
    for index, step in enumerate(loc):
        if isinstance(node, dict) and isinstance(step, str) and step not in node and _added(step, loc, index):
            continue
        out.append(step)
        if isinstance(node, dict) and isinstance(step, str):
            node = node.get(step)
        elif isinstance(node, list) and isinstance(step, int) and 0 <= step < len(node):
            node = node[step]
        else:
            node = None
    return out


def _added(step: str, loc: list[str | int], index: int) -> bool:
    """A step of pydantic's path absent from the YAML: a union tag or member type, or a missing field's parent."""
    return step in _KINDS or "[" in step or step in ("str", "int", "float") or index < len(loc) - 1
