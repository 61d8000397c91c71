"""The two-thread bulk load (anchor.service.ingest, ingest_load, ingest_prepare): chunk k+1 is validated, and its leaves
and SQLite payload computed, on a thread while chunk k is written. What that thread computes
ahead must never end up in the store when it no longer holds, errors on either side must
stop both, and SQLite's one-statement chunks must store exactly what row-by-row inserts do.
"""

from __future__ import annotations

import gc
import json
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from anchor.errors import RecordError
from anchor.service import ingest_load, ingest_prepare
from anchor.service.ingest import ingest
from anchor.store import record_writer
from anchor.store.db import Database
from tests.core.accel import needs_native
from tests.store.sample import balance, lines, mixed, trade
from tests.store.test_ingest_fast import _check_leaves, _store


def _prepare_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "anchor-ingest-prepare"]


def test_leaves_computed_ahead_are_used_only_while_they_hold(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Chunks of 50: the first names new accounts (leaves on the database thread), a later
    one has bad lines (skipped: the validating thread's numbering must skip them too), then
    chunks of stored ids (duplicates: every later chunk's assumed seq is wrong, its leaves
    must be recomputed), then new records again. Every stored leaf is checked against the
    core."""
    stored = mixed(60)
    ingest(db, lines(stored))
    computed_on: list[str] = []
    real = ingest_load.leaf_hashes

    def leaf_hashes(*args: Any) -> bytes:
        computed_on.append(threading.current_thread().name)
        return real(*args)

    monkeypatch.setattr(ingest_load, "leaf_hashes", leaf_hashes)
    prepare = ingest_prepare.prepare_chunk

    def slow_prepare(chunk: Any) -> Any:
        # let the database thread take each chunk's new accounts before the next is staged
        time.sleep(0.05)
        return prepare(chunk)

    monkeypatch.setattr(ingest_prepare, "prepare_chunk", slow_prepare)
    items: list[Any] = [*lines(mixed(400)[60:160])]
    items += [b'{"kind":"balance"}', *lines([balance(5000 + i) for i in range(40)]), b"nope"]
    items += lines(stored[:60])  # duplicates
    items += lines([trade(7000 + i, buyer=f"new-{i % 9}") for i in range(130)])
    result = ingest(db, items, chunk_size=50, skip_bad=True)
    assert (result.accepted, result.duplicates) == (100 + 40 + 130, 60)
    assert [b.line for b in result.rejected] == [101, 142]
    assert (result.first_seq, result.last_seq) == (61, 60 + 270)
    rows, salts, links = _store(db)
    assert [r[0] for r in rows] == list(range(1, 331))
    _check_leaves(rows, salts)
    assert len(links) == sum(2 if r[2] == "trade" else 1 for r in rows)
    assert not _prepare_threads()
    # both ways ran: ahead on the validating thread, and again on the caller's
    assert {"anchor-ingest-prepare", threading.current_thread().name} <= set(computed_on)


def test_an_error_of_the_input_reaches_the_caller_and_nothing_is_written(db: Database) -> None:
    ingest(db, lines(mixed(3)))

    def source() -> Iterator[bytes]:
        yield from lines([balance(100 + i) for i in range(230)])
        raise OSError("the input file went away")

    with pytest.raises(OSError, match="went away"):
        ingest(db, source(), chunk_size=50)
    rows, _salts, _links = _store(db)
    assert len(rows) == 3
    assert not _prepare_threads()


def test_a_bad_line_stops_the_validating_thread_early(db: Database) -> None:
    consumed = 0
    total = 50_000

    def source() -> Iterator[bytes]:
        nonlocal consumed
        for i in range(total):
            consumed += 1
            yield b"{" if i == 75 else json.dumps(balance(i)).encode()

    with pytest.raises(RecordError) as err:
        ingest(db, source(), chunk_size=50)
    assert err.value.line == 76
    assert not _prepare_threads()
    assert consumed < total // 10  # the rest of the input was never read
    rows, _salts, _links = _store(db)
    assert rows == []


def test_sqlite_one_statement_chunks_store_what_row_inserts_store(
    make_db_url: Callable[[str], str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Record ids and accounts with quotes and backslashes go through SQLite's JSON
    reading unchanged; versions stay integers, hashes and leaves 32-byte blobs."""
    records = mixed(240)
    for i, r in enumerate(records):
        if i % 7 == 0:
            r["record_id"] = f'q"{i}\\x'
        if r["kind"] == "balance" and i % 5 == 0:
            r["account"] = f'a"{i % 3}\\'
    stores = []
    for one_statement in (True, False):
        monkeypatch.setattr(record_writer, "sqlite_json", lambda v=one_statement: v)
        db = Database.open(make_db_url("sqlite"))
        try:
            result = ingest(db, lines(records), chunk_size=64)
            assert result.accepted == 240
            rows, salts, links = _store(db)
            with db.connect(write=False) as conn:
                types = conn.exec_driver_sql(
                    "SELECT DISTINCT typeof(version), typeof(content_hash), length(leaf),"
                    " typeof(seq) FROM records"
                ).all()
        finally:
            db.close()
        assert types == [("integer", "blob", 32, "integer")]
        _check_leaves(rows, salts)
        assert [r[1] for r in rows] == [r["record_id"] for r in records]
        # salts (so leaves) are random per store: compare everything else
        stores.append(([r[:6] for r in rows], sorted(salts), links))
    assert stores[0] == stores[1]


@needs_native
def test_native_prepared_records_are_not_tracked_by_the_gc() -> None:
    """The native fast path untracks its all-atomic tuples at once (see fp_untrack_atomic):
    a bulk load's records in flight then never reach the GC's older generations."""
    items = lines(mixed(40))
    _count, prepared = ingest_prepare.prepare_chunk((1, items))
    assert len(prepared) == 40
    for p in prepared:
        assert type(p) is tuple
        assert not gc.is_tracked(p)
        assert not gc.is_tracked(p[6]) and not gc.is_tracked(p[7])
    # the same values built in Python are tracked until a collection looks at them
    assert gc.is_tracked(tuple(list(prepared[0])))
