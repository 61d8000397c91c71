"""Migration 0004 creates exactly the table the BackupObject model describes."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from anchor.store.backup_models import BackupObject


def test_backup_objects_schema_matches_the_model(db: Any) -> None:
    assert db.schema_version() >= 4
    insp = sa.inspect(db.engine)
    got = {c["name"]: c["nullable"] for c in insp.get_columns("backup_objects")}
    table = BackupObject.__table__  # type: ignore[attr-defined]
    want = {c.name: c.nullable for c in table.columns}
    assert got == want
    uniques = {tuple(u["column_names"]) for u in insp.get_unique_constraints("backup_objects")}
    assert ("batch_id", "target", "kind", "sha256") in uniques
    assert db.migrate() == db.schema_version()  # idempotent
