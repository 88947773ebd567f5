"""Sparkplug B 3.0 value encodings: which protobuf field carries each datatype, signed integers in unsigned
fields (two's complement), and the packed little-endian arrays of section 6.4.17."""

from __future__ import annotations

import struct
from typing import Any

from lotline.connectors.sparkplug.model import DataType as T

SIGNED_BITS = {T.Int8: 8, T.Int16: 16, T.Int32: 32, T.Int64: 64}
FIELD = {
    **dict.fromkeys((T.Int8, T.Int16, T.Int32, T.UInt8, T.UInt16, T.UInt32), "int_value"),
    **dict.fromkeys((T.Int64, T.UInt64, T.DateTime), "long_value"),
    T.Float: "float_value",
    T.Double: "double_value",
    T.Boolean: "boolean_value",
    **dict.fromkeys((T.String, T.Text, T.UUID), "string_value"),
    **dict.fromkeys((T.Bytes, T.File), "bytes_value"),
    T.DataSet: "dataset_value",
    T.Template: "template_value",
    T.PropertySet: "propertyset_value",
    T.PropertySetList: "propertysets_value",
}
PACKED = {  # array datatype -> struct format of one element (little-endian)
    T.Int8Array: "b",
    T.Int16Array: "h",
    T.Int32Array: "i",
    T.Int64Array: "q",
    T.UInt8Array: "B",
    T.UInt16Array: "H",
    T.UInt32Array: "I",
    T.UInt64Array: "Q",
    T.FloatArray: "f",
    T.DoubleArray: "d",
    T.DateTimeArray: "q",
}
ARRAYS = frozenset({*PACKED, T.BooleanArray, T.StringArray})


def field_for(datatype: T) -> str:
    """The protobuf `oneof value` field that carries a value of this datatype."""
    if datatype in ARRAYS:
        return "bytes_value"
    try:
        return FIELD[datatype]
    except KeyError:
        raise ValueError(f"datatype {datatype.name} has no value field") from None


def to_wire(value: Any, datatype: T) -> Any:
    """A Python value as the raw content of `field_for(datatype)`."""
    if datatype in SIGNED_BITS:
        return int(value) & ((1 << SIGNED_BITS[datatype]) - 1)
    if datatype in PACKED:
        return struct.pack(f"<{len(value)}{PACKED[datatype]}", *value)
    if datatype == T.BooleanArray:
        bits = bytearray((len(value) + 7) // 8)
        for i, flag in enumerate(value):
            if flag:
                bits[i // 8] |= 0x80 >> (i % 8)
        return struct.pack("<I", len(value)) + bytes(bits)
    if datatype == T.StringArray:
        return b"".join(s.encode() + b"\0" for s in value)
    return value


def from_wire(raw: Any, datatype: T) -> Any:
    """The Python value of raw wire content of a known datatype (signed ints accept both 32-bit and narrow
    two's complement, as the Java and Python reference implementations differ)."""
    if datatype in SIGNED_BITS:
        bits = SIGNED_BITS[datatype]
        v = int(raw) & ((1 << bits) - 1)
        return v - (1 << bits) if v >= 1 << (bits - 1) else v
    if datatype in PACKED:
        size = struct.calcsize(PACKED[datatype])
        if len(raw) % size:
            raise ValueError(f"{datatype.name}: {len(raw)} bytes is not a whole number of elements")
        return list(struct.unpack(f"<{len(raw) // size}{PACKED[datatype]}", raw))
    if datatype == T.BooleanArray:
        if len(raw) < 4:
            raise ValueError("BooleanArray: shorter than its 4-byte count")
        (count,) = struct.unpack_from("<I", raw)
        if len(raw) < 4 + (count + 7) // 8:
            raise ValueError(f"BooleanArray: {count} values announced, fewer present")
        return [bool(raw[4 + i // 8] & (0x80 >> (i % 8))) for i in range(count)]
    if datatype == T.StringArray:
        data = bytes(raw)
        return [s.decode() for s in data.split(b"\0")[:-1]] if data else []
    return raw
