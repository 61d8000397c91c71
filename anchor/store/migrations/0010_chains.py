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

import sqlalchemy as sa
from sqlalchemy.engine import Connection

DESCRIPTION = "anchor jobs, attempts, costs and alarms per chain"


def _ts(name: str, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _anchor_txs(meta: sa.MetaData, name: str) -> sa.Table:
    return sa.Table(
        name,
        meta,
        sa.Column("chain_id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("batch_id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("contract", sa.String(42), nullable=False),
        sa.Column("sender", sa.String(42), nullable=False),
        sa.Column("root", sa.String(66), nullable=False),
        sa.Column("leaf_count", sa.BigInteger, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("nonce", sa.BigInteger, nullable=True),
        sa.Column("gas_limit", sa.BigInteger, nullable=False),
        sa.Column("tx_hash", sa.String(66), nullable=True),
        sa.Column("block_number", sa.BigInteger, nullable=True),
        sa.Column("block_hash", sa.String(66), nullable=True),
        sa.Column("reorgs", sa.Integer, nullable=False),
        _ts("created_at"),
        _ts("updated_at"),
        _ts("included_at", True),
        _ts("final_at", True),
        sa.Column("last_error", sa.Text, nullable=True),
    )


def _anchor_costs(meta: sa.MetaData, name: str) -> sa.Table:
    return sa.Table(
        name,
        meta,
        sa.Column("chain_id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("batch_id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("tx_hash", sa.String(66), nullable=False),
        sa.Column("gas_used", sa.BigInteger, nullable=False),
        sa.Column("gas_price_wei", sa.BigInteger, nullable=False),
        sa.Column("fee_gwei", sa.Float, nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    )


def _rebuild(conn: Connection, name: str, make: object, indexes: list[tuple[str, str]]) -> None:
    """Copy ``name`` into a new table of the same columns under a new key, then swap."""
    meta = sa.MetaData()
    new = make(meta, f"{name}_v10")  # type: ignore[operator]
    meta.create_all(conn)
    columns = ", ".join(c.name for c in new.columns)
    conn.exec_driver_sql(f"INSERT INTO {name}_v10 ({columns}) SELECT {columns} FROM {name}")
    conn.exec_driver_sql(f"DROP TABLE {name}")
    conn.exec_driver_sql(f"ALTER TABLE {name}_v10 RENAME TO {name}")
    for index, cols in indexes:
        conn.exec_driver_sql(f"CREATE INDEX {index} ON {name} ({cols})")


def upgrade(conn: Connection) -> None:
    _rebuild(conn, "anchor_txs", _anchor_txs, [("ix_anchor_txs_state", "chain_id, state")])
    _rebuild(conn, "anchor_costs", _anchor_costs, [("ix_anchor_costs_recorded_at", "recorded_at")])
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
