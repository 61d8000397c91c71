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

from sqlalchemy.engine import Connection

from anchor.store.migrations._ddl import create, tables
from anchor.store.migrations._rebuilt import ANCHOR_COST_COLUMNS

DESCRIPTION = "backup target state, anchor costs, chain accounts, alarm notifications"

TARGETS = """
backup_target_state
    target         str key
    state          str(16)
    last_error     text null
    last_error_at  ts null
    changed_at     ts
"""

# The tables of metrics, alarm webhooks and spend budgets (issue 14), created after the first.
OPERATIONS = f"""
anchor_costs
    batch_id  bigint key
    chain_id  bigint
{ANCHOR_COST_COLUMNS}
    index ix_anchor_costs_recorded_at (recorded_at)
chain_accounts
    chain_id     bigint key
    address      str(42) key
    balance_wei  str(80)
    checked_at   ts
alarm_notifications
    id         serial
    alarm_id   bigint
    event      str(16)
    queued_at  ts
    unique uq_alarm_notifications (alarm_id, event)
"""


def upgrade(conn: Connection) -> None:
    create(conn, tables(TARGETS))
    create(conn, tables(OPERATIONS))
