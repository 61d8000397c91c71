"""The bytes of a Merkle sum tree (see :mod:`anchor.core.sumtree` for the tree): bounds,
the leaf and node hashes, derived salts and padding, and a path processed up to its root.
Pure Python; the accelerated paths of :mod:`anchor.core.sumtree` produce the same bytes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import Any, Final

from anchor.core.hashing import keccak256
from anchor.errors import InputError

LEAF_TAG: Final = b"\x00"
NODE_TAG: Final = b"\x01"
MAX_AMOUNT: Final = (1 << 128) - 1
MAX_SUM: Final = (1 << 160) - 1
MAX_DEPTH: Final = 32
MAX_ASSETS: Final = 16
WORD: Final = 32


class Label(IntEnum):
    """What a round's secret derives, by the byte after the secret (:func:`derive`; 3 is
    not used)."""

    SALT = 1  # a leaf's salt
    PADDING = 2  # a padding leaf's account commitment
    PERMUTATION = 4  # the draws that shuffle the leaves (anchor.core.sumtree.permutation)


class SumTreeError(InputError):
    """A round that must not be built, or a path that cannot be processed (a negative or too
    large amount, an overflowing sum, two leaves for one account, a malformed path)."""


@dataclass(frozen=True)
class LiabilityEntry:
    """One account's liabilities: its commitment, one balance per asset (the round's asset
    order) and, per asset, the id of the balance record it comes from ("" for none)."""

    account_id: str
    commitment: bytes
    balances: tuple[int, ...]
    record_ids: tuple[str, ...]


@dataclass(frozen=True)
class PathStep:
    """A sibling on the way up: its hash and its sums."""

    hash: bytes
    sums: tuple[int, ...]


def check_amount(value: Any, what: str = "balance") -> int:
    """``value`` as a balance: an int in [0, MAX_AMOUNT]; SumTreeError otherwise."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise SumTreeError(f"{what} must be an integer")
    if value < 0:
        raise SumTreeError(f"negative {what}: {value}")
    if value > MAX_AMOUNT:
        raise SumTreeError(f"{what} {value} is above 2^128 - 1")
    return value


def add_sums(a: Sequence[int], b: Sequence[int]) -> tuple[int, ...]:
    """Per-asset ``a + b``; SumTreeError when a sum would exceed MAX_SUM or an input is out of
    range (negative, or above MAX_SUM)."""
    if len(a) != len(b):
        raise SumTreeError("sums of different lengths")
    out = []
    for x, y in zip(a, b, strict=True):
        if not (0 <= x <= MAX_SUM and 0 <= y <= MAX_SUM):
            raise SumTreeError("a sum is negative or above 2^160 - 1")
        s = x + y
        if s > MAX_SUM:
            raise SumTreeError("a sum overflows 2^160 - 1")
        out.append(s)
    return tuple(out)


def _words(values: Sequence[int]) -> bytes:
    return b"".join(v.to_bytes(WORD, "big") for v in values)


def derive(secret: bytes, label: int, index: int) -> bytes:
    """``keccak256(secret ‖ uint8 label ‖ uint64 index)``: per-position salts and padding."""
    if len(secret) != 32:
        raise SumTreeError("a round secret is 32 bytes")
    return keccak256(secret + bytes([label]) + index.to_bytes(8, "big"))


def records_hash(record_ids: Sequence[str]) -> bytes:
    """``keccak256`` of the record ids joined by newlines (ids never contain one)."""
    return keccak256("\n".join(record_ids).encode("utf-8"))


def leaf_hash(
    round_id: int, commitment: bytes, salt: bytes, rec_hash: bytes, balances: Sequence[int]
) -> bytes:
    """The leaf of one account (or a padding leaf)."""
    for b in balances:
        check_amount(b)
    if len(commitment) != 32 or len(salt) != 32 or len(rec_hash) != 32:
        raise SumTreeError("commitment, salt and records hash are 32 bytes each")
    return keccak256(
        LEAF_TAG + round_id.to_bytes(8, "big") + commitment + salt + rec_hash + _words(balances)
    )


def node_hash(
    left: bytes, right: bytes, left_sums: Sequence[int], right_sums: Sequence[int]
) -> bytes:
    """An inner node's hash: both children's hashes and both children's sums."""
    return keccak256(NODE_TAG + left + right + _words(left_sums) + _words(right_sums))


def padding_leaf(
    secret: bytes, round_id: int, position: int, n_assets: int
) -> tuple[bytes, bytes, bytes]:
    """(commitment, salt, leaf hash) of the zero-balance padding leaf at ``position``."""
    commitment = derive(secret, Label.PADDING, position)
    salt = derive(secret, Label.SALT, position)
    rec = records_hash([""] * n_assets)
    return commitment, salt, leaf_hash(round_id, commitment, salt, rec, (0,) * n_assets)


def leaf_count_for(accounts: int, pad_to: int) -> int:
    """The round's leaf count: the smallest power of two >= max(accounts, pad_to, 1)."""
    n = max(accounts, pad_to, 1)
    count = 1 << (n - 1).bit_length()
    if count > 1 << MAX_DEPTH:
        raise SumTreeError(f"{accounts} accounts: above the 2^{MAX_DEPTH} leaves of a round")
    return count


def process_path(
    round_id: int,
    commitment: bytes,
    salt: bytes,
    rec_hash: bytes,
    balances: Sequence[int],
    position: int,
    path: Sequence[PathStep],
) -> tuple[bytes, tuple[int, ...]]:
    """The (root, totals) implied by a leaf at ``position`` and its path; SumTreeError for an
    amount or sum out of range, a position that does not fit the path, or a malformed step."""
    if len(path) > MAX_DEPTH:
        raise SumTreeError(f"a path has at most {MAX_DEPTH} steps")
    if not 0 <= position < 1 << len(path):
        raise SumTreeError("the leaf position does not fit the path's length")
    na = len(balances)
    h = leaf_hash(round_id, commitment, salt, rec_hash, balances)
    sums = tuple(balances)
    i = position
    for step in path:
        if len(step.hash) != 32 or len(step.sums) != na:
            raise SumTreeError("a path step needs a 32-byte hash and one sum per asset")
        for v in step.sums:
            if not isinstance(v, int) or isinstance(v, bool) or not 0 <= v <= MAX_SUM:
                raise SumTreeError("a sibling sum is negative or above 2^160 - 1")
        if i % 2 == 0:
            h = node_hash(h, step.hash, sums, step.sums)
        else:
            h = node_hash(step.hash, h, step.sums, sums)
        sums = add_sums(sums, step.sums)
        i //= 2
    return h, sums
