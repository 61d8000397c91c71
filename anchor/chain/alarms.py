"""Alarms: what the anchorer needs an operator for (out of funds, a reverted transaction, a
reorg below finality, a conflicting root on chain...). One open row per kind and batch;
repeats count up. Read by ``GET /v1/alarms`` and ``anchor alarms``."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from sqlmodel import Session, col, select

from anchor.store.tx_models import Alarm, utcnow

if TYPE_CHECKING:
    from anchor.store.db import Database

log = logging.getLogger("anchor.txmanager")


def raise_alarm(session: Session, kind: str, batch_id: int | None, message: str) -> Alarm:
    """Persist an alarm (one open row per kind and batch; repeats count up) and log it."""
    existing = session.exec(
        select(Alarm).where(
            Alarm.kind == kind,
            Alarm.batch_id == batch_id if batch_id is not None else col(Alarm.batch_id).is_(None),
            col(Alarm.resolved_at).is_(None),
        )
    ).first()
    now = utcnow()
    if existing is not None:
        existing.count += 1
        existing.last_seen_at = now
        existing.message = message
        session.add(existing)
        log.debug("alarm %s (batch %s) again: %s", kind, batch_id, message)
        return existing
    alarm = Alarm(kind=kind, batch_id=batch_id, message=message, created_at=now, last_seen_at=now)
    session.add(alarm)
    log.error("ALARM %s (batch %s): %s", kind, batch_id, message)
    return alarm


def resolve_alarms(session: Session, kind: str, batch_id: int | None = None) -> int:
    """Mark the open alarms of ``kind`` (for ``batch_id`` when given) resolved."""
    query = select(Alarm).where(Alarm.kind == kind, col(Alarm.resolved_at).is_(None))
    if batch_id is not None:
        query = query.where(Alarm.batch_id == batch_id)
    rows = session.exec(query).all()
    for alarm in rows:
        alarm.resolved_at = utcnow()
        session.add(alarm)
        log.warning("alarm %s (batch %s) resolved", alarm.kind, alarm.batch_id)
    return len(rows)


def open_alarms(db: Database) -> list[Alarm]:
    with db.session(write=False) as s:
        return list(
            s.exec(
                select(Alarm).where(col(Alarm.resolved_at).is_(None)).order_by(col(Alarm.id))
            ).all()
        )
