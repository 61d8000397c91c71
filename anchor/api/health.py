"""``GET /readyz``: can this process do its job right now?

``/healthz`` (in :mod:`anchor.api.app`) stays a liveness check: the process answers and its
database is reachable. ``/readyz`` adds what an operator must not miss: a final batch that
is not on enough backup targets in time makes it answer ``503`` (problem+json, the reason in
``detail``, the failed checks in ``checks``) until the backups catch up. It reads only the
database, so every API process gives the same answer whichever process runs the backups.
Target names are not disclosed (the endpoint needs no credentials).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from anchor.api.deps import get_config, get_db
from anchor.api.guard import problem
from anchor.config import Config
from anchor.store.db import Database

router = APIRouter(tags=["health"])


class Ready(BaseModel):
    status: str
    schema_version: int
    backups: str


@router.get(
    "/readyz",
    response_model=Ready,
    responses={503: {"description": "degraded: the database is down or backups lag"}},
)
def readyz(db: Database = Depends(get_db), config: Config = Depends(get_config)) -> Any:
    """Ready (200) or degraded (503, problem+json with the reason)."""
    from anchor.backup.watch import backup_health

    try:
        version = db.schema_version()
    except Exception as exc:  # the database is down: report, do not raise
        return problem(
            503,
            f"database unavailable ({exc.__class__.__name__})",
            error="degraded",
            checks=["database"],
        )
    if not config.backup_targets:
        return Ready(status="ready", schema_version=version, backups="none configured")
    health = backup_health(db, config)
    if not health.ok:
        return problem(503, f"backups lag: {health.reason}", error="degraded", checks=["backups"])
    return Ready(status="ready", schema_version=version, backups="ok")
