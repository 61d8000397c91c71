"""Alarms: what the anchorer needs an operator for (out of funds, a reverted transaction, a
reorg below finality, a conflicting root on chain, a stall, a backup behind...). The kinds are
named in :mod:`anchor.store.tx_models` (and :mod:`anchor.store.backup_status`).

One open row per kind and batch; repeats count up. Raising writes one ERROR line, a repeat
one DEBUG line, a resolution one WARNING line: the log and the table say the same thing,
whichever layer raised it (the transaction manager, the watchdog, the operations step, the
backup job). Read by ``GET /v1/alarms``, ``anchor alarms`` and the webhooks.

:func:`raise_alarm` and :func:`resolve_alarms` work inside a caller's transaction (an alarm
is committed with the state change it reports); the others open their own.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from sqlmodel import Session, col, select

from anchor.store.tx_models import Alarm, utcnow

if TYPE_CHECKING:
    from anchor.store.db import Database

__all__ = [
    "list_alarms",
    "open_alarms",
    "raise_alarm",
    "raise_alarm_now",
    "resolve_alarm",
    "resolve_alarms",
    "resolve_alarms_now",
    "sync_alarms",
]

# the logger alarm lines have always carried: log-based alerting may key on it
log = logging.getLogger("anchor.txmanager")


def raise_alarm(
    session: Session, kind: str, batch_id: int | None, message: str, *, chain_id: int | None = None
) -> Alarm:
    """Persist an alarm (one open row per kind, batch and chain; repeats count up) and log
    it. ``chain_id``: the chain it concerns (None: no chain in particular)."""
    existing = session.exec(
        select(Alarm).where(
            Alarm.kind == kind,
            Alarm.batch_id == batch_id if batch_id is not None else col(Alarm.batch_id).is_(None),
            Alarm.chain_id == chain_id if chain_id is not None else col(Alarm.chain_id).is_(None),
            col(Alarm.resolved_at).is_(None),
        )
    ).first()
    now = utcnow()
    where = "" if chain_id is None else f", chain {chain_id}"
    if existing is not None:
        existing.count += 1
        existing.last_seen_at = now
        existing.message = message
        session.add(existing)
        log.debug("alarm %s (batch %s%s) again: %s", kind, batch_id, where, message)
        return existing
    alarm = Alarm(
        kind=kind,
        batch_id=batch_id,
        chain_id=chain_id,
        message=message,
        created_at=now,
        last_seen_at=now,
    )
    session.add(alarm)
    log.error("ALARM %s (batch %s%s): %s", kind, batch_id, where, message)
    return alarm


def resolve_alarms(
    session: Session, kind: str, batch_id: int | None = None, *, chain_id: int | None = None
) -> int:
    """Mark the open alarms of ``kind`` (for ``batch_id`` / ``chain_id`` when given)
    resolved."""
    query = select(Alarm).where(Alarm.kind == kind, col(Alarm.resolved_at).is_(None))
    if batch_id is not None:
        query = query.where(Alarm.batch_id == batch_id)
    if chain_id is not None:
        query = query.where(Alarm.chain_id == chain_id)
    rows = session.exec(query).all()
    for alarm in rows:
        alarm.resolved_at = utcnow()
        session.add(alarm)
        log.warning("alarm %s (batch %s) resolved", alarm.kind, alarm.batch_id)
    return len(rows)


def raise_alarm_now(
    db: Database,
    kind: str,
    batch_id: int | None,
    message: str,
    *,
    lock: str | None = None,
    chain_id: int | None = None,
) -> None:
    """:func:`raise_alarm` in a transaction of its own, under the advisory lock ``lock`` when
    given (several processes raising the same alarm then leave one open row)."""
    with db.session() as s:
        if lock is not None:
            db.xact_lock(s, lock)
        raise_alarm(s, kind, batch_id, message, chain_id=chain_id)


def resolve_alarms_now(
    db: Database,
    kind: str,
    batch_id: int | None = None,
    *,
    lock: str | None = None,
    chain_id: int | None = None,
) -> int:
    """:func:`resolve_alarms` in a transaction of its own (under ``lock`` when given)."""
    with db.session() as s:
        if lock is not None:
            db.xact_lock(s, lock)
        return resolve_alarms(s, kind, batch_id, chain_id=chain_id)


def sync_alarms(db: Database, kinds: Iterable[str], wanted: Mapping[str, str]) -> None:
    """Raise each kind in ``wanted`` (with its message) and resolve the other ``kinds``, in
    one transaction; none at all when nothing is wanted and none of ``kinds`` is open."""
    kinds = tuple(kinds)
    if not wanted and not any(a.kind in kinds for a in open_alarms(db)):
        return
    with db.session() as s:
        for kind in kinds:
            if kind in wanted:
                raise_alarm(s, kind, None, wanted[kind])
            else:
                resolve_alarms(s, kind)


def open_alarms(db: Database) -> list[Alarm]:
    """The unresolved alarms, oldest first."""
    return list_alarms(db, include_resolved=False)


def list_alarms(db: Database, *, include_resolved: bool) -> list[Alarm]:
    """Open alarms (and resolved ones with ``include_resolved``), oldest first."""
    with db.session(write=False) as s:
        query = select(Alarm).order_by(col(Alarm.id))
        if not include_resolved:
            query = query.where(col(Alarm.resolved_at).is_(None))
        return list(s.exec(query).all())


def resolve_alarm(db: Database, alarm_id: int) -> Alarm | None:
    """The operator resolves one alarm by id (already resolved: unchanged); None when there
    is no such alarm."""
    with db.session() as s:
        alarm = s.get(Alarm, alarm_id)
        if alarm is None:
            return None
        if alarm.resolved_at is None:
            alarm.resolved_at = utcnow()
            s.add(alarm)
        return alarm
