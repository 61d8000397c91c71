"""Operations (issue 14): the state of each backup target, as the backup job last saw it.

``backup_target_state`` has one row per configured target: its state (``ok``,
``unavailable``, ``conflict``), the last error and when the state last changed. The backup
job writes a row only when the state changes (so a target that stays down is one row update
and one log line, not one per tick); ``anchor backup status``, ``/readyz`` and ``/metrics``
read it from any process.

Frozen once merged: never edit after it is on main; add a new numbered migration instead.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

DESCRIPTION = "backup target state"


def upgrade(conn: Connection) -> None:
    meta = sa.MetaData()
    sa.Table(
        "backup_target_state",
        meta,
        sa.Column("target", sa.String, primary_key=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("last_error_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
    )
    meta.create_all(conn)
