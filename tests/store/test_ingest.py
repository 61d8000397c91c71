"""Ingest through the Python API on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import signal
from collections.abc import Callable

import pytest
import sqlalchemy as sa

from anchor.core.records import account_commitment, encode_leaf, leaf_hash, parse_record
from anchor.errors import ConflictError, RecordError
from anchor.service.ingest import ingest, ingest_one
from anchor.store import queries
from anchor.store.db import Database
from tests.store.crash_worker import spawn
from tests.store.sample import balance, lines, mixed, trade


def _count(db: Database, table: str) -> int:
    with db.connect(write=False) as conn:
        return int(conn.execute(sa.text(f"SELECT COUNT(*) FROM {table}")).scalar_one())


def test_ingest_assigns_seqs_and_stores_canonical(db: Database) -> None:
    records = mixed(30)
    result = ingest(db, lines(records))
    assert (result.accepted, result.duplicates, result.first_seq, result.last_seq) == (30, 0, 1, 30)
    assert _count(db, "records") == 30
    for seq, raw in enumerate(records, 1):
        stored = queries.get_record(db, raw["record_id"])
        assert stored is not None and stored.seq == seq
        assert stored.canonical.encode() == parse_record(raw).canonical_json()
    # a second load continues the sequence
    more = ingest(db, [json.dumps(balance(1000))])
    assert (more.first_seq, more.last_seq) == (31, 31)


def test_leaf_and_accounts(db: Database) -> None:
    ingest(db, [trade(1, buyer="alice", seller="bob"), balance(2, account="alice")])
    alice = queries.get_account(db, "alice")
    bob = queries.get_account(db, "bob")
    assert alice is not None and bob is not None
    assert len(alice.salt) == 32 and alice.salt != bob.salt
    assert alice.commitment == account_commitment("alice", alice.salt)
    assert _count(db, "accounts") == 2  # alice seen twice, salted once
    commitments = {"alice": alice.commitment, "bob": bob.commitment}
    for seq, rid in ((1, "trd-1"), (2, "bal-2")):
        stored = queries.get_record(db, rid)
        assert stored is not None
        expected = leaf_hash(encode_leaf(parse_record(stored.canonical), seq, commitments))
        assert stored.leaf == expected
    assert _linked(db, "alice") == ["trd-1", "bal-2"]
    assert _linked(db, "bob") == ["trd-1"]


def _linked(db: Database, account_id: str) -> list[str]:
    """The record ids linked to ``account_id``, in seq order."""
    with db.connect(write=False) as conn:
        rows = conn.execute(
            sa.text(
                "SELECT r.record_id FROM record_accounts ra JOIN records r ON r.seq = ra.seq"
                " WHERE ra.account_id = :a ORDER BY r.seq"
            ),
            {"a": account_id},
        ).all()
    return [str(r.record_id) for r in rows]


def test_same_content_is_a_duplicate(db: Database) -> None:
    records = mixed(10)
    ingest(db, lines(records))
    # same records, keys in another order and an integer spelled as a JSON number
    reordered = [dict(reversed(list(r.items()))) for r in records]
    reordered[0]["ts_ns"] = int(reordered[0]["ts_ns"])
    again = ingest(db, reordered)
    assert (again.accepted, again.duplicates, again.first_seq) == (0, 10, None)
    assert _count(db, "records") == 10
    one = ingest_one(db, records[3])
    assert (one.accepted, one.duplicates) == (0, 1)


def test_duplicate_inside_one_load(db: Database) -> None:
    result = ingest(db, [balance(1), balance(2), balance(1)])
    assert (result.accepted, result.duplicates) == (2, 1)


def test_conflict_rejects_whole_load(db: Database) -> None:
    ingest(db, [balance(1, available=5)])
    load = [balance(2), balance(3), balance(1, available=6), balance(4)]
    with pytest.raises(ConflictError, match="bal-1") as info:
        ingest(db, load)
    assert "line 3" in str(info.value)
    assert _count(db, "records") == 1
    stored = queries.get_record(db, "bal-1")
    assert stored is not None and '"available":"5"' in stored.canonical


def test_conflict_inside_one_load(db: Database) -> None:
    with pytest.raises(ConflictError, match="bal-7"):
        ingest(db, [balance(7, available=1), balance(8), balance(7, available=2)])
    assert _count(db, "records") == 0
    assert _count(db, "accounts") == 0


@pytest.mark.parametrize("chunk_size", [2, 1000])
def test_bad_line_refuses_whole_load(db: Database, chunk_size: int) -> None:
    bad = balance(5)
    bad["available"] = "1.5"
    items = [
        *lines([balance(i) for i in range(5)]),
        json.dumps(bad).encode(),
        lines([balance(9)])[0],
    ]
    with pytest.raises(RecordError) as info:
        ingest(db, items, chunk_size=chunk_size)
    assert info.value.line == 6 and info.value.field == "available"
    assert "line 6" in str(info.value)
    assert _count(db, "records") == 0 and _count(db, "accounts") == 0


def test_bad_json_line_names_line(db: Database) -> None:
    with pytest.raises(RecordError) as info:
        ingest(db, [lines([balance(1)])[0], b"", b"{not json"])
    assert info.value.line == 3
    assert _count(db, "records") == 0


def test_skip_bad_keeps_good_lines(db: Database) -> None:
    missing = balance(2)
    del missing["asset"]
    items = [*lines([balance(1)]), b"   ", json.dumps(missing).encode(), *lines([balance(3)])]
    result = ingest(db, items, skip_bad=True)
    assert (result.accepted, result.first_seq, result.last_seq) == (2, 1, 2)
    assert [(b.line, b.field) for b in result.rejected] == [(3, "asset")]
    assert _count(db, "records") == 2


def test_empty_load(db: Database) -> None:
    result = ingest(db, [])
    assert (result.accepted, result.duplicates, result.first_seq, result.last_seq) == (
        0,
        0,
        None,
        None,
    )


def test_kill_mid_load_leaves_nothing(db_url: str) -> None:
    Database.open(db_url).close()
    proc = spawn("ingest", db_url, "20000")
    try:
        assert proc.stdout is not None
        seen = 0
        for line in proc.stdout:
            if line.startswith("progress"):
                seen = int(line.split()[1])
                if seen >= 2000:
                    break
        assert seen >= 2000, "worker never reported progress"
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait(timeout=30)
    db = Database.open(db_url)
    try:
        assert _count(db, "records") == 0
        assert _count(db, "accounts") == 0
        # and the store is usable afterwards
        assert ingest(db, [balance(1)]).first_seq == 1
    finally:
        db.close()


def test_worker_processes_give_the_same_store(make_db_url: Callable[[str], str]) -> None:
    records = mixed(700)
    bad = balance(9999)
    bad["asset"] = ""
    items = [*lines(records[:400]), json.dumps(bad).encode(), *lines(records[400:])]
    results = []
    for workers in (1, 2):
        db = Database.open(make_db_url("sqlite"))
        try:
            result = ingest(db, items, workers=workers, chunk_size=64, skip_bad=True)
            with db.connect(write=False) as conn:
                rows = conn.execute(
                    sa.text("SELECT seq, record_id, canonical FROM records ORDER BY seq")
                ).all()
                salts = dict(conn.execute(sa.text("SELECT account_id, salt FROM accounts")).all())
                leaves = [
                    bytes(r[0])
                    for r in conn.execute(sa.text("SELECT leaf FROM records ORDER BY seq"))
                ]
            commitments = {a: account_commitment(a, bytes(s)) for a, s in salts.items()}
            for (seq, _rid, canonical), leaf in zip(rows, leaves, strict=True):
                assert leaf == leaf_hash(encode_leaf(parse_record(canonical), seq, commitments))
            results.append(
                (result.accepted, [b.line for b in result.rejected], [tuple(r) for r in rows])
            )
        finally:
            db.close()
    assert results[0] == results[1]
    assert results[0][0] == 700 and results[0][1] == [401]


def test_worker_processes_report_bad_line(sqlite_url: str) -> None:
    bad = balance(5)
    bad["kind"] = "nope"
    items = [*lines([balance(i) for i in range(300)]), json.dumps(bad).encode()]
    db = Database.open(sqlite_url)
    try:
        with pytest.raises(RecordError) as info:
            ingest(db, items, workers=2, chunk_size=50)
        assert (info.value.line, info.value.field) == (301, "kind")
        assert _count(db, "records") == 0
    finally:
        db.close()


def test_same_account_twice_in_one_record(db: Database) -> None:
    ingest(db, [trade(1, buyer="carol", seller="carol")])
    carol = queries.get_account(db, "carol")
    stored = queries.get_record(db, "trd-1")
    assert carol is not None and stored is not None
    expected = encode_leaf(parse_record(stored.canonical), 1, {"carol": carol.commitment})
    assert stored.leaf == leaf_hash(expected)
