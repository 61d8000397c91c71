"""Read queries over the store. Each takes a :class:`Database` and opens its own read
transaction; the ``*_in`` variants take a caller's session to compose with other work."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session, col, select

from anchor.store.db import Database
from anchor.store.models import Account, Batch, StoredRecord, TreeChunk

MAX_PAGE = 1_000


@dataclass(frozen=True)
class StoreStats:
    """Counts for ``anchor db info`` and metrics."""

    schema_version: int
    records: int
    accounts: int
    batches: int
    pending: int
    batches_by_state: dict[str, int]
    last_seq: int
    last_sealed_seq: int


def _limit(limit: int) -> int:
    return max(1, min(int(limit), MAX_PAGE))


def batch_of_seq_in(session: Session, seq: int) -> Batch | None:
    """The batch whose seq range holds ``seq`` (batches are contiguous seq ranges)."""
    batch = session.exec(
        select(Batch).where(Batch.first_seq <= seq).order_by(col(Batch.first_seq).desc()).limit(1)
    ).first()
    if batch is None or batch.last_seq < seq:
        return None
    return batch


def batch_of_seq(db: Database, seq: int) -> Batch | None:
    with db.session(write=False) as s:
        return batch_of_seq_in(s, seq)


def get_batch(db: Database, batch_id: int) -> Batch | None:
    with db.session(write=False) as s:
        return s.get(Batch, batch_id)


def list_batches(
    db: Database,
    *,
    state: str | Sequence[str] | None = None,
    limit: int = 100,
    before_id: int | None = None,
    ascending: bool = False,
) -> list[Batch]:
    """Batches, newest first by default; ``before_id`` pages backwards."""
    q = select(Batch)
    if isinstance(state, str):
        q = q.where(Batch.state == state)
    elif state is not None:
        q = q.where(col(Batch.state).in_(list(state)))
    if before_id is not None:
        q = q.where(Batch.id < before_id)
    q = q.order_by(col(Batch.id).asc() if ascending else col(Batch.id).desc()).limit(_limit(limit))
    with db.session(write=False) as s:
        return list(s.exec(q).all())


def last_sealed_seq_in(session: Session) -> int:
    value = session.exec(select(sa.func.max(Batch.last_seq))).one()
    return int(value or 0)


def pending_count(db: Database) -> int:
    """Records not yet sealed into a batch: seqs are contiguous from 1, so the highest seq
    minus the last sealed one (two primary-key / unique-index reads: the anchorer asks on
    every tick)."""
    with db.session(write=False) as s:
        top = s.exec(select(sa.func.max(StoredRecord.seq))).one()
        return int(top or 0) - last_sealed_seq_in(s)


def get_record(db: Database, record_id: str) -> StoredRecord | None:
    with db.session(write=False) as s:
        return s.exec(select(StoredRecord).where(StoredRecord.record_id == record_id)).first()


def get_account(db: Database, account_id: str) -> Account | None:
    """The account row, salt included: never return the salt to anyone but its owner."""
    with db.session(write=False) as s:
        return s.get(Account, account_id)


def first_table_with_rows(db: Database, tables: Sequence[str]) -> str | None:
    """The first of ``tables`` (of records, accounts, batches, tree_chunks) that has a row."""
    models = {m.__tablename__: m for m in (StoredRecord, Account, Batch, TreeChunk)}
    with db.session(write=False) as s:
        for name in tables:
            if s.exec(select(models[name]).limit(1)).first() is not None:
                return name
    return None


def stats(db: Database) -> StoreStats:
    version = db.schema_version()
    with db.session(write=False) as s:
        records = int(s.exec(select(sa.func.count()).select_from(StoredRecord)).one() or 0)
        last_seq = int(s.exec(select(sa.func.max(StoredRecord.seq))).one() or 0)
        accounts = int(s.exec(select(sa.func.count()).select_from(Account)).one() or 0)
        by_state = {
            str(state): int(n)
            for state, n in s.exec(select(Batch.state, sa.func.count()).group_by(Batch.state)).all()
        }
        last_sealed = last_sealed_seq_in(s)
        pending = int(
            s.exec(
                select(sa.func.count())
                .select_from(StoredRecord)
                .where(StoredRecord.seq > last_sealed)
            ).one()
            or 0
        )
    return StoreStats(
        schema_version=version,
        records=records,
        accounts=accounts,
        batches=sum(by_state.values()),
        pending=pending,
        batches_by_state=by_state,
        last_seq=last_seq,
        last_sealed_seq=last_sealed,
    )
