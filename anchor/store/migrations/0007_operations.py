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

from anchor.store.migrations._ddl import Tables, create, key, opt, req, serial, ts
from anchor.store.migrations._rebuilt import anchor_cost_columns

DESCRIPTION = "backup target state, anchor costs, chain accounts, alarm notifications"


def upgrade(conn: Connection) -> None:
    tables: Tables = {
        "backup_target_state": [
            key("target", sa.String),
            req("state", sa.String(16)),
            opt("last_error", sa.Text),
            ts("last_error_at", True),
            ts("changed_at"),
        ],
    }
    create(conn, tables)
    _upgrade_operations(conn)


def _upgrade_operations(conn: Connection) -> None:
    """The tables of metrics, alarm webhooks and spend budgets (issue 14)."""
    tables: Tables = {
        "anchor_costs": [
            key("batch_id", sa.BigInteger),
            req("chain_id", sa.BigInteger),
            *anchor_cost_columns(),
            sa.Index("ix_anchor_costs_recorded_at", "recorded_at"),
        ],
        "chain_accounts": [
            key("chain_id", sa.BigInteger),
            key("address", sa.String(42)),
            req("balance_wei", sa.String(80)),
            ts("checked_at"),
        ],
        "alarm_notifications": [
            serial("auto"),
            req("alarm_id", sa.BigInteger),
            req("event", sa.String(16)),
            ts("queued_at"),
            sa.UniqueConstraint("alarm_id", "event", name="uq_alarm_notifications"),
        ],
    }
    create(conn, tables)
