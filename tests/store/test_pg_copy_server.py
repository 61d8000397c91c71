"""Records written through the accelerator's COPY rows (anchor.store.pg_copy) read back from
a real PostgreSQL exactly as the row-by-row path writes them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from anchor.core.native import pure_python
from anchor.service.ingest import ingest
from anchor.store.db import Database
from tests.core.accel import needs_native
from tests.store.sample import lines, mixed

pytestmark = needs_native


def _tables(db: Database) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    with db.connect(write=False) as conn:
        records = conn.execute(
            sa.text(
                "SELECT seq, record_id, kind, version, canonical, content_hash, received_at"
                " FROM records ORDER BY seq"
            )
        ).all()
        links = conn.execute(
            sa.text("SELECT account_id, seq FROM record_accounts ORDER BY seq, account_id")
        ).all()
    return [tuple(r) for r in records], [tuple(r) for r in links]


def test_copy_rows_read_back_as_row_by_row(make_db_url: Callable[[str], str]) -> None:
    records = mixed(700)
    got = []
    for accelerated in (True, False):
        db = Database.open(make_db_url("postgresql"))
        try:
            before = datetime.now(UTC)
            if accelerated:
                ingest(db, lines(records), chunk_size=256)
            else:
                with pure_python():
                    ingest(db, lines(records), chunk_size=256)
            rows, links = _tables(db)
        finally:
            db.close()
        stamps = {r[6] for r in rows}
        assert len(stamps) == 1  # the load's one time stamp, to the microsecond
        (at,) = stamps
        assert isinstance(at, datetime) and before - timedelta(seconds=1) <= at
        assert at <= datetime.now(UTC)
        got.append(([r[:6] for r in rows], links))
    assert got[0] == got[1]
    assert len(got[0][0]) == 700 and len(got[0][1]) > 700
