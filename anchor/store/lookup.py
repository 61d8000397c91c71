"""Reads for callers that must know what is stored before they write: by record id (the event
bus consumer's conflict path: :mod:`anchor.service.consume`), accounts' commitments and the
next seq (the consumer's writer staging a load ahead: :mod:`anchor.service.consume_ahead`)."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa

from anchor.store.db import Database
from anchor.store.models import Account, StoredRecord

_PART = 900  # stays under SQLite's bound-parameter limit on any build


def content_hashes(db: Database, record_ids: Iterable[str]) -> dict[str, bytes]:
    """``{record_id: content_hash}`` of those of ``record_ids`` that are stored."""
    table = StoredRecord.__table__  # type: ignore[attr-defined]
    return _pairs(db, table.c.record_id, table.c.content_hash, record_ids)


def account_commitments(db: Database, account_ids: Iterable[str]) -> dict[str, bytes]:
    """``{account_id: commitment}`` of those of ``account_ids`` that are stored."""
    table = Account.__table__  # type: ignore[attr-defined]
    return _pairs(db, table.c.account_id, table.c.commitment, account_ids)


def _pairs(
    db: Database, key: sa.Column[str], value: sa.Column[bytes], keys: Iterable[str]
) -> dict[str, bytes]:
    """``{key: value}`` of the stored rows whose ``key`` is one of ``keys``."""
    wanted = sorted(set(keys))
    out: dict[str, bytes] = {}
    with db.connect(write=False) as conn:
        for at in range(0, len(wanted), _PART):
            rows = conn.execute(sa.select(key, value).where(key.in_(wanted[at : at + _PART])))
            out.update((str(k), bytes(v)) for k, v in rows)
    return out


def next_seq(db: Database) -> int:
    """The seq the next record stored will get, as of now."""
    table = StoredRecord.__table__  # type: ignore[attr-defined]
    with db.connect(write=False) as conn:
        top = conn.execute(sa.select(sa.func.max(table.c.seq))).scalar_one()
    return int(top or 0) + 1


def record_count(db: Database) -> int:
    """How many records are stored."""
    table = StoredRecord.__table__  # type: ignore[attr-defined]
    with db.connect(write=False) as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())
