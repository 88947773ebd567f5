"""The mapping file format, as pydantic models: the single source for validation and for docs/mapping.md.

A validation error is reported at the file, line and column where the offending field is written (the
YAML tree carries its locations, see `lotline.mapping.source`), with the field's path.
"""

from __future__ import annotations

import re
from typing import Any, Literal

import pydantic
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from lotline.errors import MappingError
from lotline.mapping.source import locate
from lotline.model.operational import OPERATIONAL_EVENTS

__all__ = ["RESERVED_VARS", "Defaults", "MappingFile", "Match", "Output", "field_path", "validate_file"]

_NAME = r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$"
_VAR = r"^[A-Za-z_][A-Za-z0-9_]*$"
OperationalKind = Literal["OrderStatus", "OperationConfirmation", "EquipmentState", "QualityDisposition"]
assert set(OperationalKind.__args__) == set(OPERATIONAL_EVENTS)  # type: ignore[attr-defined]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Match(_Strict):
    """Which messages the mapping takes. Every criterion given must hold; a list means any of them."""

    topic: str | list[str] | None = Field(
        default=None, description="MQTT-style topic filter(s): + one level, # the rest."
    )
    source: str | list[str] | None = Field(default=None, description="Connector name glob(s), e.g. mes-*.")
    when: str | None = Field(
        default=None, description="JSONata predicate on the payload, e.g. type = 'confirmation'."
    )


class Output(_Strict):
    """One rule: produces one event (or one per element of `foreach`) when `when` holds."""

    name: str = Field(pattern=_NAME, description="Unique in the mapping; overrides address outputs by name.")
    when: str | None = Field(default=None, description="JSONata predicate; the output is skipped when false.")
    foreach: str | None = Field(
        default=None, description="JSONata array: one event per element ($each, $index)."
    )
    epcis: dict[str, Any] | None = Field(
        default=None, description="Template of an EPCIS 2.0 event (JSON-LD)."
    )
    operational: OperationalKind | None = Field(default=None, description="Kind of operational event.")
    data: dict[str, Any] | None = Field(
        default=None, description="Template of the operational event's fields."
    )
    subject: str | None = Field(
        default=None, description="Envelope subject (default: the event's own subject field)."
    )
    correlationid: str | None = Field(default=None, description="Envelope correlation id (default: header).")
    remove: bool = Field(default=False, description="In an override: drop the base output of this name.")

    @model_validator(mode="after")
    def _one_kind(self) -> Output:
        if (self.epcis is None) == (self.operational is None):
            raise ValueError("give exactly one of `epcis` (an EPCIS event) or `operational` (with `data`)")
        if self.operational is not None and self.data is None:
            raise ValueError("an operational output needs `data` (the event's fields)")
        if self.epcis is not None and self.data is not None:
            raise ValueError("`data` belongs to operational outputs; put EPCIS fields under `epcis`")
        return self


class Defaults(_Strict):
    """Fields laid under every output's template (the output's own fields win)."""

    epcis: dict[str, Any] = Field(default_factory=dict)
    operational: dict[str, Any] = Field(default_factory=dict)


class MappingFile(_Strict):
    """A mapping file, after `extends` and the selected plant's overrides are merged in."""

    mapping: str = Field(pattern=_NAME, description="The mapping's name (kept in every event's provenance).")
    version: int | str = Field(description="Version of this mapping file, bumped on every change.")
    description: str | None = None
    extends: str | None = Field(
        default=None, description="Base mapping: a path relative to this file, or template:NAME."
    )
    plant: str | None = Field(
        default=None, description="Plant the mapping is for ($plant), unless chosen at load."
    )
    match: Match = Match()
    lookups: dict[str, str] = Field(
        default_factory=dict, description="Master data files by kind (items, locations, ...) and `xref`."
    )
    vars: dict[str, Any] = Field(default_factory=dict, description="Named values, in order: $name.")
    defaults: Defaults = Defaults()
    outputs: list[Output] = Field(min_length=1)
    plants: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="Per-plant overrides, merged in when the mapping is loaded for it."
    )

    @field_validator("outputs")
    @classmethod
    def _unique(cls, outputs: list[Output]) -> list[Output]:
        names = [output.name for output in outputs]
        if len(set(names)) != len(names):
            raise ValueError(f"output names must be unique: {names}")
        return outputs


# Bound by the mapper itself: a variable cannot take these names.
RESERVED_VARS = frozenset(
    {"message", "plant", "each", "index", "item", "location", "party", "master", "xref", "tzOffset"}
)


def field_path(path: tuple[str | int, ...] | list[str | int]) -> str:
    """`outputs[0].epcis.eventTime` from ("outputs", 0, "epcis", "eventTime")."""
    out = ""
    for step in path:
        out += f"[{step}]" if isinstance(step, int) else (f".{step}" if out else str(step))
    return out


def validate_file(raw: Any, file: str) -> MappingFile:
    """The validated mapping, or a MappingError at the first offending field's file:line:column."""
    if not isinstance(raw, dict):
        raise MappingError(f"{file}:1:1: a mapping file is a YAML mapping (mapping:, version:, outputs:)")
    try:
        spec = MappingFile.model_validate(raw)
    except pydantic.ValidationError as exc:
        error = exc.errors()[0]
        path = [step for step in error["loc"] if isinstance(step, str | int)]
        # pydantic adds the member type it tried to the path of a union ("str", "list[str]"): drop them
        while path and isinstance(path[-1], str) and ("[" in path[-1] or path[-1] in ("str", "int")):
            path.pop()
        where = locate(raw, path)
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = f"unknown field (allowed here: {_allowed(raw, path[:-1])})"
        elif error["type"] == "missing":
            message = "required field is missing"
        field = field_path(path) or "(file)"
        location = str(where) if where else f"{file}:1:1"
        raise MappingError(f"{location}: field {field}: {message}", field=field, location=location) from None
    for name in spec.vars:
        if re.fullmatch(_VAR, name) is None or name in RESERVED_VARS:
            where = locate(raw, ["vars", name])
            raise MappingError(
                f"{where}: field vars.{name}: a variable name is a letter or _ then letters, digits or _, "
                f"and not one the mapper binds ({', '.join(sorted(RESERVED_VARS))})",
                field=f"vars.{name}",
                location=str(where),
            )
    return spec


def _allowed(raw: Any, parent: list[str | int]) -> str:
    model: type[BaseModel] = MappingFile
    for step in parent:
        if step == "match":
            model = Match
        elif step == "defaults":
            model = Defaults
        elif step == "outputs":
            model = Output
    return ", ".join(model.model_fields)
