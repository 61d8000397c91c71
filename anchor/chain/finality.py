"""Finality and canonicality reads: which height is final, and is a block still canonical.

A batch is final when its receipt's block is at or below the finalized height and that block
is still the canonical block at its height. The finalized height comes from the chain's
``finalized`` tag, or from ``head - depth`` when a depth is configured (chains without the tag).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from anchor.errors import ChainError


@dataclass(frozen=True)
class ChainHead:
    """The heights the confirmation step needs, read once per tick."""

    latest: int
    finalized: int


def read_head(w3: Any, *, finality_depth: int | None) -> ChainHead:
    """The latest height and the finalized height (tag, or ``latest - finality_depth``)."""
    latest = int(w3.eth.block_number)
    if finality_depth is not None:
        return ChainHead(latest=latest, finalized=max(-1, latest - int(finality_depth)))
    try:
        block = w3.eth.get_block("finalized")
    except Exception as exc:  # the node does not know the tag
        if _is_unknown_tag(exc):
            raise ChainError(
                "the chain has no `finalized` block tag: configure finality_depth"
            ) from None
        raise
    return ChainHead(latest=latest, finalized=int(block["number"]))


def canonical_hash(w3: Any, number: int) -> bytes | None:
    """The hash of the canonical block at ``number``; None when the chain is shorter."""
    try:
        block = w3.eth.get_block(number)
    except Exception as exc:
        if type(exc).__name__ == "BlockNotFound":
            return None
        raise
    return bytes(block["hash"])


def is_canonical(w3: Any, number: int, block_hash: bytes) -> bool:
    """Is ``block_hash`` the canonical block at ``number``?"""
    found = canonical_hash(w3, number)
    return found is not None and found == bytes(block_hash)


def is_final(head: ChainHead, number: int) -> bool:
    """Is a block at ``number`` at or below the finalized height? (Check canonicality apart.)"""
    return number <= head.finalized


def _is_unknown_tag(exc: Exception) -> bool:
    text = str(exc).lower()
    return "finalized" in text or "unknown block" in text or "invalid block" in text
