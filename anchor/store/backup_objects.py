"""What the backup job knows it wrote (``backup_objects``, :mod:`.backup_models`): one row
per object written and read back intact on one target."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import NamedTuple

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from anchor.store.backup_models import BackupObject
from anchor.store.db import Database

_TABLE = BackupObject.__table__  # type: ignore[attr-defined]
_IDENTITY = ("batch_id", "target", "kind", "sha256")  # one object on one target


class ObjectRow(NamedTuple):
    batch_id: int
    target: str
    kind: str
    sha256: str


def known_objects(conn: Connection) -> list[ObjectRow]:
    """Every object recorded, on every target."""
    t = _TABLE
    rows = conn.execute(sa.select(t.c.batch_id, t.c.target, t.c.kind, t.c.sha256)).all()
    return [ObjectRow(int(r.batch_id), str(r.target), str(r.kind), str(r.sha256)) for r in rows]


def record_object(
    db: Database, batch_id: int, target: str, kind: str, key: str, sha: str, size: int
) -> None:
    """Record an object written to ``target`` (once: a second record of it is a no-op)."""
    row = dict(batch_id=batch_id, target=target, kind=kind, key=key, sha256=sha, size=size)
    db.insert_new(_TABLE, {**row, "written_at": datetime.now(UTC)}, key=_IDENTITY)
