"""Sealing and proof reads on SQLite and PostgreSQL."""

from __future__ import annotations

import math
import random
import signal
import threading

import pytest
import sqlalchemy as sa

from anchor.core.merkle import MerkleTree, process_proof, verify_proof
from anchor.core.native import native_available, use_native
from anchor.core.records import account_commitment, encode_leaf, leaf_hash, parse_record
from anchor.errors import NotFoundError
from anchor.service.ingest import ingest
from anchor.service.seal import NotSealedError, get_proof_material, seal
from anchor.store import queries
from anchor.store.db import Database
from anchor.store.models import BatchState
from tests.fixtures.threads import run_in_threads
from tests.store.crash_worker import spawn
from tests.store.sample import balance, lines, mixed


def _fresh_leaves(db: Database, first: int, last: int) -> list[bytes]:
    """Leaves recomputed from the stored canonical records and salts (not the stored leaves)."""
    with db.connect(write=False) as conn:
        salts = {
            a: bytes(s) for a, s in conn.execute(sa.text("SELECT account_id, salt FROM accounts"))
        }
        rows = conn.execute(
            sa.text("SELECT seq, canonical FROM records WHERE seq BETWEEN :a AND :b ORDER BY seq"),
            {"a": first, "b": last},
        ).all()
    commitments = {a: account_commitment(a, s) for a, s in salts.items()}
    return [leaf_hash(encode_leaf(parse_record(c), int(seq), commitments)) for seq, c in rows]


def test_nothing_pending(db: Database) -> None:
    assert seal(db) is None
    ingest(db, lines(mixed(5)))
    assert seal(db) is not None
    assert seal(db) is None


def test_seal_matches_fresh_build_and_proofs_verify(db: Database) -> None:
    ingest(db, lines(mixed(300)))
    b1 = seal(db, max_records=120, chunk_nodes=8)
    b2 = seal(db)
    assert b1 is not None and b2 is not None
    assert (b1.id, b1.first_seq, b1.last_seq, b1.leaf_count) == (1, 1, 120, 120)
    assert (b2.id, b2.first_seq, b2.last_seq, b2.leaf_count) == (2, 121, 300, 180)
    assert b1.state == BatchState.SEALED
    for batch in (b1, b2):
        fresh = MerkleTree.from_leaves(_fresh_leaves(db, batch.first_seq, batch.last_seq))
        assert fresh.root == batch.root
        stored = queries.get_batch(db, batch.id)
        assert stored is not None and stored.root == batch.root
    assert queries.pending_count(db) == 0
    for i in range(300):
        rid = f"trd-{i}" if i % 3 == 0 else f"bal-{i}"
        m = get_proof_material(db, rid)
        batch = b1 if m.seq <= 120 else b2
        assert m.batch.id == batch.id and m.seq == i + 1
        assert verify_proof(batch.root, m.leaf, list(m.proof))
        assert m.salts == {}  # nothing secret unless asked for
        assert set(m.commitments) == set(m.record.accounts())


def test_proof_salts_only_for_requested_accounts(db: Database) -> None:
    ingest(db, lines(mixed(3)))  # trd-0 between acct-0 and acct-1
    seal(db)
    m = get_proof_material(db, "trd-0", salts_for=["acct-0", "acct-99"])
    assert set(m.salts) == {"acct-0"}
    assert account_commitment("acct-0", m.salts["acct-0"]) == m.commitments["acct-0"]
    assert set(get_proof_material(db, "trd-0", salts_for="all").salts) == {"acct-0", "acct-1"}


def test_proof_reads_log_n_chunks(db: Database) -> None:
    n = 2000
    ingest(db, lines([balance(i) for i in range(n)]))
    batch = seal(db, chunk_nodes=4)
    assert batch is not None
    total_chunks = math.ceil((2 * n - 1) / 4)
    bound = 2 * math.ceil(math.log2(n)) + 2
    for i in random.Random(7).sample(range(n), 25):
        m = get_proof_material(db, f"bal-{i}")
        assert process_proof(m.leaf, m.proof) == batch.root
        assert m.chunk_reads <= bound < total_chunks


def test_unknown_and_unsealed(db: Database) -> None:
    with pytest.raises(NotFoundError):
        get_proof_material(db, "nope")
    ingest(db, [balance(1)])
    with pytest.raises(NotSealedError):
        get_proof_material(db, "bal-1")
    seal(db)
    m = get_proof_material(db, "bal-1")
    assert m.proof == () and m.leaf == m.batch.root  # one-leaf tree: root is the leaf


def test_concurrent_seals_never_share_records(db_url: str) -> None:
    base = Database.open(db_url)
    ingest(base, lines(mixed(1200)))
    dbs = [Database(db_url) for _ in range(4)]
    errors: list[BaseException] = []

    def worker(d: Database) -> None:
        try:
            while seal(d, max_records=100, chunk_nodes=16) is not None:
                pass
        except BaseException as exc:
            errors.append(exc)

    run_in_threads(worker, [(d,) for d in dbs])
    for d in dbs:
        d.close()
    try:
        assert not errors
        batches = queries.list_batches(base, ascending=True, limit=1000)
        assert [b.id for b in batches] == list(range(1, 13))
        expected_first = 1
        for b in batches:
            assert b.first_seq == expected_first and b.leaf_count == b.last_seq - b.first_seq + 1
            expected_first = b.last_seq + 1
        assert expected_first == 1201
    finally:
        base.close()


def test_seal_while_ingesting(db_url: str) -> None:
    base = Database.open(db_url)
    sealer = Database(db_url)
    stop = threading.Event()
    errors: list[BaseException] = []

    def seal_loop() -> None:
        try:
            while not stop.is_set():
                seal(sealer, max_records=70, chunk_nodes=8)
        except BaseException as exc:
            errors.append(exc)

    t = threading.Thread(target=seal_loop)
    t.start()
    try:
        for k in range(15):
            ingest(base, lines([balance(k * 40 + i) for i in range(40)]))
    finally:
        stop.set()
        t.join()
    try:
        assert not errors
        while seal(base, max_records=70) is not None:
            pass
        batches = queries.list_batches(base, ascending=True, limit=1000)
        assert sum(b.leaf_count for b in batches) == 600
        assert [b.first_seq for b in batches] == [1] + [b.last_seq + 1 for b in batches[:-1]]
        for b in batches:
            assert (
                MerkleTree.from_leaves(_fresh_leaves(base, b.first_seq, b.last_seq)).root == b.root
            )
    finally:
        sealer.close()
        base.close()


def test_kill_mid_seal_leaves_whole_batch_or_nothing(db_url: str) -> None:
    db = Database.open(db_url)
    ingest(db, lines([balance(i) for i in range(3000)]))
    proc = spawn("seal", db_url)
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.strip() == "phase write":
                break
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait(timeout=30)
    try:
        with db.connect(write=False) as conn:
            batches = conn.execute(sa.text("SELECT COUNT(*) FROM batches")).scalar_one()
            chunks = conn.execute(sa.text("SELECT COUNT(*) FROM tree_chunks")).scalar_one()
        # killed inside the transaction: nothing; a fast machine may have committed: all of it
        assert (batches, chunks) in ((0, 0), (1, math.ceil((2 * 3000 - 1) / 4)))
        batch = seal(db) if batches == 0 else queries.get_batch(db, 1)
        assert batch is not None and batch.leaf_count == 3000
        m = get_proof_material(db, "bal-1234")
        assert verify_proof(batch.root, m.leaf, list(m.proof))
    finally:
        db.close()


@pytest.mark.parametrize("accelerated", [False, *([True] if native_available() else [])])
def test_the_stored_tree_is_the_reference_tree(db: Database, accelerated: bool) -> None:
    ingest(db, lines(mixed(257)))
    use_native(accelerated)
    try:
        batch = seal(db, max_records=200)
    finally:
        use_native(True)
    assert batch is not None
    use_native(False)
    try:  # pure Python, from the canonical records and salts
        reference = MerkleTree.from_leaves(_fresh_leaves(db, 1, 200)).nodes_bytes()
    finally:
        use_native(True)
    assert batch.root == reference[:32]
    with db.connect(write=False) as conn:
        stored = b"".join(
            bytes(d)
            for (d,) in conn.execute(
                sa.text("SELECT data FROM tree_chunks WHERE batch_id = 1 ORDER BY chunk_no")
            )
        )
    assert stored == reference
    m = get_proof_material(db, "bal-100")
    assert verify_proof(batch.root, m.leaf, list(m.proof))
