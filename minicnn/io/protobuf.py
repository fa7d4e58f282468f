"""A minimal reader for the protobuf wire format: enough to read a .caffemodel without Caffe.

A message is a sequence of (field number, wire type, value) records. This reader returns
{field number: [values]}: ints for varints, raw bytes for length-delimited fields (strings,
nested messages, packed arrays) and for fixed 32/64-bit fields. What the bytes mean is up to
the caller, who knows the schema (caffe.py).
"""
from ..errors import FormatError


def _varint(buf, pos):
    result, shift = 0, 0
    while True:
        if pos >= len(buf):
            raise FormatError("truncated varint")
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7
        if shift > 63:
            raise FormatError("varint longer than 10 bytes")


def fields(buf):
    """Decode one message: {field number: [values in order]}."""
    out, pos, end = {}, 0, len(buf)
    while pos < end:
        key, pos = _varint(buf, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _varint(buf, pos)
        elif wire == 1:
            value, pos = buf[pos:pos + 8], pos + 8
        elif wire == 2:
            n, pos = _varint(buf, pos)
            value, pos = buf[pos:pos + n], pos + n
        elif wire == 5:
            value, pos = buf[pos:pos + 4], pos + 4
        else:
            raise FormatError(f"unsupported wire type {wire} for field {number}")
        if pos > end:
            raise FormatError(f"field {number} runs past the end of the message (truncated file?)")
        out.setdefault(number, []).append(value)
    return out


def packed_varints(values):
    """Repeated integers, whether written packed (bytes) or one record each (ints)."""
    result = []
    for v in values:
        if isinstance(v, int):
            result.append(v)
        else:
            pos = 0
            v = bytes(v)
            while pos < len(v):
                n, pos = _varint(v, pos)
                result.append(n)
    return result


def string(values, default=""):
    return bytes(values[-1]).decode("utf-8") if values else default
