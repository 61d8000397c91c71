"""A chunk of records and their account links as PostgreSQL binary ``COPY`` data, built in
one call of the C accelerator (``pg_copy_records`` / ``pg_copy_links`` in
``anchor/core/_native/_pgcopy.h``) instead of psycopg's ``write_row`` per row.

Why by hand: psycopg encodes each row in its own call, ~1.9 µs of the interpreter's time a
record row (scripts/bench_ingest.py's PostgreSQL load), and ingest's validating thread waits
for the interpreter lock meanwhile; the rows here are fixed in shape (the columns and types
of ``records`` and ``record_accounts`` the migrations create), so one pass over the chunk
writes them. The format: PostgreSQL's documentation, "COPY", binary format -- an 11-byte
signature, a 32-bit flags field and a 32-bit header extension length, then per row a 16-bit
field count and each field as a 32-bit length and its bytes (integers big-endian,
``timestamptz`` as microseconds since 2000-01-01 UTC), then a 16-bit -1.

:func:`chunk_rows` returns ``None`` when the accelerator is not built (the caller then
writes row by row); :func:`rows_py` is its pure twin, which the tests hold the C to, byte
for byte.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Final

from anchor.core.native import native
from anchor.core.prepare import Prepared

SIGNATURE: Final = b"PGCOPY\n\xff\r\n\x00" + bytes(8)  # no flags, no header extension
TRAILER: Final = b"\xff\xff"
_EPOCH: Final = datetime(2000, 1, 1, tzinfo=UTC)


def stamp(when: datetime) -> bytes:
    """A ``timestamptz`` field's 8 bytes (an aware ``when``)."""
    return struct.pack("!q", (when - _EPOCH) // timedelta(microseconds=1))


def chunk_rows(
    batch: list[Prepared], seq0: int, leaves: bytes, at: bytes
) -> tuple[bytes, bytes] | None:
    """(``records`` rows, ``record_accounts`` rows) of ``batch`` (seqs from ``seq0``, leaf
    ``i`` at ``leaves[32i:32i+32]``, ``at``: :func:`stamp` of the load's time), or None
    without the accelerator."""
    mod = native()
    if mod is None:
        return None
    return mod.pg_copy_records(batch, seq0, leaves, at), mod.pg_copy_links(batch, seq0)


def rows_py(batch: Sequence[Prepared], seq0: int, leaves: bytes, at: bytes) -> tuple[bytes, bytes]:
    """(records rows, links rows) in pure Python: the reference for the accelerator."""
    records, links = [], []
    for i, p in enumerate(batch):
        seq = seq0 + i
        fields = [
            struct.pack("!q", seq),
            p[1].encode(),
            p[2].encode(),
            struct.pack("!i", p[3]),
            p[4].encode(),
            p[5],
            leaves[32 * i : 32 * i + 32],
            at,
        ]
        records.append(struct.pack("!h", 8) + b"".join(_field(f) for f in fields))
        for account in p[6]:
            links.append(struct.pack("!h", 2) + _field(account.encode()) + _field(fields[0]))
    return b"".join(records), b"".join(links)


def _field(data: bytes) -> bytes:
    return struct.pack("!i", len(data)) + data
