"""The anchorer's leader lease (``leases``) and its history of holders (``lease_changes``);
see anchor/store/lease.py.

Frozen: never edit after it has been committed; add a new numbered migration instead.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

DESCRIPTION = "leader lease with a fencing epoch, and its change history"

_Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _ts(name: str, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade(conn: Connection) -> None:
    meta = sa.MetaData()
    sa.Table(
        "leases",
        meta,
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("holder", sa.String(255), nullable=True),
        sa.Column("epoch", sa.BigInteger, nullable=False),
        _ts("acquired_at", True),
        _ts("renewed_at", True),
        _ts("expires_at"),
    )
    sa.Table(
        "lease_changes",
        meta,
        sa.Column("id", _Id, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("epoch", sa.BigInteger, nullable=False),
        sa.Column("holder", sa.String(255), nullable=False),
        _ts("changed_at"),
        sa.UniqueConstraint("name", "epoch", name="uq_lease_changes_name_epoch"),
        sa.Index("ix_lease_changes_name_changed_at", "name", "changed_at"),
    )
    meta.create_all(conn)
