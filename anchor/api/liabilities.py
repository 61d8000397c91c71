"""``GET /v1/me/liability-proof``: the caller's own liability proof (issue 17).

The same authentication as the balance proofs (a user token, ``Authorization: Bearer``); the
bundle carries the caller's account salt and leaf salt, nobody else's. Without ``round_id``,
the latest anchored round; 404 when there is none or the caller has no leaf in it.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query
from fastapi.responses import Response

from anchor.api.deps import get_db
from anchor.api.me import AccountDep
from anchor.errors import NotFoundError
from anchor.service.liabilities import prove_liability
from anchor.store.db import Database
from anchor.store.liabilities import get_round, latest_round

__all__ = ["router"]

router = APIRouter(tags=["me"])  # the caller's own proofs, as /v1/me's

DbDep = Annotated[Database, Depends(get_db)]
NOT_FOUND = "no liabilities round with a leaf of yours"


@router.get(
    "/v1/me/liability-proof",
    responses={
        200: {"description": "the bundle (ledger-anchor-liability/1), with your own salts"},
        401: {"description": "no valid user token"},
        404: {"description": NOT_FOUND},
    },
)
def liability_proof(
    account: AccountDep,
    db: DbDep,
    round_id: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None,
) -> Response:
    """The caller's liability proof in the latest anchored round (or ``round_id``, anchored)."""
    row = latest_round(db, anchored=True) if round_id is None else get_round(db, round_id)
    if row is None or row.state != "anchored":
        raise HTTPException(status_code=404, detail=NOT_FOUND)
    try:
        bundle = prove_liability(db, row, account)
    except NotFoundError:
        raise HTTPException(status_code=404, detail=NOT_FOUND) from None
    return Response(
        bundle.dumps(), media_type="application/json", headers={"Cache-Control": "no-store"}
    )
