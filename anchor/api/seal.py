"""``POST /v1/seal``: seal the pending records now (operator only) and wake the anchorer.

In a process that runs the anchorer too (``anchor serve --role all``) the anchor tick runs at
once; with ``--role api`` the running anchorer picks the sealed batch up on its next tick.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request

from anchor.api.deps import get_config, get_db, require_operator
from anchor.config import Config
from anchor.store.db import Database

router = APIRouter(prefix="/v1", tags=["operator"])


@router.post("/seal", dependencies=[Depends(require_operator)], status_code=200)
def seal_now(
    request: Request,
    db: Database = Depends(get_db),
    config: Config = Depends(get_config),
) -> dict[str, Any]:
    """Seal every pending record into batches (at most ``batch_max_records`` each)."""
    from anchor.service.anchoring import Anchorer

    sealed = Anchorer(db, config, backups=False).seal_pending()
    scheduler = getattr(request.app.state, "anchor_scheduler", None)
    if scheduler is not None:
        scheduler.wakeup()
    return {
        "sealed": [
            {"id": b.id, "leaf_count": b.leaf_count, "root": "0x" + bytes(b.root).hex()}
            for b in sealed
        ],
        "anchoring": "now" if scheduler is not None else "next anchorer tick",
    }
