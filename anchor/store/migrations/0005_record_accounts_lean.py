"""``record_accounts`` without foreign keys (and, on SQLite, without a rowid).

Why: the links were the dearest part of a bulk load. Each link row paid two foreign-key
checks (PostgreSQL: two trigger lookups per row, ~7 us a link under COPY; SQLite: two index
probes) although links are only ever written by ingest and restore, in the same
transaction as the records and accounts they name, and records are never deleted. On
SQLite the table also becomes ``WITHOUT ROWID``: the (account_id, seq) primary key is the
table itself instead of a rowid table plus a separate key index. The seq index stays
(backups read the accounts of a seq range). Measured with scripts/bench_ingest.py, see the
README.

Frozen: never edit after it has been committed; add a new numbered migration instead.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

DESCRIPTION = "record_accounts without foreign keys; WITHOUT ROWID on SQLite"


def upgrade(conn: Connection) -> None:
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql(
            "CREATE TABLE record_accounts_new ("
            " account_id VARCHAR NOT NULL,"
            " seq INTEGER NOT NULL,"
            " PRIMARY KEY (account_id, seq)"
            ") WITHOUT ROWID"
        )
        conn.exec_driver_sql(
            "INSERT INTO record_accounts_new (account_id, seq)"
            " SELECT account_id, seq FROM record_accounts"
        )
        conn.exec_driver_sql("DROP TABLE record_accounts")
        conn.exec_driver_sql("ALTER TABLE record_accounts_new RENAME TO record_accounts")
        conn.exec_driver_sql("CREATE INDEX ix_record_accounts_seq ON record_accounts (seq)")
        return
    for fk in sa.inspect(conn).get_foreign_keys("record_accounts"):
        conn.exec_driver_sql(f'ALTER TABLE record_accounts DROP CONSTRAINT "{fk["name"]}"')
