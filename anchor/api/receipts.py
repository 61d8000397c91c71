"""Signed ingest receipts over HTTP (docs/receipt-format.md, "Over HTTP").

* ``GET /v1/receipts/signer`` (public): the receipt signer's address and the promised
  maximum merge delay (verify receipts against the address the exchange publishes).
* ``GET /v1/receipts/missed`` (public): missed promises, newest first: loads whose
  deadline passed before all their records were in a final batch.
* ``GET /v1/receipts/records/{record_id}`` (operator): one record's receipt.
* ``GET /v1/receipts/loads/{load_id}`` (operator): a page of a load's receipts, seq order
  (``offset``, ``limit`` <= 10,000) — a bulk load's answer carries only its signed load.

The ingest routes (``anchor.api.ingest``) answer the receipt of a single record and the
signed load of a bulk load.
"""

from __future__ import annotations

import time
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from anchor.api.deps import get_db, require_operator
from anchor.api.guard import problem
from anchor.api.openapi import array_of, typed
from anchor.core.receipt import FORMAT, LOAD_FORMAT
from anchor.service.receipts import ReceiptSigner, receipt_for_record, receipts_of_load
from anchor.store.db import Database
from anchor.store.receipts import LoadRow, load_by_id, missed_loads

__all__ = ["RECEIPT_SCHEMA", "SIGNED_LOAD_SCHEMA", "receipt_signer", "router"]

router = APIRouter(prefix="/v1/receipts", tags=["receipts"])

MAX_PAGE = 10_000

_HEX = {"type": "string", "pattern": "^0x[0-9a-f]*$"}


def _signed_schema(
    fmt: str, description: str, fields: dict[str, Any], added: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The schema of a signed object of format ``fmt``: ``format``, ``fields``, ``signer``
    and ``signature``, all required, in that order; then the fields the server ``added``."""
    signed = {"format": {"const": fmt}, **fields, "signer": _HEX, "signature": _HEX}
    return {
        "type": "object",
        "description": description,
        "required": list(signed),
        "properties": {**signed, **(added or {})},
    }


SIGNED_LOAD_SCHEMA = _signed_schema(
    LOAD_FORMAT,
    f"A signed load ({LOAD_FORMAT}): one EIP-712 signature for the whole load",
    {
        "root": _HEX,
        "firstSeq": {"type": "integer"},
        "count": {"type": "integer"},
        "ingestedAt": {"type": "integer"},
        "deadline": {"type": "integer"},
    },
    {"loadId": {"type": "integer"}, "receiptsUrl": {"type": "string"}},
)
RECEIPT_SCHEMA = _signed_schema(
    FORMAT,
    f"One record's receipt ({FORMAT})",
    {
        "recordId": {"type": "string"},
        "leaf": _HEX,
        "seq": {"type": "integer"},
        "ingestedAt": {"type": "integer"},
        "deadline": {"type": "integer"},
        "load": {"type": "object"},
    },
)
_MISSED_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "signer": {"type": ["string", "null"]},
        "now": {"type": "integer"},
        "missed": array_of(
            {
                **typed("integer", "load_id first_seq last_seq count ingested_at deadline"),
                "final_at": {"type": ["integer", "null"]},
                "late_seconds": {"type": "integer"},
                "settled": {"type": "boolean"},
            }
        ),
    },
}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def receipt_signer(request: Request) -> ReceiptSigner | None:
    """The app's receipt signer (None: no receipt key configured, no receipts)."""
    signer: ReceiptSigner | None = getattr(request.app.state, "receipt_signer", None)
    return signer


DbDep = Annotated[Database, Depends(get_db)]
SignerDep = Annotated[ReceiptSigner | None, Depends(receipt_signer)]


@router.get(
    "/signer",
    responses={200: _json({"type": "object"}, "the receipt signer (null: no receipts)")},
)
def signer_info(signer: SignerDep) -> JSONResponse:
    """The address receipts are signed with (publish it beside the registry address)."""
    return JSONResponse(
        {
            "signer": None if signer is None else signer.address,
            "max_merge_delay_seconds": None if signer is None else signer.max_merge_delay_seconds,
            "format": FORMAT,
        }
    )


def missed_obj(row: LoadRow, now: int) -> dict[str, Any]:
    """One missed promise as JSON (explorer, report)."""
    end = row.final_at if row.final_at is not None else now
    return {
        "load_id": row.id,
        "first_seq": row.first_seq,
        "last_seq": row.last_seq,
        "count": row.count,
        "ingested_at": row.ingested_at,
        "deadline": row.deadline,
        "final_at": row.final_at,
        "late_seconds": max(0, end - row.deadline),
        "settled": row.outcome == "missed",
    }


@router.get("/missed", responses={200: _json(_MISSED_SCHEMA, "missed promises, newest first")})
def missed(
    db: DbDep,
    signer: SignerDep,
    limit: int = Query(200, ge=1, le=1000, description="at most this many"),
) -> JSONResponse:
    """Loads whose promised deadline passed before every record was final on chain."""
    now = int(time.time())
    rows = missed_loads(db, now, limit=limit)
    return JSONResponse(
        {
            "signer": None if signer is None else signer.address,
            "now": now,
            "missed": [missed_obj(r, now) for r in rows],
        }
    )


def _operator_get(path: str, schema: dict[str, Any], found: str, missing: str) -> Any:
    """The decorator of an operator-only lookup: 200 ``found`` (``schema``), 404 ``missing``."""
    return router.get(
        path,
        dependencies=[Depends(require_operator)],
        responses={200: _json(schema, found), 404: {"description": missing}},
    )


@_operator_get(
    "/records/{record_id}",
    RECEIPT_SCHEMA,
    "the record's receipt",
    "no such record, or it was stored without a receipt",
)
async def record_receipt(
    db: DbDep, record_id: str = Path(min_length=1, max_length=128)
) -> JSONResponse:
    """A stored record's signed receipt (its path to its load's signed root)."""
    found = await run_in_threadpool(receipt_for_record, db, record_id)
    if found is None:
        return problem(404, "no receipt for this record id")
    return JSONResponse(found.to_obj())


_PAGE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "load": SIGNED_LOAD_SCHEMA,
        "offset": {"type": "integer"},
        "next_offset": {"type": ["integer", "null"]},
        "receipts": {"type": "array", "items": RECEIPT_SCHEMA},
    },
}


@_operator_get("/loads/{load_id}", _PAGE_SCHEMA, "a page of the load's receipts", "no such load")
async def load_receipts(
    db: DbDep,
    load_id: int = Path(ge=1, le=2**62),
    offset: int = Query(0, ge=0, le=2**62),
    limit: int = Query(1000, ge=1, le=MAX_PAGE),
) -> JSONResponse:
    """The receipts of a load's records from ``offset`` on, in seq order."""
    row = await run_in_threadpool(load_by_id, db, load_id)
    if row is None:
        return problem(404, f"no load {load_id}")
    page = await run_in_threadpool(receipts_of_load, db, load_id, offset, limit)
    nxt = offset + len(page)
    return JSONResponse(
        {
            "load": {**row.signed().to_obj(), "loadId": row.id},
            "offset": offset,
            "next_offset": nxt if nxt < row.count else None,
            "receipts": [r.to_obj() for r in page],
        }
    )
