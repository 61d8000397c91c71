"""secp256k1 public-key recovery (``ecrecover``) in pure Python, for the standalone verifier.

Only verification lives here (no signing, no secrets): recover the signer's Ethereum
address from a 32-byte digest and a 65-byte ``r ‖ s ‖ v`` signature, refusing malleable
(high-s) signatures as Ethereum does since EIP-2. Slow (a few ms per recovery) and plenty
for checking one receipt; the server signs with eth-account.
"""

from __future__ import annotations

from typing import Final

from anchor.core.hashing import keccak256

__all__ = ["recover_address"]

P: Final = 2**256 - 2**32 - 977
N: Final = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
G: Final = (
    0x79BE667EF9DCBBAC55A06295CE870B07029BFCDB2DCE28D959F2815B16F81798,
    0x483ADA7726A3C4655DA4FBFC0E1108A8FD17B448A68554199C47D08FFB10D4B8,
)

_Point = tuple[int, int] | None


def _add(a: _Point, b: _Point) -> _Point:
    if a is None:
        return b
    if b is None:
        return a
    if a[0] == b[0]:
        if (a[1] + b[1]) % P == 0:
            return None
        lam = 3 * a[0] * a[0] * pow(2 * a[1], -1, P) % P
    else:
        lam = (b[1] - a[1]) * pow(b[0] - a[0], -1, P) % P
    x = (lam * lam - a[0] - b[0]) % P
    return x, (lam * (a[0] - x) - a[1]) % P


def _mul(k: int, pt: _Point) -> _Point:
    out: _Point = None
    while k:
        if k & 1:
            out = _add(out, pt)
        pt = _add(pt, pt)
        k >>= 1
    return out


def recover_address(digest: bytes, signature: bytes) -> str | None:
    """The 0x address (lowercase) that signed ``digest``, or None if the signature is not a
    valid low-s secp256k1 signature (v 27/28 or 0/1)."""
    if len(digest) != 32 or len(signature) != 65:
        return None
    r = int.from_bytes(signature[:32], "big")
    s = int.from_bytes(signature[32:64], "big")
    v = signature[64]
    v = v - 27 if v >= 27 else v
    if v not in (0, 1) or not (0 < r < N) or not (0 < s <= N // 2):
        return None
    x = r
    alpha = (pow(x, 3, P) + 7) % P
    y = pow(alpha, (P + 1) // 4, P)
    if y * y % P != alpha:
        return None
    if y % 2 != v:
        y = P - y
    z = int.from_bytes(digest, "big")
    r_inv = pow(r, -1, N)
    q = _mul(r_inv, _add(_mul(s, (x, y)), _mul((-z) % N, G)))
    if q is None:
        return None
    pub = q[0].to_bytes(32, "big") + q[1].to_bytes(32, "big")
    return "0x" + keccak256(pub)[12:].hex()
