"""keccak256, the only hash function of the core (Ethereum's, not NIST SHA3-256)."""

from __future__ import annotations

from tiny_keccak import keccak256 as _keccak256

__all__ = ["keccak256"]


def keccak256(data: bytes) -> bytes:
    """The 32-byte keccak256 digest of ``data``."""
    return _keccak256(data)
