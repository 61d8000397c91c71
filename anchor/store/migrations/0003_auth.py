"""Per-account credentials (stored hashed) and Sign-In-With-Ethereum challenges.

Frozen: never edit after it has been committed; add a new numbered migration instead.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

DESCRIPTION = "account credentials (hashed tokens) and SIWE challenges"


def upgrade(conn: Connection) -> None:
    meta = sa.MetaData()
    # Referenced table (created by 0001); declared here only so the foreign key resolves.
    sa.Table("accounts", meta, sa.Column("account_id", sa.String, primary_key=True))
    sa.Table(
        "account_tokens",
        meta,
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True),
        sa.Column("account_id", sa.String, sa.ForeignKey("accounts.account_id"), nullable=False),
        # sha256 of the token; the token itself is shown once and never stored
        sa.Column("token_hash", sa.LargeBinary, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),  # "api" | "session"
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("token_hash", name="uq_account_tokens_token_hash"),
        sa.Index("ix_account_tokens_account_id", "account_id"),
    )
    sa.Table(
        "auth_challenges",
        meta,
        sa.Column("nonce", sa.String(64), primary_key=True),
        sa.Column("address", sa.String(42), nullable=False),
        # sha256 of the exact EIP-4361 message issued: login must sign these bytes
        sa.Column("message_hash", sa.LargeBinary, nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Index("ix_auth_challenges_expires_at", "expires_at"),
    )
    meta.create_all(conn, tables=[meta.tables["account_tokens"], meta.tables["auth_challenges"]])
