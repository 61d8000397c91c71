"""Read-only batch endpoints: ``GET /v1/batches`` and ``GET /v1/batches/{id}``.

The chain fields (tx hash, block, chain id, contract, times) are filled by the transaction
manager; they are ``null`` until then, and show the batch's most advanced anchor; ``anchors``
lists its anchor on each chain (issue 18). ``explorer`` links come from the config.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from fastapi import APIRouter, Depends, Path, Query

from anchor.api.deps import get_config, get_db
from anchor.config import Config
from anchor.errors import NotFoundError
from anchor.store import queries
from anchor.store.db import Database
from anchor.store.models import Batch
from anchor.store.tx_views import anchors_of

router = APIRouter(prefix="/v1/batches", tags=["batches"])

_MAX_ID = 2**63 - 1
StateName = Literal["sealed", "submitted", "included", "final"]


def _hex(value: bytes | None) -> str | None:
    return None if value is None else "0x" + bytes(value).hex()


def _time(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:  # SQLite hands back naive UTC
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat()


def anchors_json(jobs: list[Any], config: Config | None) -> list[dict[str, Any]]:
    """A batch's anchor on each chain (issue 18): its state there, transaction and block,
    with that chain's explorer links."""
    from anchor.config_chains import chains_of

    chains = {c.chain_id: c for c in chains_of(config)} if config is not None else {}
    out = []
    for job in jobs:
        chain = chains.get(job.chain_id)
        mined = job.state in ("included", "final")
        tx = job.tx_hash if mined or job.state == "failed" else None
        out.append(
            {
                "chain": chain.name if chain else None,
                "chain_id": job.chain_id,
                "contract": job.contract,
                "state": job.state,
                "tx_hash": tx,
                "block_number": job.block_number if mined else None,
                "block_hash": job.block_hash if mined else None,
                "reorgs": job.reorgs,
                "included_at": _time(job.included_at),
                "final_at": _time(job.final_at),
                "explorer": {
                    "tx": chain.explorer_url("tx", tx=tx) if chain and tx else None,
                    "block": chain.explorer_url("block", block=job.block_number)
                    if chain and mined and job.block_number is not None
                    else None,
                },
            }
        )
    return out


def batch_json(
    batch: Batch, config: Config | None = None, jobs: list[Any] | None = None
) -> dict[str, Any]:
    """The public JSON form of a batch (no record content, no salts); ``anchors``: its
    anchor on each chain (``jobs``, the transaction manager's, when given)."""
    tx = _hex(batch.tx_hash)
    links: dict[str, str | None] = {}
    if config is not None:
        links["tx"] = config.explorer_url("tx", tx=tx) if tx else None
        links["contract"] = (
            config.explorer_url("address", address=batch.contract) if batch.contract else None
        )
        links["block"] = (
            config.explorer_url("block", block=batch.block_number)
            if batch.block_number is not None
            else None
        )
    return {
        "id": batch.id,
        "root": _hex(batch.root),
        "leaf_count": batch.leaf_count,
        "first_seq": batch.first_seq,
        "last_seq": batch.last_seq,
        "state": batch.state,
        "sealed_at": _time(batch.sealed_at),
        "tx_hash": tx,
        "block_number": batch.block_number,
        "block_hash": _hex(batch.block_hash),
        "chain_id": batch.chain_id,
        "contract": batch.contract,
        "anchored_at": _time(batch.anchored_at),
        "final_at": _time(batch.final_at),
        "explorer": links,
        "anchors": anchors_json(jobs or [], config),
    }


@router.get("", summary="List batches, newest first")
def list_batches(
    state: StateName | None = Query(None),
    limit: int = Query(100, ge=1, le=queries.MAX_PAGE),
    before: int | None = Query(None, ge=1, le=_MAX_ID, description="page: ids below this"),
    db: Database = Depends(get_db),
    config: Config = Depends(get_config),
) -> dict[str, Any]:
    batches = queries.list_batches(db, state=state, limit=limit, before_id=before)
    jobs = anchors_of(db, [b.id for b in batches])
    return {
        "batches": [batch_json(b, config, jobs.get(b.id)) for b in batches],
        "next_before": batches[-1].id if len(batches) == limit else None,
    }


@router.get("/{batch_id}", summary="One batch", responses={404: {"description": "no such batch"}})
def get_batch(
    batch_id: int = Path(ge=1, le=_MAX_ID),
    db: Database = Depends(get_db),
    config: Config = Depends(get_config),
) -> dict[str, Any]:
    batch = queries.get_batch(db, batch_id)
    if batch is None:
        raise NotFoundError(f"batch {batch_id} not found")
    return batch_json(batch, config, anchors_of(db, [batch_id]).get(batch_id))
