"""Reads by record id for callers that must know what is stored before they write (the event
bus consumer's conflict path: :mod:`anchor.service.consume`)."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa

from anchor.store.db import Database
from anchor.store.models import StoredRecord

_PART = 900  # stays under SQLite's bound-parameter limit on any build


def content_hashes(db: Database, record_ids: Iterable[str]) -> dict[str, bytes]:
    """``{record_id: content_hash}`` of those of ``record_ids`` that are stored."""
    ids = sorted(set(record_ids))
    out: dict[str, bytes] = {}
    table = StoredRecord.__table__  # type: ignore[attr-defined]
    with db.connect(write=False) as conn:
        for at in range(0, len(ids), _PART):
            part = ids[at : at + _PART]
            rows = conn.execute(
                sa.select(table.c.record_id, table.c.content_hash).where(
                    table.c.record_id.in_(part)
                )
            )
            for row in rows:
                out[str(row.record_id)] = bytes(row.content_hash)
    return out


def record_count(db: Database) -> int:
    """How many records are stored."""
    table = StoredRecord.__table__  # type: ignore[attr-defined]
    with db.connect(write=False) as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())
