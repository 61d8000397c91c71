"""Operations (issue 14): backup target states, anchor costs, the anchorer's balance, and
which alarms were pushed to webhooks.

``backup_target_state`` has one row per configured target: its state (``ok``,
``unavailable``, ``conflict``), the last error and when the state last changed. The backup
job writes a row only when the state changes (so a target that stays down is one row update
and one log line, not one per tick); ``anchor backup status``, ``/readyz`` and ``/metrics``
read it from any process.

``anchor_costs`` (gas used, gas price, fee per anchored batch, from its receipt),
``chain_accounts`` (the anchorer's last known balance) feed ``/metrics`` and the daily spend
budget; ``alarm_notifications`` records which alarm events were queued for the webhooks (one
row per alarm and event: raise, resolve), so several processes never push one twice.

Frozen once merged: never edit after it is on main; add a new numbered migration instead.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

DESCRIPTION = "backup target state, anchor costs, chain accounts, alarm notifications"


def upgrade(conn: Connection) -> None:
    meta = sa.MetaData()
    sa.Table(
        "backup_target_state",
        meta,
        sa.Column("target", sa.String, primary_key=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("last_error_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
    )
    meta.create_all(conn)
    _upgrade_operations(conn)


def _upgrade_operations(conn: Connection) -> None:
    """The tables of metrics, alarm webhooks and spend budgets (issue 14)."""
    meta = sa.MetaData()
    _id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
    sa.Table(
        "anchor_costs",
        meta,
        sa.Column("batch_id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("chain_id", sa.BigInteger, nullable=False),
        sa.Column("tx_hash", sa.String(66), nullable=False),
        sa.Column("gas_used", sa.BigInteger, nullable=False),
        sa.Column("gas_price_wei", sa.BigInteger, nullable=False),
        sa.Column("fee_gwei", sa.Float, nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Index("ix_anchor_costs_recorded_at", "recorded_at"),
    )
    sa.Table(
        "chain_accounts",
        meta,
        sa.Column("chain_id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("address", sa.String(42), primary_key=True),
        sa.Column("balance_wei", sa.String(80), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
    )
    sa.Table(
        "alarm_notifications",
        meta,
        sa.Column("id", _id, primary_key=True),
        sa.Column("alarm_id", sa.BigInteger, nullable=False),
        sa.Column("event", sa.String(16), nullable=False),
        sa.Column("queued_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("alarm_id", "event", name="uq_alarm_notifications"),
    )
    meta.create_all(conn)
