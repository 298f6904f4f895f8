"""A run of consecutive buckets packed into one compact BLOB, and back, losslessly.

A chunk is what the ``chunks`` table (:mod:`exporter.store.file_format`) keeps of a
selector's sealed buckets. Its BLOB is zlib-compressed; inside, little-endian:

::

    kind        1 byte   0: whole numbers, 1: any floats
    n           uint32   buckets in the chunk (at least 1)
    first_end   int64    end of the first bucket
    base        float64  kind 0: the level before the first bucket (a whole number)
    codes       3 bytes  array typecodes (b, h, i or q; d for floats) of the three arrays
    steps       n - 1    end of each bucket after the first minus the end before it
    widths      n        end - start of each bucket
    events      n        kind 0: each bucket's events as integers; kind 1: float64
    levels      n        kind 1 only: each bucket's cumulative level, float64

In kind 0 the levels are ``base`` plus the running sum of the events, computed in
integers (exact below 2**53). Each array takes the narrowest signed type that holds its
values, and zlib shrinks the regular ones (steps and widths of a tier are mostly one
number) to almost nothing: a 30 s fine bucket of whole events costs about 1 to 2 bytes.
Kind 0 is chosen only when decoding gives back every level exactly (the events and
levels are whole numbers below 2**53 and each level is the one before plus the events),
else kind 1 keeps the floats as they are: no number ever changes by being packed.
"""

from __future__ import annotations

import struct
import sys
import zlib
from array import array
from bisect import bisect_left
from collections.abc import Sequence
from itertools import accumulate, islice, pairwise
from operator import sub
from typing import Any

Row = tuple[int, int, float, float]
"""A bucket as ``(start, end, events, cumulative level at its end)``."""

_HEAD = struct.Struct("<BIqd3s")
_WHOLE, _FLOATS = 0, 1
_EXACT = 2**53
_INT_CODES = (("b", 2**7), ("h", 2**15), ("i", 2**31), ("q", 2**63))


def _narrowest(values: Sequence[int]) -> str:
    """The narrowest signed typecode that holds every value."""
    if not values:
        return "b"
    top = max(*values, -min(values) - 1)
    return next(code for code, bound in _INT_CODES if top < bound)


def _bytes(code: str, values: Sequence[float]) -> bytes:
    packed = array(code, values)
    if sys.byteorder == "big":
        packed.byteswap()
    return packed.tobytes()


def _array(code: str, data: bytes, offset: int, n: int) -> tuple[array[Any], int]:
    out: array[Any] = array(code)
    size = out.itemsize * n
    out.frombytes(data[offset : offset + size])
    if sys.byteorder == "big":
        out.byteswap()
    return out, offset + size


def _whole(rows: Sequence[Row]) -> tuple[int, list[int]] | None:
    """``(base, events)`` as integers when the rows are whole numbers whose levels are
    the base plus the running sum of the events (what :func:`decode` gives back); None
    otherwise."""
    events = [r[2] for r in rows]
    levels = [r[3] for r in rows]
    if not all(map(float.is_integer, events)) or not all(map(float.is_integer, levels)):
        return None
    if max(map(abs, events)) >= _EXACT or max(map(abs, levels)) >= _EXACT:
        return None
    whole = list(map(int, events))
    base = int(levels[0]) - whole[0]
    if [float(base + c) for c in accumulate(whole)] != levels:
        return None
    return base, whole


def encode(rows: Sequence[Row]) -> bytes:
    """The BLOB of ``rows``: consecutive buckets, oldest first, at least one."""
    ends = [r[1] for r in rows]
    steps = [b - a for a, b in pairwise(ends)]
    widths = [r[1] - r[0] for r in rows]
    whole = _whole(rows)
    kind, base = (_WHOLE, whole[0]) if whole is not None else (_FLOATS, 0)
    event_code = _narrowest(whole[1]) if whole is not None else "d"
    codes = (_narrowest(steps) + _narrowest(widths) + event_code).encode()
    parts = [
        _HEAD.pack(kind, len(rows), ends[0], float(base), codes),
        _bytes(codes[:1].decode(), steps),
        _bytes(codes[1:2].decode(), widths),
    ]
    if whole is not None:
        parts.append(_bytes(event_code, whole[1]))
    else:
        parts += [_bytes("d", [r[2] for r in rows]), _bytes("d", [r[3] for r in rows])]
    return zlib.compress(b"".join(parts), 6)


def decode(blob: bytes, since: int | None = None, limit: int | None = None) -> list[Row]:
    """The buckets a BLOB of :func:`encode` holds, oldest first; with ``since``, only
    those from the first ending at or after it, at most ``limit`` of them (a read at an
    edge builds no more than it needs)."""
    data = zlib.decompress(blob)
    kind, n, first_end, base, raw_codes = _HEAD.unpack_from(data)
    codes = raw_codes.decode()
    offset = _HEAD.size
    steps, offset = _array(codes[0], data, offset, n - 1)
    widths, offset = _array(codes[1], data, offset, n)
    events, offset = _array(codes[2], data, offset, n)
    ends = list(accumulate(steps, initial=first_end))
    i = 0 if since is None else bisect_left(ends, since)
    j = n if limit is None else min(n, i + limit)
    if kind == _WHOLE:
        start = int(base)
        levels: list[float] = [float(start + c) for c in islice(accumulate(events), i, j)]
    else:
        levels = list(_array("d", data, offset, n)[0][i:j])
    return list(
        zip(
            map(sub, ends[i:j], widths[i:j]),
            ends[i:j],
            map(float, events[i:j]),
            levels,
            strict=True,
        )
    )
