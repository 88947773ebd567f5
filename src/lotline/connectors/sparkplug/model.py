"""Sparkplug B payloads as plain Python values (no protobuf here: `codec` converts to and from the wire)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any


class DataType(IntEnum):
    """Sparkplug B 3.0 data types (the `DataType` enum of sparkplug_b.proto)."""

    Unknown = 0
    Int8 = 1
    Int16 = 2
    Int32 = 3
    Int64 = 4
    UInt8 = 5
    UInt16 = 6
    UInt32 = 7
    UInt64 = 8
    Float = 9
    Double = 10
    Boolean = 11
    String = 12
    DateTime = 13
    Text = 14
    UUID = 15
    DataSet = 16
    Bytes = 17
    File = 18
    Template = 19
    PropertySet = 20
    PropertySetList = 21
    Int8Array = 22
    Int16Array = 23
    Int32Array = 24
    Int64Array = 25
    UInt8Array = 26
    UInt16Array = 27
    UInt32Array = 28
    UInt64Array = 29
    FloatArray = 30
    DoubleArray = 31
    BooleanArray = 32
    StringArray = 33
    DateTimeArray = 34


@dataclass(frozen=True, slots=True)
class Raw:
    """A value whose datatype was not in the message (DATA messages omit it): the protobuf field it came in
    and its raw content. The host application converts it with the datatype learnt from the birth."""

    field: str
    value: Any


@dataclass(frozen=True, slots=True)
class PropertyValue:
    datatype: DataType
    value: Any = None  # PropertySet: Mapping[str, PropertyValue]; PropertySetList: list of those
    is_null: bool = False


@dataclass(frozen=True, slots=True)
class DataSet:
    columns: tuple[str, ...]
    types: tuple[DataType, ...]
    rows: tuple[tuple[Any, ...], ...] = ()


@dataclass(frozen=True, slots=True)
class Template:
    metrics: tuple[Metric, ...] = ()
    version: str | None = None
    template_ref: str | None = None
    is_definition: bool = False
    parameters: Mapping[str, PropertyValue] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Metric:
    """One metric. Births carry name, alias and datatype; data messages often only the alias and the value."""

    name: str | None = None
    alias: int | None = None
    datatype: DataType | None = None
    value: Any = None
    timestamp: int | None = None  # ms since the epoch, UTC
    is_historical: bool = False
    is_transient: bool = False
    is_null: bool = False
    properties: Mapping[str, PropertyValue] | None = None


@dataclass(frozen=True, slots=True)
class Payload:
    timestamp: int | None = None  # ms since the epoch, UTC
    seq: int | None = None
    metrics: tuple[Metric, ...] = ()
    uuid: str | None = None
    body: bytes | None = None

    def metric(self, name: str) -> Metric | None:
        return next((m for m in self.metrics if m.name == name), None)
