"""Backup health, read from the database (any process can ask: the API's ``/readyz`` and
``/metrics``, ``anchor backup status``, the anchorer's alarm check).

* :class:`BackupTargetState` — the table of migration 0007: per target, its state as the
  backup job last saw it (``ok`` / ``unavailable`` / ``conflict``), the last error, when the
  state changed. Written only on a change (:func:`set_target_state`).
* :func:`target_coverage` — per target: the highest batch whose bundle it holds, how many
  sealed and final batches it lacks, since when the oldest missing final batch is final.
* :func:`late_batches` — final batches, final for longer than a delay, whose bundle is on
  fewer than N of the given targets.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from anchor.store.backup_models import KIND_BUNDLE, BackupObject
from anchor.store.db import Database
from anchor.store.models import Batch, BatchState
from anchor.store.tx_models import as_utc, utcnow

__all__ = [
    "ALARM_BACKUP_BEHIND",
    "ALARM_BACKUP_KINDS",
    "ALARM_BACKUP_MISMATCH",
    "ALARM_BACKUP_UNREACHABLE",
    "STATE_CONFLICT",
    "STATE_OK",
    "STATE_UNAVAILABLE",
    "BackupTargetState",
    "LateBatches",
    "TargetCoverage",
    "late_batches",
    "set_target_state",
    "target_coverage",
    "target_states",
]

# alarms.kind of the backup alarms
ALARM_BACKUP_UNREACHABLE = "backup_target_unreachable"
ALARM_BACKUP_BEHIND = "backup_target_behind"
ALARM_BACKUP_MISMATCH = "backup_bundle_mismatch"
ALARM_BACKUP_KINDS = (ALARM_BACKUP_UNREACHABLE, ALARM_BACKUP_BEHIND, ALARM_BACKUP_MISMATCH)

STATE_OK = "ok"
STATE_UNAVAILABLE = "unavailable"
STATE_CONFLICT = "conflict"


class BackupTargetState(SQLModel, table=True):
    """A backup target's state as the backup job last saw it."""

    __tablename__ = "backup_target_state"

    target: str = Field(sa_column=sa.Column(sa.String, primary_key=True))
    state: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    last_error: str | None = Field(default=None, sa_column=sa.Column(sa.Text, nullable=True))
    last_error_at: datetime | None = Field(
        default=None, sa_column=sa.Column(sa.DateTime(timezone=True), nullable=True)
    )
    changed_at: datetime = Field(sa_column=sa.Column(sa.DateTime(timezone=True), nullable=False))


@dataclass(frozen=True)
class TargetCoverage:
    """What one target holds, compared with the batches table."""

    target: str
    last_batch: int | None  # highest batch id whose bundle is on the target
    bundles: int  # batches whose bundle is on it
    missing: int  # sealed batches (any state) not on it
    missing_final: int  # final batches not on it
    oldest_missing_final_at: datetime | None


@dataclass(frozen=True)
class LateBatches:
    """Final batches on too few targets for too long: how many, and the first few ids."""

    count: int
    batch_ids: tuple[int, ...]
    oldest_final_at: datetime | None


_objects = BackupObject.__table__  # type: ignore[attr-defined]
_batches = Batch.__table__  # type: ignore[attr-defined]
_states = BackupTargetState.__table__  # type: ignore[attr-defined]


def _final_time() -> sa.ColumnElement[datetime]:
    return sa.func.coalesce(_batches.c.final_at, _batches.c.sealed_at)


def target_states(db: Database) -> dict[str, BackupTargetState]:
    """Every recorded target state, by target name."""
    with db.connect(write=False) as conn:
        rows = conn.execute(sa.select(_states)).all()
    return {
        r.target: BackupTargetState(
            target=r.target,
            state=r.state,
            last_error=r.last_error,
            last_error_at=as_utc(r.last_error_at),
            changed_at=as_utc(r.changed_at) or r.changed_at,
        )
        for r in rows
    }


def set_target_state(db: Database, target: str, state: str, error: str | None) -> None:
    """Record ``target``'s new state (and ``error`` when there is one)."""
    now = utcnow()
    values: dict[str, object] = {"state": state, "changed_at": now}
    if error is not None:
        values.update(last_error=error, last_error_at=now)
    with db.connect(write=True) as conn:
        done = conn.execute(
            _states.update().where(_states.c.target == target).values(**values)
        ).rowcount
        if not done:
            conn.execute(_states.insert().values(target=target, **values))


def target_coverage(db: Database, targets: Sequence[str]) -> list[TargetCoverage]:
    """Per target (in the given order): what it holds and what it lacks."""
    out: list[TargetCoverage] = []
    with db.connect(write=False) as conn:
        for target in targets:
            held = conn.execute(
                sa.select(
                    sa.func.max(_objects.c.batch_id).label("last"),
                    sa.func.count(sa.distinct(_objects.c.batch_id)).label("n"),
                ).where(_objects.c.kind == KIND_BUNDLE, _objects.c.target == target)
            ).one()
            on_target = sa.exists().where(
                _objects.c.batch_id == _batches.c.id,
                _objects.c.kind == KIND_BUNDLE,
                _objects.c.target == target,
            )
            lacking = conn.execute(
                sa.select(sa.func.count().label("n")).select_from(_batches).where(~on_target)
            ).one()
            lacking_final = conn.execute(
                sa.select(sa.func.count().label("n"), sa.func.min(_final_time()).label("oldest"))
                .select_from(_batches)
                .where(~on_target, _batches.c.state == BatchState.FINAL.value)
            ).one()
            out.append(
                TargetCoverage(
                    target=target,
                    last_batch=int(held.last) if held.last is not None else None,
                    bundles=int(held.n or 0),
                    missing=int(lacking.n or 0),
                    missing_final=int(lacking_final.n or 0),
                    oldest_missing_final_at=_as_dt(lacking_final.oldest),
                )
            )
    return out


def late_batches(
    db: Database, targets: Sequence[str], *, minimum: int, final_before: datetime, limit: int = 20
) -> LateBatches:
    """Final batches, final at or before ``final_before``, whose bundle is on fewer than
    ``minimum`` of ``targets``."""
    if minimum <= 0 or not targets:
        return LateBatches(0, (), None)
    copies = (
        sa.select(sa.func.count(sa.distinct(_objects.c.target)))
        .where(
            _objects.c.batch_id == _batches.c.id,
            _objects.c.kind == KIND_BUNDLE,
            _objects.c.target.in_(list(targets)),
        )
        .scalar_subquery()
    )
    where = (
        _batches.c.state == BatchState.FINAL.value,
        _final_time() <= final_before,
        copies < minimum,
    )
    with db.connect(write=False) as conn:
        summary = conn.execute(
            sa.select(sa.func.count().label("n"), sa.func.min(_final_time()).label("oldest"))
            .select_from(_batches)
            .where(*where)
        ).one()
        ids = conn.execute(
            sa.select(_batches.c.id).where(*where).order_by(_batches.c.id).limit(limit)
        ).all()
    return LateBatches(
        count=int(summary.n or 0),
        batch_ids=tuple(int(r.id) for r in ids),
        oldest_final_at=_as_dt(summary.oldest),
    )


def _as_dt(value: object) -> datetime | None:
    """A time stamp from an aggregate (SQLite hands back text for MIN() of a COALESCE)."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return as_utc(value)
    return as_utc(datetime.fromisoformat(str(value)))
