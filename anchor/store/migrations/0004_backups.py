"""The backup-status table ``backup_objects`` (see anchor/store/backup_models.py).

Frozen: never edit after it has been committed; add a new numbered migration instead.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from anchor.store.migrations._ddl import Tables, create, req, serial, ts

DESCRIPTION = "backup objects written per target"


def upgrade(conn: Connection) -> None:
    tables: Tables = {
        "backup_objects": [
            serial("auto"),
            req("batch_id", sa.BigInteger),
            req("target", sa.String),
            req("kind", sa.String(16)),
            req("key", sa.String),
            req("sha256", sa.String(64)),
            req("size", sa.BigInteger),
            ts("written_at"),
            sa.UniqueConstraint("batch_id", "target", "kind", "sha256", name="uq_backup_objects"),
            sa.Index("ix_backup_objects_batch", "batch_id"),
        ],
    }
    create(conn, tables)
