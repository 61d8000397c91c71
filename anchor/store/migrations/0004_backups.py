"""The backup-status table ``backup_objects`` (see anchor/store/backup_models.py).

Frozen: never edit after it has been committed; add a new numbered migration instead.
"""

from __future__ import annotations

from sqlalchemy.engine import Connection

from anchor.store.migrations._ddl import create, tables

DESCRIPTION = "backup objects written per target"

SCHEMA = """
backup_objects
    id          serial
    batch_id    bigint
    target      str
    kind        str(16)
    key         str
    sha256      str(64)
    size        bigint
    written_at  ts
    unique uq_backup_objects (batch_id, target, kind, sha256)
    index ix_backup_objects_batch (batch_id)
"""


def upgrade(conn: Connection) -> None:
    create(conn, tables(SCHEMA))
