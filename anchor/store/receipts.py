"""The rows a load's receipts are built from (all SQL of receipts lives here)."""

from __future__ import annotations

import sqlalchemy as sa

from anchor.store.db import Database

__all__ = ["load_entries"]


def load_entries(db: Database, first_seq: int, last_seq: int) -> list[tuple[str, bytes, int]]:
    """``(record_id, leaf, seq)`` of the records stored with seqs first..last, in seq order."""
    with db.connect(write=False) as conn:
        rows = conn.execute(
            sa.text(
                "SELECT record_id, leaf, seq FROM records WHERE seq BETWEEN :a AND :b ORDER BY seq"
            ),
            {"a": first_seq, "b": last_seq},
        )
        return [(str(r.record_id), bytes(r.leaf), int(r.seq)) for r in rows]
