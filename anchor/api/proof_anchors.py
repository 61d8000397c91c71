"""The anchors a proof bundle lists (issue 18): with several chains configured, a bundle is
v2 and names the batch's anchor on each chain (docs/proof-format.md), read from the
transaction manager's jobs; with one chain it stays v1 (:func:`anchor.api.proofs.anchor_info`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from anchor.config_chains import chains_of
from anchor.core.proof import AnchorInfo
from anchor.store.tx_views import anchors_of

if TYPE_CHECKING:
    from anchor.config import Config
    from anchor.store.db import Database

__all__ = ["chain_anchors"]


def _bytes(value: str | None) -> bytes | None:
    return None if value is None else bytes.fromhex(value.removeprefix("0x"))


def chain_anchors(db: Database, batch_id: int, config: Config | None) -> list[AnchorInfo] | None:
    """The batch's anchor on each configured chain (``pending`` where a chain has not
    included it yet); None with one chain (a v1 bundle)."""
    chains = chains_of(config) if config is not None else ()
    if len(chains) < 2:
        return None
    jobs = {t.chain_id: t for t in anchors_of(db, [batch_id]).get(batch_id, [])}
    out = []
    for c in chains:
        if c.chain_id is None or not c.contract_address:
            continue
        job = jobs.get(c.chain_id)
        contract = (job.contract if job else c.contract_address).lower()
        if job is None or job.state not in ("included", "final") or job.tx_hash is None:
            out.append(AnchorInfo(chain_id=c.chain_id, contract=contract, status="pending"))
            continue
        out.append(
            AnchorInfo(
                chain_id=c.chain_id,
                contract=contract,
                tx_hash=_bytes(job.tx_hash),
                block_number=job.block_number,
                block_hash=_bytes(job.block_hash),
                status=job.state,
            )
        )
    return out or None
