"""The SQL of ``anchor books``: the anchored batches and their records in sequence order.

Streaming: records come in pages of ``page`` rows by seq (keyset paging, one short read
transaction each), so a replay of millions of records holds one page at a time.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import sqlalchemy as sa

from anchor.store.db import Database

__all__ = ["ANCHORED_STATES", "BatchSpan", "BooksRow", "batch_spans", "records_in_spans"]

ANCHORED_STATES = ("included", "final")


@dataclass(frozen=True, slots=True)
class BatchSpan:
    """A batch's seq range and state (and when it became final, where a reader asks)."""

    batch_id: int
    first_seq: int
    last_seq: int
    state: str
    final_at: int | None = None  # unix seconds (read by receipts.covering_batches only)

    @property
    def anchored(self) -> bool:
        return self.state in ANCHORED_STATES


@dataclass(frozen=True, slots=True)
class BooksRow:
    seq: int
    batch_id: int
    record_id: str
    canonical: str


def batch_spans(db: Database, *, up_to_batch: int | None = None) -> list[BatchSpan]:
    """Every batch (up to ``up_to_batch``), in id order."""
    sql = "SELECT id, first_seq, last_seq, state FROM batches"
    params: dict[str, int] = {}
    if up_to_batch is not None:
        sql += " WHERE id <= :top"
        params["top"] = up_to_batch
    with db.connect(write=False) as conn:
        rows = conn.execute(sa.text(sql + " ORDER BY id"), params).all()
    return [BatchSpan(int(r.id), int(r.first_seq), int(r.last_seq), str(r.state)) for r in rows]


def records_in_spans(
    db: Database, spans: list[BatchSpan], *, page: int = 20_000
) -> Iterator[BooksRow]:
    """The records of the contiguous ``spans`` (in id order), in seq order, page by page."""
    if not spans:
        return
    last = spans[-1].last_seq
    after = spans[0].first_seq - 1
    i = 0
    stmt = sa.text(
        "SELECT seq, record_id, canonical FROM records WHERE seq > :after AND seq <= :last"
        " ORDER BY seq LIMIT :page"
    )
    while after < last:
        with db.connect(write=False) as conn:
            rows = conn.execute(stmt, {"after": after, "last": last, "page": page}).all()
        if not rows:
            return
        for r in rows:
            seq = int(r.seq)
            while seq > spans[i].last_seq:
                i += 1
            yield BooksRow(seq, spans[i].batch_id, str(r.record_id), str(r.canonical))
        after = int(rows[-1].seq)
