"""Per-account credentials (stored hashed) and Sign-In-With-Ethereum challenges.

Frozen: never edit after it has been committed; add a new numbered migration instead.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from anchor.store.migrations._ddl import key, req, serial, ts

DESCRIPTION = "account credentials (hashed tokens) and SIWE challenges"


def upgrade(conn: Connection) -> None:
    meta = sa.MetaData()
    # Referenced table (created by 0001); declared here only so the foreign key resolves.
    sa.Table("accounts", meta, sa.Column("account_id", sa.String, primary_key=True))
    sa.Table(
        "account_tokens",
        meta,
        serial("auto"),
        req("account_id", sa.String, sa.ForeignKey("accounts.account_id")),
        # sha256 of the token; the token itself is shown once and never stored
        req("token_hash", sa.LargeBinary),
        req("kind", sa.String(16)),  # "api" | "session"
        ts("created_at"),
        ts("expires_at", True),
        ts("revoked_at", True),
        sa.UniqueConstraint("token_hash", name="uq_account_tokens_token_hash"),
        sa.Index("ix_account_tokens_account_id", "account_id"),
    )
    sa.Table(
        "auth_challenges",
        meta,
        key("nonce", sa.String(64)),
        req("address", sa.String(42)),
        # sha256 of the exact EIP-4361 message issued: login must sign these bytes
        req("message_hash", sa.LargeBinary),
        ts("issued_at"),
        ts("expires_at"),
        ts("used_at", True),
        sa.Index("ix_auth_challenges_expires_at", "expires_at"),
    )
    meta.create_all(conn, tables=[meta.tables["account_tokens"], meta.tables["auth_challenges"]])
