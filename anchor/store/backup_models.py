"""The backup-status table (created by migration 0004_backups).

``backup_objects`` has one row per object (a batch's bundle, or its anchor receipt) known to
be written AND read back intact on one target. The backup job writes a batch to every
configured target that has no row for it; a target that was down has no row and is retried
on the next run. A row is a record of what was written, not a proof: ``anchor backup
verify`` and ``anchor reconcile`` read the targets themselves.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

_Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

KIND_BUNDLE = "bundle"
KIND_RECEIPT = "receipt"


class BackupObject(SQLModel, table=True):
    """One object written to one backup target."""

    __tablename__ = "backup_objects"
    __table_args__ = (
        sa.UniqueConstraint("batch_id", "target", "kind", "sha256", name="uq_backup_objects"),
        sa.Index("ix_backup_objects_batch", "batch_id"),
    )

    id: int | None = Field(default=None, sa_column=sa.Column(_Id, primary_key=True))
    batch_id: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))
    target: str = Field(sa_column=sa.Column(sa.String, nullable=False))
    kind: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    key: str = Field(sa_column=sa.Column(sa.String, nullable=False))
    sha256: str = Field(sa_column=sa.Column(sa.String(64), nullable=False))
    size: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))
    written_at: datetime = Field(sa_column=sa.Column(sa.DateTime(timezone=True), nullable=False))


__all__ = ["KIND_BUNDLE", "KIND_RECEIPT", "BackupObject"]
