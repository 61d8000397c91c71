"""How anchoring is progressing, for the stall watchdog (:mod:`anchor.service.watchdog`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import col, func, select

from anchor.store.db import Database
from anchor.store.models import Batch, BatchState, StoredRecord
from anchor.store.tx_models import as_utc


@dataclass(frozen=True)
class Progress:
    """When the last batch became final, and since when work has been waiting."""

    last_final_at: datetime | None
    oldest_open_batch_at: datetime | None  # sealed_at of the oldest batch not yet final
    oldest_unbatched_at: datetime | None  # received_at of the oldest record in no batch


def anchoring_progress(db: Database) -> Progress:
    """One read transaction, each question answered through an index (batch state, primary
    keys): batches become final in id order and records arrive in seq order."""
    open_states = [st.value for st in BatchState if st is not BatchState.FINAL]
    with db.session(write=False) as s:
        last_final = s.exec(
            select(Batch.final_at)
            .where(Batch.state == BatchState.FINAL.value)
            .order_by(col(Batch.id).desc())
            .limit(1)
        ).first()
        oldest_open = s.exec(
            select(Batch.sealed_at)
            .where(col(Batch.state).in_(open_states))
            .order_by(col(Batch.id))
            .limit(1)
        ).first()
        last_sealed = sa.select(func.coalesce(func.max(Batch.last_seq), 0)).scalar_subquery()
        oldest_unbatched = s.exec(
            select(StoredRecord.received_at)
            .where(col(StoredRecord.seq) > last_sealed)
            .order_by(col(StoredRecord.seq))
            .limit(1)
        ).first()
    return Progress(
        last_final_at=as_utc(last_final),
        oldest_open_batch_at=as_utc(oldest_open),
        oldest_unbatched_at=as_utc(oldest_unbatched),
    )
