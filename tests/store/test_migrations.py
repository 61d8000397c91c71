"""Versioned migrations: discovery, idempotence, models match the migrated schema."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from anchor.errors import StorageError
from anchor.store import migrations
from anchor.store.db import Database
from anchor.store.models import Account, Batch, RecordAccount, StoredRecord, TreeChunk


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
    insp = sa.inspect(db.engine)
    for model in (StoredRecord, Account, RecordAccount, Batch, TreeChunk):
        table = model.__table__  # type: ignore[attr-defined]
        migrated = {c["name"]: c for c in insp.get_columns(table.name)}
        assert set(migrated) == {c.name for c in table.columns}, table.name
        for column in table.columns:
            assert migrated[column.name]["nullable"] == column.nullable, (table.name, column.name)
        pk = set(insp.get_pk_constraint(table.name)["constrained_columns"])
        assert pk == {c.name for c in table.primary_key.columns}, table.name


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

    threads = [threading.Thread(target=run, args=(d,)) for d in dbs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for d in dbs:
        d.close()
    assert not errors
    latest = migrations.discover()[-1].version
    assert results == [latest] * 3
