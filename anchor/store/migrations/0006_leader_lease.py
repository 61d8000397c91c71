"""The anchorer's leader lease (``leases``) and its history of holders (``lease_changes``);
see anchor/store/lease.py.

Frozen: never edit after it has been committed; add a new numbered migration instead.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from anchor.store.migrations._ddl import Tables, create, key, opt, req, serial, ts

DESCRIPTION = "leader lease with a fencing epoch, and its change history"


def upgrade(conn: Connection) -> None:
    tables: Tables = {
        "leases": [
            key("name", sa.String(64)),
            opt("holder", sa.String(255)),
            req("epoch", sa.BigInteger),
            ts("acquired_at", True),
            ts("renewed_at", True),
            ts("expires_at"),
        ],
        "lease_changes": [
            serial(),
            req("name", sa.String(64)),
            req("epoch", sa.BigInteger),
            req("holder", sa.String(255)),
            ts("changed_at"),
            sa.UniqueConstraint("name", "epoch", name="uq_lease_changes_name_epoch"),
            sa.Index("ix_lease_changes_name_changed_at", "name", "changed_at"),
        ],
    }
    create(conn, tables)
