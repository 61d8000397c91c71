"""The standalone verifier: checks a proof bundle without trusting the service.

Offline it recomputes leaf and root; online it reads the root from the contract over any
JSON-RPC endpoint and checks the anchoring transaction's block is canonical and final.
It needs only the base install (httpx, tiny_keccak): no web3, database or web framework.
"""

from __future__ import annotations

from anchor.verifier.verify import (
    ANCHORED_EVENT,
    DEFAULT_FALLBACK_DEPTH,
    VerifyResult,
    verify_bundle_offline,
    verify_bundle_online,
)

__all__ = [
    "ANCHORED_EVENT",
    "DEFAULT_FALLBACK_DEPTH",
    "VerifyResult",
    "verify_bundle_offline",
    "verify_bundle_online",
]
