"""keccak256, the only hash function of the core (Ethereum's, not NIST SHA3-256)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from tiny_keccak import keccak256 as _keccak256

__all__ = ["keccak256"]

#: The 32-byte keccak256 digest of ``data`` (tiny_keccak's function itself: no wrapper call
#: on the hot paths, a proof's ~40 hashes).
keccak256: Final[Callable[[bytes], bytes]] = _keccak256
