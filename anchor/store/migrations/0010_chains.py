"""Several chains (issue 18): the transaction manager's state per chain.

* ``anchor_txs``: keyed by (chain_id, batch_id) instead of batch_id — one anchor job per
  batch and chain. The table is rebuilt (SQLite cannot change a primary key); every row is
  kept as it is (each already names its chain).
* ``anchor_attempts``: a ``chain_id`` column (filled from the attempt's job), indexed with
  the batch id: an attempt belongs to one chain's job.
* ``anchor_costs``: keyed by (chain_id, batch_id) likewise (rebuilt, rows kept).
* ``alarms``: a nullable ``chain_id``: a chain raises its own alarms (one open row per
  kind, batch and chain); NULL for the alarms that concern no chain in particular.

Frozen: never edit after it has been committed; add a new numbered migration instead.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from anchor.store.migrations._ddl import key
from anchor.store.migrations._rebuilt import anchor_cost_columns, anchor_tx_columns

DESCRIPTION = "anchor jobs, attempts, costs and alarms per chain"


def _rebuild(
    conn: Connection,
    name: str,
    columns: Callable[[], list[sa.Column[Any]]],
    indexes: list[tuple[str, str]],
) -> None:
    """Copy ``name`` into a new table of the same columns keyed by (chain_id, batch_id), then
    swap."""
    meta = sa.MetaData()
    new = sa.Table(
        f"{name}_v10",
        meta,
        key("chain_id", sa.BigInteger),
        key("batch_id", sa.BigInteger),
        *columns(),
    )
    meta.create_all(conn)
    names = ", ".join(c.name for c in new.columns)
    conn.exec_driver_sql(f"INSERT INTO {name}_v10 ({names}) SELECT {names} FROM {name}")
    conn.exec_driver_sql(f"DROP TABLE {name}")
    conn.exec_driver_sql(f"ALTER TABLE {name}_v10 RENAME TO {name}")
    for index, cols in indexes:
        conn.exec_driver_sql(f"CREATE INDEX {index} ON {name} ({cols})")


def upgrade(conn: Connection) -> None:
    _rebuild(conn, "anchor_txs", anchor_tx_columns, [("ix_anchor_txs_state", "chain_id, state")])
    _rebuild(
        conn, "anchor_costs", anchor_cost_columns, [("ix_anchor_costs_recorded_at", "recorded_at")]
    )
    conn.exec_driver_sql(
        "ALTER TABLE anchor_attempts ADD COLUMN chain_id BIGINT NOT NULL DEFAULT 0"
    )
    conn.exec_driver_sql(
        "UPDATE anchor_attempts SET chain_id = (SELECT t.chain_id FROM anchor_txs t "
        "WHERE t.batch_id = anchor_attempts.batch_id) "
        "WHERE EXISTS (SELECT 1 FROM anchor_txs t WHERE t.batch_id = anchor_attempts.batch_id)"
    )
    conn.exec_driver_sql("DROP INDEX ix_anchor_attempts_batch_id")
    conn.exec_driver_sql(
        "CREATE INDEX ix_anchor_attempts_chain_batch ON anchor_attempts (chain_id, batch_id)"
    )
    conn.exec_driver_sql("ALTER TABLE alarms ADD COLUMN chain_id BIGINT")
