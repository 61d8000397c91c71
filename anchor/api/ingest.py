"""Operator ingest endpoints.

* ``POST /v1/records`` — one record as a JSON object.
* ``POST /v1/records/bulk`` — NDJSON (one record per line; blank lines are skipped but
  counted). ``?skip_bad=true`` stores the good lines and lists the bad ones.

Both need the operator API key. Answers: 201 with the counts and seqs when something new
was stored, 200 when everything was already there (idempotent replay); 422 naming the line
and field of a bad record (nothing stored); 409 when a record id exists with different
content (nothing stored); 400 for an empty body.

With a receipt key configured (docs/receipt-format.md): ``POST /v1/records`` answers the
record's signed ``receipt`` (a replay answers the receipt it was given first, if any);
``POST /v1/records/bulk`` answers the load's signed ``receipt`` (root, seq range,
deadline, signature: one signature for the load) and where to page through every
record's receipt (``GET /v1/receipts/loads/{id}``): a load of 10^5 records is not
answered 10^5 paths. Without a receipt key ``receipt`` is null and ingest runs as before.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from anchor.api.deps import get_db, require_operator
from anchor.api.openapi import array_of, typed
from anchor.api.receipts import RECEIPT_SCHEMA, SIGNED_LOAD_SCHEMA, receipt_signer
from anchor.errors import InputError
from anchor.service.ingest import IngestResult, ingest
from anchor.service.receipts import ReceiptSigner, receipt_for_record, receipts_of_load
from anchor.store.db import Database

router = APIRouter(prefix="/v1/records", tags=["ingest"], dependencies=[Depends(require_operator)])

MAX_BODY_BYTES = 512 * 1024 * 1024

_RESULT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        **typed("integer", "accepted duplicates"),
        **typed(["integer", "null"], "first_seq last_seq"),
        "rejected": array_of({"line": {"type": "integer"}, **typed("string", "field problem")}),
    },
}
_RESULT_SCHEMA["properties"]["receipt"] = {
    "oneOf": [{"type": "null"}, RECEIPT_SCHEMA, SIGNED_LOAD_SCHEMA],
    "description": "single: the record's receipt; bulk: the signed load (null: no receipts)",
}
_ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        **typed("string", "error detail field problem"),
        "line": {"type": ["integer", "null"]},
    },
}


def _responses() -> dict[int | str, dict[str, Any]]:
    ok = {"content": {"application/json": {"schema": _RESULT_SCHEMA}}}
    err = {"content": {"application/json": {"schema": _ERROR_SCHEMA}}}
    return {
        201: {"description": "stored", **ok},
        200: {"description": "nothing new (every record was already stored)", **ok},
        400: {"description": "empty or unreadable body", **err},
        401: {"description": "operator API key missing or wrong"},
        409: {"description": "a record id exists with different content", **err},
        422: {"description": "a record is invalid (line and field named)", **err},
    }


async def _body(request: Request) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise InputError(f"body too large (limit {MAX_BODY_BYTES} bytes)")
    chunks: list[bytes] = []
    size = 0
    async for part in request.stream():
        size += len(part)
        if size > MAX_BODY_BYTES:
            raise InputError(f"body too large (limit {MAX_BODY_BYTES} bytes)")
        chunks.append(part)
    body = b"".join(chunks)
    if not body.strip():
        raise InputError("empty body: no records")
    return body


def _answer(result: IngestResult, receipt: dict[str, Any] | None = None) -> JSONResponse:
    body = {**result.to_json(), "receipt": receipt}
    return JSONResponse(body, status_code=201 if result.accepted else 200)


def _record_id(body: bytes) -> str | None:
    try:
        obj = json.loads(body)
    except ValueError:
        return None
    rid = obj.get("record_id") if isinstance(obj, dict) else None
    return rid if isinstance(rid, str) else None


def _one_receipt(db: Database, result: IngestResult, body: bytes) -> dict[str, Any] | None:
    """The receipt of the record just stored, or of the stored record a replay names."""
    if result.load_id is not None:
        found = receipts_of_load(db, result.load_id, 0, 1)
        return found[0].to_obj() if found else None
    rid = _record_id(body) if result.duplicates else None
    again = None if rid is None else receipt_for_record(db, rid)
    return None if again is None else again.to_obj()


def _references(request: Request) -> str:
    """The app's ``reference_checks`` setting ("off" without a config)."""
    return str(getattr(getattr(request.app.state, "config", None), "reference_checks", "off"))


def _counted(
    db: Database, items: Any, skip_bad: bool, signer: Any = None, references: str = "off"
) -> Any:
    """:func:`ingest` (receipts signed by ``signer`` when given; ``references``: the
    ``reference_checks`` setting), counting refused records (``anchor_records_rejected_total``)."""
    from anchor.errors import RecordError
    from anchor.service.metrics import RECORDS_REJECTED

    try:
        result = ingest(db, items, skip_bad=skip_bad, receipts=signer, references=references)
    except RecordError:
        RECORDS_REJECTED.inc()
        raise
    if result.rejected:
        RECORDS_REJECTED.inc(len(result.rejected))
    return result


def _ingest_route(path: str, summary: str, media_type: str, body_type: str) -> Any:
    """The decorator of an ingest route: 201 when something new was stored, the shared
    answers of :func:`_responses`, a required body of ``media_type`` (schema ``body_type``)."""
    return router.post(
        path,
        summary=summary,
        status_code=201,
        response_class=JSONResponse,
        responses=_responses(),
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {media_type: {"schema": {"type": body_type}}},
            }
        },
    )


@_ingest_route("", "Ingest one record", "application/json", "object")
async def post_record(
    request: Request,
    db: Database = Depends(get_db),
    signer: ReceiptSigner | None = Depends(receipt_signer),
) -> JSONResponse:
    body = await _body(request)
    references = _references(request)

    def run() -> tuple[IngestResult, dict[str, Any] | None]:
        result = _counted(db, [body], False, signer, references)
        return result, None if signer is None else _one_receipt(db, result, body)

    result, receipt = await run_in_threadpool(run)
    return _answer(result, receipt)


@_ingest_route("/bulk", "Ingest NDJSON (one record per line)", "application/x-ndjson", "string")
async def post_bulk(
    request: Request,
    skip_bad: bool = Query(False, description="store the good lines, report the bad ones"),
    db: Database = Depends(get_db),
    signer: ReceiptSigner | None = Depends(receipt_signer),
) -> JSONResponse:
    body = await _body(request)
    lines = body.split(b"\n")
    result = await run_in_threadpool(_counted, db, lines, skip_bad, signer, _references(request))
    receipt = None
    if result.receipt is not None and result.load_id is not None:
        receipt = {
            **result.receipt.to_obj(),
            "loadId": result.load_id,
            "receiptsUrl": f"/v1/receipts/loads/{result.load_id}",
        }
    return _answer(result, receipt)
