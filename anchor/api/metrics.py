"""``GET /metrics``: Prometheus text exposition (operator only: it shows balances and backup
targets). Which metrics are per process and which are read from the database at scrape
time: :mod:`anchor.service.metrics`."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.concurrency import run_in_threadpool
from starlette.responses import Response

from anchor.api.deps import get_config, get_db, require_operator
from anchor.config import Config
from anchor.store.db import Database

router = APIRouter(tags=["operator"])

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


@router.get(
    "/metrics",
    dependencies=[Depends(require_operator)],
    response_class=Response,
    responses={
        200: {
            "description": "Prometheus text format 0.0.4",
            "content": {"text/plain": {"schema": {"type": "string"}}},
        }
    },
)
async def metrics(db: Database = Depends(get_db), config: Config = Depends(get_config)) -> Response:
    """This process's metrics and the database's (see the module docs)."""
    from anchor.service.metrics import render

    body = await run_in_threadpool(render, db, config)
    return Response(body, media_type=CONTENT_TYPE)
