"""Versioned migrations: discovery, idempotence, models match the migrated schema."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from anchor.errors import StorageError
from anchor.store import migrations
from anchor.store.db import Database
from anchor.store.models import Account, Batch, RecordAccount, StoredRecord, TreeChunk
from tests.fixtures.schema import assert_models_match_migrated_schema
from tests.fixtures.threads import run_in_threads


def test_discover_is_numbered_and_ordered() -> None:
    found = migrations.discover()
    assert found[0].version == 1 and found[0].name == "0001_initial"
    versions = [m.version for m in found]
    assert versions == sorted(versions) and len(set(versions)) == len(versions)


def test_migrate_twice_is_idempotent(db_url: str) -> None:
    db = Database(db_url)
    try:
        assert db.schema_version() == 0
        latest = migrations.discover()[-1].version
        assert db.migrate() == latest
        assert db.migrate() == latest
        with db.connect(write=False) as conn:
            rows = migrations.applied(conn)
        assert [v for v, _, _ in rows] == [m.version for m in migrations.discover()]
    finally:
        db.close()


def test_models_match_migrated_schema(db: Database) -> None:
    assert_models_match_migrated_schema(
        db, (StoredRecord, Account, RecordAccount, Batch, TreeChunk)
    )


def test_newer_schema_is_refused(db: Database) -> None:
    with db.connect() as conn:
        conn.execute(
            migrations.schema_version.insert().values(
                version=9999, name="9999_future", applied_at=datetime.now(UTC)
            )
        )
    with pytest.raises(StorageError, match="newer"):
        db.migrate()


def test_concurrent_migrate(db_url: str) -> None:
    dbs = [Database(db_url) for _ in range(3)]
    results: list[int] = []
    errors: list[BaseException] = []

    def run(d: Database) -> None:
        try:
            results.append(d.migrate())
        except BaseException as exc:
            errors.append(exc)

    run_in_threads(run, [(d,) for d in dbs])
    for d in dbs:
        d.close()
    assert not errors
    latest = migrations.discover()[-1].version
    assert results == [latest] * 3


def _migrate_to(db: Database, version: int) -> None:
    """Apply the migrations up to ``version`` only, recording each as ``migrate()`` does."""
    with db.connect() as conn:
        migrations._meta.create_all(conn, checkfirst=True)
        for m in migrations.discover():
            if m.version > version:
                break
            m.upgrade(conn)
            conn.execute(
                migrations.schema_version.insert().values(
                    version=m.version, name=m.name, applied_at=datetime.now(UTC)
                )
            )


def test_0005_keeps_links_and_drops_their_foreign_keys(db_url: str) -> None:
    """A database at version 4 with links: 0005 keeps every link, drops the foreign keys
    (SQLite: rebuilds the table WITHOUT ROWID), keeps the seq index; models still match."""
    db = Database(db_url)
    try:
        _migrate_to(db, 4)
        assert db.schema_version() == 4
        assert sa.inspect(db.engine).get_foreign_keys("record_accounts")
        now = datetime.now(UTC)
        with db.connect() as conn:
            for a in ("acct-1", "acct-2"):
                conn.execute(
                    sa.text(
                        "INSERT INTO accounts (account_id, salt, commitment, created_at)"
                        " VALUES (:a, :s, :c, :t)"
                    ),
                    {"a": a, "s": b"s" * 32, "c": a.encode().ljust(32, b"\0"), "t": now},
                )
            for seq in (1, 2):
                conn.execute(
                    sa.text(
                        "INSERT INTO records (seq, record_id, kind, version, canonical,"
                        " content_hash, leaf, received_at) VALUES (:q, :r, 'balance', 1, '{}',"
                        " :h, :h, :t)"
                    ),
                    {"q": seq, "r": f"r-{seq}", "h": b"h" * 32, "t": now},
                )
            links = [("acct-1", 1), ("acct-1", 2), ("acct-2", 2)]
            for a, seq in links:
                conn.execute(
                    sa.text("INSERT INTO record_accounts (account_id, seq) VALUES (:a, :q)"),
                    {"a": a, "q": seq},
                )
        assert db.migrate() >= 5
        insp = sa.inspect(db.engine)
        assert insp.get_foreign_keys("record_accounts") == []
        assert set(insp.get_pk_constraint("record_accounts")["constrained_columns"]) == {
            "account_id",
            "seq",
        }
        assert [i["column_names"] for i in insp.get_indexes("record_accounts")] == [["seq"]]
        with db.connect(write=False) as conn:
            got = conn.execute(sa.text("SELECT account_id, seq FROM record_accounts")).all()
            assert sorted((str(a), int(q)) for a, q in got) == links
            if db.backend == "sqlite":
                ddl = conn.execute(
                    sa.text("SELECT sql FROM sqlite_master WHERE name = 'record_accounts'")
                ).scalar_one()
                assert "WITHOUT ROWID" in ddl
    finally:
        db.close()


def test_0010_keys_anchor_jobs_by_chain_and_keeps_every_row(db_url: str) -> None:
    """A database at version 9 with a single-chain anchor job, attempts and a cost: 0010
    keys them by chain (the job's own chain id), keeps every row, and a second chain's job
    for the same batch can then be stored beside the first."""
    db = Database(db_url)
    try:
        _migrate_to(db, 9)
        now = datetime.now(UTC)
        with db.connect() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO anchor_txs (batch_id, chain_id, contract, sender, root, "
                    "leaf_count, state, nonce, gas_limit, tx_hash, reorgs, created_at, "
                    "updated_at) VALUES (1, 31337, :c, :c, :r, 5, 'final', 0, 90000, :t, 0, "
                    ":n, :n)"
                ),
                {"c": "0x" + "11" * 20, "r": "0x" + "22" * 32, "t": "0x" + "33" * 32, "n": now},
            )
            for i, status in enumerate(("replaced", "mined")):
                conn.execute(
                    sa.text(
                        "INSERT INTO anchor_attempts (batch_id, nonce, tx_hash, raw_tx, "
                        "max_fee_per_gas, max_priority_fee_per_gas, status, created_at, "
                        "broadcast_count) VALUES (1, 0, :h, :raw, 2, 1, :s, :n, 1)"
                    ),
                    {"h": f"0x{i:064x}", "raw": b"raw", "s": status, "n": now},
                )
            conn.execute(
                sa.text(
                    "INSERT INTO anchor_costs (batch_id, chain_id, tx_hash, gas_used, "
                    "gas_price_wei, fee_gwei, recorded_at) VALUES (1, 31337, :t, 50000, 7, "
                    "0.00035, :n)"
                ),
                {"t": "0x" + "33" * 32, "n": now},
            )
        assert db.migrate() >= 10
        insp = sa.inspect(db.engine)
        for table in ("anchor_txs", "anchor_costs"):
            pk = set(insp.get_pk_constraint(table)["constrained_columns"])
            assert pk == {"chain_id", "batch_id"}, table
        with db.connect() as conn:
            jobs = conn.execute(sa.text("SELECT chain_id, batch_id, state FROM anchor_txs")).all()
            assert [tuple(j) for j in jobs] == [(31337, 1, "final")]
            chains = conn.execute(sa.text("SELECT chain_id FROM anchor_attempts")).all()
            assert [c for (c,) in chains] == [31337, 31337]
            assert conn.execute(sa.text("SELECT chain_id FROM anchor_costs")).scalar() == 31337
            conn.execute(  # the same batch on another chain: a job of its own
                sa.text(
                    "INSERT INTO anchor_txs (batch_id, chain_id, contract, sender, root, "
                    "leaf_count, state, gas_limit, reorgs, created_at, updated_at) VALUES "
                    "(1, 8453, :c, :c, :r, 5, 'pending', 0, 0, :n, :n)"
                ),
                {"c": "0x" + "11" * 20, "r": "0x" + "22" * 32, "n": now},
            )
    finally:
        db.close()
