"""The backup-status table ``backup_objects`` (see anchor/store/backup_models.py).

Frozen: never edit after it has been committed; add a new numbered migration instead.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

DESCRIPTION = "backup objects written per target"

_Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade(conn: Connection) -> None:
    meta = sa.MetaData()
    sa.Table(
        "backup_objects",
        meta,
        sa.Column("id", _Id, primary_key=True),
        sa.Column("batch_id", sa.BigInteger, nullable=False),
        sa.Column("target", sa.String, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("key", sa.String, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("written_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("batch_id", "target", "kind", "sha256", name="uq_backup_objects"),
        sa.Index("ix_backup_objects_batch", "batch_id"),
    )
    meta.create_all(conn)
