"""Tables of the transaction manager: one anchor job per batch and chain, its signed attempts,
the nonce cursor per chain and sender, and alarms (with every alarm kind, the watchdog's stall alarms included).

Write-ahead: an attempt row (raw signed bytes + hash) is committed before the bytes are sent,
and the nonce cursor moves in the same commit. Every attempt of a batch shares one nonce, so at
most one of them can be mined.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlmodel import Field, SQLModel

_Id = BigInteger().with_variant(Integer(), "sqlite")

# anchor_txs.state
TX_PENDING = "pending"  # no nonce / attempt yet (prepared when the chain allows)
TX_SUBMITTED = "submitted"  # a signed attempt is stored; maybe broadcast
TX_INCLUDED = "included"  # a receipt with status 1 in a canonical block
TX_FINAL = "final"  # that block is at or below the finalized height
TX_FAILED = "failed"  # mined with status 0: alarm, never resent automatically
TX_CONFLICT = "conflict"  # the contract holds a different root for this batch id: alarm
TX_STATES = (TX_PENDING, TX_SUBMITTED, TX_INCLUDED, TX_FINAL, TX_FAILED, TX_CONFLICT)
TX_OPEN_STATES = (TX_PENDING, TX_SUBMITTED, TX_INCLUDED)

# anchor_attempts.status
ATTEMPT_LIVE = "live"  # the newest attempt at the batch's nonce
ATTEMPT_REPLACED = "replaced"  # superseded by a fee bump at the same nonce
ATTEMPT_MINED = "mined"
ATTEMPT_ABANDONED = "abandoned"  # its nonce was consumed by another transaction

# alarms.kind
ALARM_ROOT_MISMATCH = "root_mismatch"
ALARM_REORG_BELOW_FINALITY = "reorg_below_finality"
ALARM_INSUFFICIENT_FUNDS = "insufficient_funds"
ALARM_TX_REVERTED = "tx_reverted"
ALARM_FEE_CAP = "fee_cap_reached"
ALARM_NONCE_CONSUMED = "nonce_consumed"
# stalls (anchor/service/watchdog.py): one open row each, batch_id NULL
ALARM_RPC_UNREACHABLE = "rpc_unreachable"  # the RPC failed for rpc_outage_alarm_seconds
ALARM_ANCHORING_STALLED = "anchoring_stalled"  # work pending, nothing final for too long
ALARM_REGISTRY_CODE = "registry_code_missing"  # no / other code at the registry address
ALARM_LEADER_FLAPPING = "leader_flapping"  # the anchorer lease keeps changing hands


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes: read them as UTC."""
    if value is None:
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _ts(nullable: bool = False) -> Column[datetime]:
    return Column(DateTime(timezone=True), nullable=nullable)


class AnchorTx(SQLModel, table=True):
    """The anchoring of one batch on one chain: its nonce, state and the attempt that was
    mined (keyed by chain and batch since migration 0010)."""

    __tablename__ = "anchor_txs"
    __table_args__ = (Index("ix_anchor_txs_state", "chain_id", "state"),)

    chain_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    batch_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    contract: str = Field(sa_column=Column(String(42), nullable=False))
    sender: str = Field(sa_column=Column(String(42), nullable=False))
    root: str = Field(sa_column=Column(String(66), nullable=False))
    leaf_count: int = Field(sa_column=Column(BigInteger, nullable=False))
    state: str = Field(default=TX_PENDING, sa_column=Column(String(16), nullable=False))
    nonce: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    gas_limit: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    tx_hash: str | None = Field(default=None, sa_column=Column(String(66), nullable=True))
    block_number: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    block_hash: str | None = Field(default=None, sa_column=Column(String(66), nullable=True))
    reorgs: int = Field(default=0)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    included_at: datetime | None = Field(default=None, sa_column=_ts(True))
    final_at: datetime | None = Field(default=None, sa_column=_ts(True))
    last_error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


@dataclass(frozen=True)
class NewAttempt:
    """A signed transaction, stored before it is ever sent: the columns of its
    :class:`AnchorAttempt` row that signing decides (same names)."""

    tx_hash: str
    raw_tx: bytes
    max_fee_per_gas: int
    max_priority_fee_per_gas: int


class AnchorAttempt(SQLModel, table=True):
    """One signed transaction for a batch on one chain, stored before it is ever sent."""

    __tablename__ = "anchor_attempts"
    __table_args__ = (
        UniqueConstraint("tx_hash", name="uq_anchor_attempts_tx_hash"),
        Index("ix_anchor_attempts_chain_batch", "chain_id", "batch_id"),
    )

    id: int | None = Field(
        default=None, sa_column=Column(_Id, primary_key=True, autoincrement=True)
    )
    batch_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    chain_id: int = Field(sa_column=Column(BigInteger, nullable=False, server_default="0"))
    nonce: int = Field(sa_column=Column(BigInteger, nullable=False))
    tx_hash: str = Field(sa_column=Column(String(66), nullable=False))
    raw_tx: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    max_fee_per_gas: int = Field(sa_column=Column(BigInteger, nullable=False))
    max_priority_fee_per_gas: int = Field(sa_column=Column(BigInteger, nullable=False))
    status: str = Field(default=ATTEMPT_LIVE, sa_column=Column(String(16), nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    first_broadcast_at: datetime | None = Field(default=None, sa_column=_ts(True))
    first_broadcast_block: int | None = Field(
        default=None, sa_column=Column(BigInteger, nullable=True)
    )
    last_broadcast_at: datetime | None = Field(default=None, sa_column=_ts(True))
    broadcast_count: int = Field(default=0)


class NonceCursor(SQLModel, table=True):
    """The next nonce this database will hand out for a sender on a chain."""

    __tablename__ = "anchor_nonces"
    __table_args__ = (UniqueConstraint("chain_id", "sender", name="uq_anchor_nonces_chain_sender"),)

    id: int | None = Field(
        default=None, sa_column=Column(_Id, primary_key=True, autoincrement=True)
    )
    chain_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    sender: str = Field(sa_column=Column(String(42), nullable=False))
    next_nonce: int = Field(sa_column=Column(BigInteger, nullable=False))


class Alarm(SQLModel, table=True):
    """A condition an operator must look at. One open row per (kind, batch); repeats count up."""

    __tablename__ = "alarms"
    __table_args__ = (Index("ix_alarms_kind", "kind"),)

    id: int | None = Field(
        default=None, sa_column=Column(_Id, primary_key=True, autoincrement=True)
    )
    kind: str = Field(sa_column=Column(String(32), nullable=False))
    batch_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    # the chain it concerns (migration 0010); None: no chain in particular
    chain_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    message: str = Field(sa_column=Column(Text, nullable=False))
    count: int = Field(default=1)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    last_seen_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    resolved_at: datetime | None = Field(default=None, sa_column=_ts(True))


TX_TABLES = (AnchorTx, AnchorAttempt, NonceCursor, Alarm)
