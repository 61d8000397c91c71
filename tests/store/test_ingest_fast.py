"""Bulk ingest on the core's fast path (tests/core/test_prepare.py tests the path itself):
ingest with the accelerator on and off gives the same store; the optimistic write (no id
lookups, savepoint) falls back correctly on duplicates and conflicts; every rejection (and
its message) is the core's.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from anchor.core import native as native_switch
from anchor.core.records import (
    MAX_RECORD_CHARS,
    Record,
    account_commitment,
    encode_leaf,
    leaf_hash,
    parse_record,
)
from anchor.core.samples import sample_record_objs
from anchor.errors import ConflictError, RecordError
from anchor.service.ingest import ingest
from anchor.store.db import Database
from tests.store.sample import balance, lines, mixed


@pytest.fixture
def without_native() -> Iterator[None]:
    native_switch.use_native(False)
    try:
        yield
    finally:
        native_switch.use_native(True)


def _store(db: Database) -> tuple[list[tuple[Any, ...]], dict[str, bytes], list[tuple[Any, ...]]]:
    with db.connect(write=False) as conn:
        rows = [
            (r[0], r[1], r[2], r[3], r[4], bytes(r[5]), bytes(r[6]))
            for r in conn.execute(
                sa.text(
                    "SELECT seq, record_id, kind, version, canonical, content_hash, leaf "
                    "FROM records ORDER BY seq"
                )
            )
        ]
        salts = {
            str(a): bytes(s)
            for a, s in conn.execute(sa.text("SELECT account_id, salt FROM accounts"))
        }
        links = [
            tuple(r)
            for r in conn.execute(
                sa.text("SELECT account_id, seq FROM record_accounts ORDER BY seq, account_id")
            )
        ]
    return rows, salts, links


def _check_leaves(rows: list[tuple[Any, ...]], salts: dict[str, bytes]) -> None:
    commitments = {a: account_commitment(a, s) for a, s in salts.items()}
    for seq, _rid, _kind, _version, canonical, _h, leaf in rows:
        record: Record = parse_record(canonical)
        assert leaf == leaf_hash(encode_leaf(record, seq, commitments))


def test_native_and_pure_python_ingest_store_the_same(
    make_db_url: Callable[[str], str], backend: str
) -> None:
    objs = list(sample_record_objs(900, seed=21, accounts=17))
    items: list[Any] = []
    for i, obj in enumerate(objs):
        # a mix of dicts, compact bytes, spaced str and a few lines only the core reads
        if i % 4 == 0:
            items.append(obj)
        elif i % 4 == 1:
            items.append(json.dumps(obj, separators=(",", ":")).encode())
        elif i % 4 == 2:
            items.append(json.dumps(obj))
        else:
            items.append(json.dumps(obj).replace('"version": 1', '"version": 1 '))
    stores = []
    for enabled in (True, False):
        native_switch.use_native(enabled)
        try:
            db = Database.open(make_db_url(backend))
            try:
                result = ingest(db, items, chunk_size=128)
                assert (result.accepted, result.first_seq, result.last_seq) == (900, 1, 900)
                rows, salts, links = _store(db)
            finally:
                db.close()
        finally:
            native_switch.use_native(True)
        _check_leaves(rows, salts)
        for (_seq, _rid, _k, _v, canonical, _h, _leaf), obj in zip(rows, objs, strict=True):
            assert canonical.encode() == parse_record(obj).canonical_json()
        # salts are random per store: compare everything else
        stores.append(([r[:6] for r in rows], sorted(salts), links))
    assert stores[0] == stores[1]


def test_optimistic_write_falls_back_on_stored_ids(db: Database) -> None:
    first = mixed(300)
    ingest(db, lines(first[:150]), chunk_size=50)
    # chunks: new only (optimistic), then ones meeting stored ids, then new ones again
    result = ingest(db, lines(first), chunk_size=50)
    assert (result.accepted, result.duplicates, result.first_seq, result.last_seq) == (
        150,
        150,
        151,
        300,
    )
    rows, salts, links = _store(db)
    assert [r[1] for r in rows] == [r["record_id"] for r in first]
    assert [r[0] for r in rows] == list(range(1, 301))
    _check_leaves(rows, salts)
    assert len(links) == sum(2 if r["kind"] == "trade" else 1 for r in first)
    # new records after stored ones in the SAME chunk
    more = [balance(1000 + i) for i in range(10)]
    mixed_chunk = [*lines(first[-5:]), *lines(more)]
    again = ingest(db, mixed_chunk, chunk_size=50)
    assert (again.accepted, again.duplicates, again.first_seq) == (10, 5, 301)


def test_conflict_after_optimistic_chunks_names_the_line_and_writes_nothing(
    db: Database,
) -> None:
    ingest(db, [balance(7, available=1)])
    items = [*lines([balance(100 + i) for i in range(120)]), json.dumps(balance(7, available=2))]
    with pytest.raises(ConflictError, match=r"line 121: record 'bal-7'"):
        ingest(db, items, chunk_size=40)
    rows, _salts, _links = _store(db)
    assert [r[1] for r in rows] == ["bal-7"]


def test_conflict_inside_a_chunk_reports_the_core_line(db: Database) -> None:
    ingest(db, [balance(1, available=1)])
    # the same id twice in one chunk, the first with new content: the first is the conflict
    items = [json.dumps(balance(1, available=2)), json.dumps(balance(1, available=1))]
    with pytest.raises(ConflictError, match="line 1: "):
        ingest(db, items)


def test_bad_lines_keep_the_core_messages(db: Database, without_native: None) -> None:
    bad = [
        ('{"kind":"balance","kind":"balance"}', "kind", "duplicate key"),
        (json.dumps(dict(balance(1), available=1.5)), "available", None),
        (json.dumps(dict(balance(1), available="1e3")), "available", None),
        (json.dumps(dict(balance(1), asset="")), "asset", "must not be empty"),
    ]
    for line, field, problem in bad:
        with pytest.raises(RecordError) as info:
            ingest(db, [line])
        expected = pytest.raises(RecordError)
        with expected as ref:
            parse_record(line)
        assert (info.value.field, info.value.problem) == (ref.value.field, ref.value.problem)
        assert info.value.field == field
        if problem is not None:
            assert info.value.problem == problem
        assert info.value.line == 1


@pytest.mark.parametrize("native", [True, False])
def test_size_limit_of_the_core_holds_on_the_fast_path(db: Database, native: bool) -> None:
    line = json.dumps(balance(1))
    padded = line[:-1] + " " * MAX_RECORD_CHARS + "}"
    native_switch.use_native(native)
    try:
        with pytest.raises(RecordError) as info:
            ingest(db, [padded.encode()])
        assert (info.value.field, info.value.line) == ("record", 1)
        assert "too large" in info.value.problem
        at_limit = line[:-1] + " " * (MAX_RECORD_CHARS - len(line)) + "}"
        assert ingest(db, [at_limit]).accepted == 1
    finally:
        native_switch.use_native(True)
