"""Operations data (metrics, costs, balances, alarm notifications): the tables of migration
0007 and the read models ``/metrics`` collects from at scrape time. Typed rows only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from anchor.store.db import Database
from anchor.store.models import Batch, StoredRecord
from anchor.store.tx_models import Alarm, AnchorTx, as_utc, utcnow

__all__ = [
    "AlarmEvent",
    "AlarmNotification",
    "AnchorCost",
    "ChainAccount",
    "CostTotals",
    "PipelineCounts",
    "alarm_counts",
    "batch_costs",
    "claim_notification",
    "cost_totals",
    "cost_totals_by_chain",
    "costs_missing",
    "final_latencies",
    "latest_balance",
    "pending_alarm_events",
    "pipeline_counts",
    "record_cost",
    "set_balance",
    "spend_since",
]

_Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


class AnchorCost(SQLModel, table=True):
    """What anchoring one batch on one chain cost, from its receipt (keyed by chain and batch
    since migration 0010)."""

    __tablename__ = "anchor_costs"
    __table_args__ = (sa.Index("ix_anchor_costs_recorded_at", "recorded_at"),)

    chain_id: int = Field(sa_column=sa.Column(sa.BigInteger, primary_key=True, autoincrement=False))
    batch_id: int = Field(sa_column=sa.Column(sa.BigInteger, primary_key=True, autoincrement=False))
    tx_hash: str = Field(sa_column=sa.Column(sa.String(66), nullable=False))
    gas_used: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))
    gas_price_wei: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))
    fee_gwei: float = Field(sa_column=sa.Column(sa.Float, nullable=False))
    recorded_at: datetime = Field(sa_column=sa.Column(sa.DateTime(timezone=True), nullable=False))


class ChainAccount(SQLModel, table=True):
    """The anchorer's last known balance on a chain (wei, as decimal text: may exceed 2^63)."""

    __tablename__ = "chain_accounts"

    chain_id: int = Field(sa_column=sa.Column(sa.BigInteger, primary_key=True, autoincrement=False))
    address: str = Field(sa_column=sa.Column(sa.String(42), primary_key=True))
    balance_wei: str = Field(sa_column=sa.Column(sa.String(80), nullable=False))
    checked_at: datetime = Field(sa_column=sa.Column(sa.DateTime(timezone=True), nullable=False))


class AlarmNotification(SQLModel, table=True):
    """An alarm event (raise or resolve) queued for the webhooks, once."""

    __tablename__ = "alarm_notifications"
    __table_args__ = (sa.UniqueConstraint("alarm_id", "event", name="uq_alarm_notifications"),)

    id: int | None = Field(default=None, sa_column=sa.Column(_Id, primary_key=True))
    alarm_id: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))
    event: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    queued_at: datetime = Field(sa_column=sa.Column(sa.DateTime(timezone=True), nullable=False))


@dataclass(frozen=True)
class PipelineCounts:
    records: int  # ingested (the highest seq: seqs are contiguous from 1)
    pending: int  # not in a batch yet
    batches: dict[str, int]  # by state


@dataclass(frozen=True)
class CostTotals:
    anchors: int
    gas_used: int
    fees_gwei: float
    chain_id: int | None = None  # None: every chain


@dataclass(frozen=True)
class MissingCost:
    batch_id: int
    chain_id: int | None
    tx_hash: bytes


@dataclass(frozen=True)
class Balance:
    chain_id: int
    address: str
    wei: int
    checked_at: datetime


@dataclass(frozen=True)
class AlarmEvent:
    alarm_id: int
    event: str  # raise | resolve
    kind: str
    batch_id: int | None
    message: str
    count: int
    at: datetime
    chain_id: int | None = None  # the chain the alarm concerns (None: no chain in particular)


_txs = AnchorTx.__table__  # type: ignore[attr-defined]
_records = StoredRecord.__table__  # type: ignore[attr-defined]
_batches = Batch.__table__  # type: ignore[attr-defined]
_alarms = Alarm.__table__  # type: ignore[attr-defined]
_costs = AnchorCost.__table__  # type: ignore[attr-defined]
_accounts = ChainAccount.__table__  # type: ignore[attr-defined]
_notes = AlarmNotification.__table__  # type: ignore[attr-defined]


def pipeline_counts(db: Database) -> PipelineCounts:
    with db.connect(write=False) as conn:
        top = conn.execute(sa.select(sa.func.max(_records.c.seq))).scalar()
        sealed = conn.execute(sa.select(sa.func.max(_batches.c.last_seq))).scalar()
        rows = conn.execute(
            sa.select(_batches.c.state, sa.func.count().label("n")).group_by(_batches.c.state)
        ).all()
    records = int(top or 0)
    return PipelineCounts(
        records=records,
        pending=records - int(sealed or 0),
        batches={str(r.state): int(r.n) for r in rows},
    )


def alarm_counts(db: Database) -> dict[str, int]:
    """Open alarms by kind."""
    with db.connect(write=False) as conn:
        rows = conn.execute(
            sa.select(_alarms.c.kind, sa.func.count().label("n"))
            .where(_alarms.c.resolved_at.is_(None))
            .group_by(_alarms.c.kind)
        ).all()
    return {str(r.kind): int(r.n) for r in rows}


def final_latencies(db: Database, *, limit: int = 10_000) -> list[float]:
    """Seconds from the first record of a batch being ingested to the batch being final, for
    the newest ``limit`` final batches."""
    with db.connect(write=False) as conn:
        rows = conn.execute(
            sa.select(_batches.c.final_at, _records.c.received_at)
            .select_from(_batches.join(_records, _records.c.seq == _batches.c.first_seq))
            .where(_batches.c.state == "final", _batches.c.final_at.is_not(None))
            .order_by(_batches.c.id.desc())
            .limit(limit)
        ).all()
    out = []
    for r in rows:
        final, received = as_utc(r.final_at), as_utc(r.received_at)
        if final is not None and received is not None:
            out.append(max(0.0, (final - received).total_seconds()))
    return out


def costs_missing(db: Database, chain_id: int, *, limit: int = 20) -> list[MissingCost]:
    """Batches included or final on ``chain_id`` whose cost there is not recorded yet
    (oldest first)."""
    have = sa.exists().where(_costs.c.chain_id == chain_id, _costs.c.batch_id == _txs.c.batch_id)
    with db.connect(write=False) as conn:
        rows = conn.execute(
            sa.select(_txs.c.batch_id, _txs.c.tx_hash)
            .where(
                _txs.c.chain_id == chain_id,
                _txs.c.state.in_(("included", "final")),
                _txs.c.tx_hash.is_not(None),
                ~have,
            )
            .order_by(_txs.c.batch_id)
            .limit(limit)
        ).all()
    return [MissingCost(int(r.batch_id), chain_id, bytes.fromhex(str(r.tx_hash)[2:])) for r in rows]


def record_cost(
    db: Database, *, batch_id: int, chain_id: int, tx_hash: str, gas_used: int, gas_price_wei: int
) -> None:
    fee_gwei = gas_used * gas_price_wei / 1e9
    row = dict(batch_id=batch_id, chain_id=chain_id, tx_hash=tx_hash, gas_used=gas_used)
    row |= dict(gas_price_wei=gas_price_wei, fee_gwei=fee_gwei, recorded_at=utcnow())
    db.insert_new(_costs, row)  # False: recorded by another process meanwhile


def cost_totals(db: Database) -> CostTotals:
    """Anchors, gas and fees over every chain."""
    with db.connect(write=False) as conn:
        r = conn.execute(
            sa.select(
                sa.func.count().label("n"),
                sa.func.coalesce(sa.func.sum(_costs.c.gas_used), 0).label("gas"),
                sa.func.coalesce(sa.func.sum(_costs.c.fee_gwei), 0.0).label("fees"),
            )
        ).one()
    return CostTotals(int(r.n), int(r.gas), float(r.fees))


def cost_totals_by_chain(db: Database) -> list[CostTotals]:
    """Anchors, gas and fees per chain (by chain id)."""
    with db.connect(write=False) as conn:
        rows = conn.execute(
            sa.select(
                _costs.c.chain_id,
                sa.func.count().label("n"),
                sa.func.coalesce(sa.func.sum(_costs.c.gas_used), 0).label("gas"),
                sa.func.coalesce(sa.func.sum(_costs.c.fee_gwei), 0.0).label("fees"),
            )
            .group_by(_costs.c.chain_id)
            .order_by(_costs.c.chain_id)
        ).all()
    return [CostTotals(int(r.n), int(r.gas), float(r.fees), int(r.chain_id)) for r in rows]


def batch_costs(db: Database, batch_ids: list[int]) -> dict[tuple[int, int], tuple[int, int]]:
    """(chain id, batch id) → (gas used, gas price in wei) of the given batches' anchors."""
    with db.connect(write=False) as conn:
        rows = conn.execute(
            sa.select(
                _costs.c.chain_id, _costs.c.batch_id, _costs.c.gas_used, _costs.c.gas_price_wei
            ).where(_costs.c.batch_id.in_(batch_ids))
        ).all()
    return {
        (int(r.chain_id), int(r.batch_id)): (int(r.gas_used), int(r.gas_price_wei)) for r in rows
    }


def spend_since(db: Database, since: datetime) -> float:
    """Fees (gwei) of the anchors recorded since ``since``."""
    with db.connect(write=False) as conn:
        value = conn.execute(
            sa.select(sa.func.coalesce(sa.func.sum(_costs.c.fee_gwei), 0.0)).where(
                _costs.c.recorded_at >= since
            )
        ).scalar()
    return float(value or 0.0)


def set_balance(db: Database, chain_id: int, address: str, wei: int) -> None:
    with db.connect(write=True) as conn:
        values = {"balance_wei": str(int(wei)), "checked_at": utcnow()}
        done = conn.execute(
            _accounts.update()
            .where(_accounts.c.chain_id == chain_id, _accounts.c.address == address)
            .values(**values)
        ).rowcount
        if not done:
            conn.execute(_accounts.insert().values(chain_id=chain_id, address=address, **values))


def latest_balance(db: Database) -> list[Balance]:
    with db.connect(write=False) as conn:
        rows = conn.execute(sa.select(_accounts)).all()
    return [
        Balance(
            int(r.chain_id),
            str(r.address),
            int(r.balance_wei),
            as_utc(r.checked_at) or r.checked_at,
        )
        for r in rows
    ]


def pending_alarm_events(db: Database, *, since: datetime, limit: int = 100) -> list[AlarmEvent]:
    """Alarm raises and resolutions not queued for the webhooks yet (events older than
    ``since`` are left alone: a service started on an old database does not replay them)."""
    raised = sa.exists().where(_notes.c.alarm_id == _alarms.c.id, _notes.c.event == "raise")
    resolved = sa.exists().where(_notes.c.alarm_id == _alarms.c.id, _notes.c.event == "resolve")
    cols = (
        _alarms.c.id,
        _alarms.c.kind,
        _alarms.c.batch_id,
        _alarms.c.message,
        _alarms.c.count,
        _alarms.c.created_at,
        _alarms.c.resolved_at,
        _alarms.c.chain_id,
    )
    with db.connect(write=False) as conn:
        ups = conn.execute(
            sa.select(*cols)
            .where(~raised, _alarms.c.created_at >= since)
            .order_by(_alarms.c.id)
            .limit(limit)
        ).all()
        downs = conn.execute(
            sa.select(*cols)
            .where(~resolved, _alarms.c.resolved_at.is_not(None), _alarms.c.resolved_at >= since)
            .order_by(_alarms.c.id)
            .limit(limit)
        ).all()
    return [_alarm_event(r, "raise", r.created_at) for r in ups] + [
        _alarm_event(r, "resolve", r.resolved_at) for r in downs
    ]


def _alarm_event(r: Any, event: str, at: datetime) -> AlarmEvent:
    """One raise or resolution of the alarm row ``r``, that happened ``at``."""
    return AlarmEvent(
        int(r.id),
        event,
        str(r.kind),
        r.batch_id,
        str(r.message),
        int(r._mapping["count"]),
        as_utc(at) or at,
        r.chain_id,
    )


def claim_notification(db: Database, alarm_id: int, event: str) -> bool:
    """Mark an alarm event queued; False when some process already did."""
    return db.insert_new(_notes, dict(alarm_id=alarm_id, event=event, queued_at=utcnow()))
