"""PostgreSQL COPY rows built by the C accelerator (anchor.store.pg_copy): byte for byte the
pure twin's, for the core's own prepared records and at the edges; anything else refused
with an error, never written half. (Run under ASan + UBSan by scripts/check_native.sh.)"""

from __future__ import annotations

import os
import struct
from datetime import UTC, datetime
from typing import Any

import pytest

from anchor.core.prepare import Prepared, prepare_records
from anchor.core.samples import sample_record_objs
from anchor.store import pg_copy
from tests.core.accel import needs_native

pytestmark = needs_native

AT = pg_copy.stamp(datetime(2026, 11, 27, 18, 30, 1, 250_001, tzinfo=UTC))


def _prepared(n: int, seed: int = 3) -> list[Prepared]:
    out = prepare_records(sample_record_objs(n, seed))
    assert all(type(p) is tuple for p in out)
    return out  # type: ignore[return-value]


def _native(batch: list[Any], seq0: int, leaves: bytes) -> tuple[bytes, bytes]:
    rows = pg_copy.chunk_rows(batch, seq0, leaves, AT)
    assert rows is not None
    return rows


def test_stamp_is_microseconds_since_2000() -> None:
    assert pg_copy.stamp(datetime(2000, 1, 1, tzinfo=UTC)) == bytes(8)
    assert struct.unpack("!q", pg_copy.stamp(datetime(1999, 12, 31, 23, 59, 59, tzinfo=UTC))) == (
        -1_000_000,
    )


@pytest.mark.parametrize(("n", "seq0"), [(0, 1), (1, 1), (500, 7), (64, 2**63 - 65)])
def test_rows_match_the_pure_twin(n: int, seq0: int) -> None:
    batch = _prepared(n)
    leaves = os.urandom(32 * n)
    assert _native(batch, seq0, leaves) == pg_copy.rows_py(batch, seq0, leaves, AT)


def test_edges_match_the_pure_twin() -> None:
    batch = _prepared(3)
    odd = [
        (0, "r-\u00e9\u4e2d", "kind", 2**31 - 1, '{"a":"\u00e9"}', b"\x01" * 32, (), ()),
        (0, "", "", -(2**31), "", bytes(32), ("", "acct-\u00fc", "x" * 300), ()),
    ]
    chunk = [*batch, *odd]
    leaves = bytes(range(256)) * ((32 * len(chunk)) // 256 + 1)
    leaves = leaves[: 32 * len(chunk)]
    assert _native(chunk, 1, leaves) == pg_copy.rows_py(chunk, 1, leaves, AT)


@pytest.mark.parametrize(
    "bad",
    [
        (0, 5, "kind", 1, "{}", bytes(32), (), ()),  # record id not str
        (0, "r", "kind", 1.0, "{}", bytes(32), (), ()),  # version not int
        (0, "r", "kind", 2**31, "{}", bytes(32), (), ()),  # version beyond int4
        (0, "r", "kind", 1, "{}", bytes(31), (), ()),  # hash not 32 bytes
        (0, "r", "kind", 1, b"{}", bytes(32), (), ()),  # canonical not str
        (0, "r", "kind", 1, "{}", bytes(32), ["a"], ()),  # accounts not a tuple
        (0, "r", "kind", 1, "{}", bytes(32), (7,), ()),  # an account not str
        (0, "r", "kind", 1, "{}", bytes(32)),  # too short
        "not a tuple",
        (0, "\ud800", "kind", 1, "{}", bytes(32), (), ()),  # not encodable as UTF-8
    ],
)
def test_malformed_records_are_refused(bad: Any) -> None:
    batch = [*_prepared(2), bad]
    leaves = bytes(32 * len(batch))
    with pytest.raises((TypeError, ValueError, UnicodeEncodeError)):
        _native(batch, 1, leaves)


@pytest.mark.parametrize(
    ("leaves", "at", "seq0"),
    [(bytes(31), AT, 1), (bytes(32), AT[:7], 1), (bytes(32), AT, -1), (bytes(32), AT, 2**63 - 1)],
)
def test_leaves_stamp_and_seqs_checked(leaves: bytes, at: bytes, seq0: int) -> None:
    with pytest.raises(ValueError):
        pg_copy.chunk_rows(_prepared(1), seq0, leaves, at)
