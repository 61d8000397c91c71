"""``GET /v1/alarms``: what an operator must look at (operator only)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query

from anchor.api.deps import get_db, require_operator
from anchor.store.alarms import list_alarms as stored_alarms
from anchor.store.db import Database
from anchor.store.tx_models import Alarm, as_utc

router = APIRouter(prefix="/v1", tags=["operator"])


def alarm_json(alarm: Alarm) -> dict[str, Any]:
    def when(value: Any) -> str | None:
        found = as_utc(value)
        return None if found is None else found.isoformat()

    return {
        "id": alarm.id,
        "kind": alarm.kind,
        "batch_id": alarm.batch_id,
        "message": alarm.message,
        "count": alarm.count,
        "created_at": when(alarm.created_at),
        "last_seen_at": when(alarm.last_seen_at),
        "resolved_at": when(alarm.resolved_at),
    }


@router.get("/alarms", dependencies=[Depends(require_operator)])
def list_alarms(
    include_resolved: bool = Query(False, alias="all", description="include resolved alarms"),
    db: Database = Depends(get_db),
) -> dict[str, Any]:
    """Open alarms (and resolved ones with ``?all=true``), oldest first."""
    rows = [alarm_json(a) for a in stored_alarms(db, include_resolved=include_resolved)]
    return {"alarms": rows, "open": sum(1 for r in rows if r["resolved_at"] is None)}
