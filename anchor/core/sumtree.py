"""Merkle sum trees for proof of liabilities: one definition of every byte, no I/O.

A round's tree has ``2^depth`` leaves (a power of two, at least the configured padding size),
one per account plus zero-balance padding leaves, placed in an order shuffled with the round's
secret. Every node carries a hash and one sum per asset (the round's assets, sorted):

- leaf: ``keccak256(0x00 ‖ uint64 roundId ‖ accountCommitment ‖ leafSalt ‖ recordsHash ‖
  uint256 balance[0] ‖ … ‖ uint256 balance[A-1])``; its sums are its balances;
- inner node: ``keccak256(0x01 ‖ left.hash ‖ right.hash ‖ left.sums ‖ right.sums)``, its sums
  the children's added (both children's sums are hashed, so a prover cannot shift an amount
  between siblings as long as their total stays the same);
- ``recordsHash = keccak256(utf8(record ids joined by "\\n"))``: per asset, the id of the
  balance record the amount comes from ("" for none);
- ``leafSalt = derive(secret, 1, position)``; a padding leaf has
  ``accountCommitment = derive(secret, 2, position)``, no records and zero balances, where
  ``derive(secret, label, i) = keccak256(secret ‖ uint8 label ‖ uint64 i)``.

Bounds (checked everywhere: here, in the accelerator, the verifiers and the contract): every
balance is an integer in ``[0, 2^128 - 1]``; a tree has at most ``2^32`` leaves; so every sum
is below ``2^160`` and is checked against :data:`MAX_SUM` at each addition. Negative amounts
cannot be encoded at all.

Words are big-endian, as Solidity's ``abi.encodePacked`` writes them, so the contract's
``verifyLiability`` recomputes the same hashes.
"""

from __future__ import annotations

from array import array
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import chain
from types import ModuleType
from typing import NamedTuple

from anchor.core.hashing import keccak256
from anchor.core.sumtree_hash import (
    LEAF_TAG,
    MAX_AMOUNT,
    MAX_ASSETS,
    MAX_DEPTH,
    MAX_SUM,
    NODE_TAG,
    WORD,
    Label,
    LiabilityEntry,
    PathStep,
    SumTreeError,
    _words,
    add_sums,
    derive,
    leaf_count_for,
    leaf_hash,
    node_hash,
    padding_leaf,
    process_path,
    records_hash,
)

__all__ = [
    "LEAF_TAG",
    "MAX_AMOUNT",
    "MAX_ASSETS",
    "MAX_DEPTH",
    "MAX_SUM",
    "NODE_TAG",
    "Label",
    "LiabilityEntry",
    "PathStep",
    "RoundInput",
    "SumTree",
    "SumTreeError",
    "build_sum_tree",
    "derive",
    "leaf_count_for",
    "leaf_hash",
    "node_hash",
    "padding_leaf",
    "permutation",
    "process_path",
    "records_hash",
    "subtree_levels",
]

_native: ModuleType | None
try:  # the optional accelerator: the same bytes, faster (parity-tested)
    from anchor.core._native import _sumtree as _native
except ImportError:  # pragma: no cover - depends on the build
    _native = None


def _derive_many(secret: bytes, label: int, start: int, count: int) -> bytes:
    if _native is not None and _enabled():
        return bytes(_native.derive(secret, label, start, count))
    return b"".join(derive(secret, label, start + i) for i in range(count))


def _has_duplicate(joined: bytes, values: list[bytes]) -> bool:
    if _native is not None and _enabled():
        return bool(_native.has_duplicate(joined))
    return len(set(values)) != len(values)


def _enabled() -> bool:
    """False when the accelerators are switched off (:func:`anchor.core.native.use_native`)."""
    from anchor.core import native as switch

    return switch._enabled


# --------------------------------------------------------------------------- levels


def _levels_py(hashes: bytes, sums: bytes, n_assets: int) -> list[tuple[bytes, bytes]]:
    sw = n_assets * WORD
    out: list[tuple[bytes, bytes]] = []
    n = len(hashes) // 32
    while n > 1:
        hs = bytearray()
        ss = bytearray()
        for i in range(n // 2):
            left, right = hashes[64 * i : 64 * i + 32], hashes[64 * i + 32 : 64 * i + 64]
            lsb, rsb = (
                sums[2 * i * sw : (2 * i + 1) * sw],
                sums[(2 * i + 1) * sw : (2 * i + 2) * sw],
            )
            hs += keccak256(NODE_TAG + left + right + lsb + rsb)
            ls = [int.from_bytes(lsb[a * WORD : (a + 1) * WORD], "big") for a in range(n_assets)]
            rs = [int.from_bytes(rsb[a * WORD : (a + 1) * WORD], "big") for a in range(n_assets)]
            ss += _words(add_sums(ls, rs))
        hashes, sums = bytes(hs), bytes(ss)
        out.append((hashes, sums))
        n //= 2
    return out


def subtree_levels(hashes: bytes, sums: bytes, n_assets: int) -> list[tuple[bytes, bytes]]:
    """The levels above ``hashes``/``sums`` (a power-of-two count of nodes, sums as 32-byte
    words) up to one node, bottom first. SumTreeError when a sum overflows."""
    n = len(hashes) // 32
    if n == 0 or n & (n - 1) or len(hashes) % 32 or len(sums) != n * n_assets * WORD:
        raise SumTreeError("levels need a power-of-two count of nodes")
    if _native is not None and _enabled():
        try:
            return [(bytes(h), bytes(s)) for h, s in _native.levels(hashes, sums, n_assets)]
        except OverflowError:
            raise SumTreeError("a sum overflows 2^160 - 1") from None
    return _levels_py(hashes, sums, n_assets)


def _permutation_py(secret: bytes, count: int) -> list[int]:
    perm = list(range(count))
    draws: list[int] = []
    k = 0
    for i in range(count - 1, 0, -1):
        bound = i + 1
        limit = (1 << 64) - 1 - ((1 << 64) % bound)
        while True:
            if not draws:
                block = keccak256(secret + bytes([Label.PERMUTATION]) + k.to_bytes(8, "big"))
                draws = [int.from_bytes(block[8 * u : 8 * u + 8], "big") for u in range(4)]
                draws.reverse()
                k += 1
            r = draws.pop()
            if r <= limit:
                break
        j = r % bound
        perm[i], perm[j] = perm[j], perm[i]
    return perm


def permutation(secret: bytes, count: int) -> Sequence[int]:
    """A shuffle of ``0 .. count - 1`` drawn from ``secret`` (Fisher-Yates; its randomness is
    ``keccak256(secret ‖ 0x04 ‖ uint64 k)``, four 64-bit draws each, unbiased by rejection)."""
    if len(secret) != 32 or not 1 <= count <= 1 << MAX_DEPTH:
        raise SumTreeError("a permutation needs a 32-byte secret and 1 .. 2^32 items")
    if _native is not None and _enabled():
        return memoryview(_native.permutation(secret, count)).cast("I")
    return _permutation_py(secret, count)


class _LeafInputs(NamedTuple):
    """What leaves are made of, in the native ``leaves`` argument order: entry ``i`` (its
    commitment, record ids, ``n_assets`` balances) at ``positions[i]`` of ``n_leaves`` leaves,
    padding (commitment ``pads[p]``) elsewhere; ``salts[p]`` salts leaf ``p``."""

    round_id: int
    n_leaves: int  # ("count" is a tuple method)
    positions: Sequence[int]
    commitments: bytes
    salts: bytes
    pads: bytes
    records: list[bytes]
    balances: list[int]
    n_assets: int


def _leaves_py(inputs: _LeafInputs) -> tuple[bytes, bytes]:
    round_id, count, positions, commitments, salts, pads, records, balances, n_assets = inputs
    owner = [-1] * count
    for i, p in enumerate(positions):
        if not 0 <= p < count or owner[p] >= 0:
            raise SumTreeError("leaf positions out of range or repeated")
        owner[p] = i
    empty = keccak256(b"\n" * (n_assets - 1))
    zeros = (0,) * n_assets
    hs = bytearray()
    ss = bytearray()
    for p in range(count):
        i = owner[p]
        salt = salts[32 * p : 32 * p + 32]
        if i < 0:
            hs += leaf_hash(round_id, pads[32 * p : 32 * p + 32], salt, empty, zeros)
            ss += _words(zeros)
            continue
        bal = balances[i * n_assets : (i + 1) * n_assets]
        hs += leaf_hash(
            round_id, commitments[32 * i : 32 * i + 32], salt, keccak256(records[i]), bal
        )
        ss += _words(bal)
    return bytes(hs), bytes(ss)


def _leaves(inputs: _LeafInputs) -> tuple[bytes, bytes]:
    """Leaf hashes and sums in position order (see :class:`_LeafInputs`)."""
    if _native is not None and _enabled():
        positions = inputs.positions
        pos = positions if isinstance(positions, memoryview) else array("I", positions)
        try:
            h, s = _native.leaves(*inputs._replace(positions=pos))
        except (ValueError, OverflowError) as exc:
            raise SumTreeError(str(exc)) from None
        except TypeError as exc:
            raise SumTreeError(f"balances must be integers ({exc})") from None
        return bytes(h), bytes(s)
    return _leaves_py(inputs)


# --------------------------------------------------------------------------- the tree


@dataclass(frozen=True)
class SumTree:
    """A built round: every level (level 0 = leaves; each a (hashes, sums) pair of buffers),
    and where each entry's leaf sits."""

    round_id: int
    assets: tuple[str, ...]
    levels: tuple[tuple[bytes, bytes], ...] = field(repr=False)
    positions: tuple[int, ...] = field(repr=False)  # entry index -> leaf position

    @property
    def leaf_count(self) -> int:
        return len(self.levels[0][0]) // 32

    @property
    def depth(self) -> int:
        return len(self.levels) - 1

    @property
    def root(self) -> bytes:
        return self.levels[-1][0]

    @property
    def totals(self) -> tuple[int, ...]:
        return self.node_sums(self.depth, 0)

    def node_hash(self, level: int, index: int) -> bytes:
        return self.levels[level][0][32 * index : 32 * index + 32]

    def node_sums(self, level: int, index: int) -> tuple[int, ...]:
        a = len(self.assets)
        raw = self.levels[level][1][index * a * WORD : (index + 1) * a * WORD]
        return tuple(int.from_bytes(raw[i * WORD : (i + 1) * WORD], "big") for i in range(a))

    def path(self, position: int) -> list[PathStep]:
        """The siblings of leaf ``position`` from the bottom up."""
        if not 0 <= position < self.leaf_count:
            raise IndexError(f"leaf position {position} out of range")
        out = []
        i = position
        for level in range(self.depth):
            sib = i ^ 1
            out.append(PathStep(self.node_hash(level, sib), self.node_sums(level, sib)))
            i //= 2
        return out


def _check_assets(assets: Sequence[str]) -> None:
    if not 1 <= len(assets) <= MAX_ASSETS:
        raise SumTreeError(f"a round has 1 to {MAX_ASSETS} assets")
    if list(assets) != sorted(set(assets)):
        raise SumTreeError("a round's assets are sorted and distinct")
    for a in assets:
        if not a or len(a.encode("utf-8")) > 32:
            raise SumTreeError(f"asset id {a!r} must be 1 to 32 bytes")


@dataclass(frozen=True)
class RoundInput:
    """A round's accounts as columns (what a store reads in bulk): ``commitments[i]``,
    ``balances[i * A : (i + 1) * A]`` (flat, the round's asset order) and ``records[i]``, the
    ids of the balance records the amounts come from joined by newlines (one per asset, ""
    for none)."""

    assets: tuple[str, ...]
    commitments: list[bytes] = field(repr=False)
    balances: list[int] = field(repr=False)
    records: list[bytes] = field(repr=False)

    @classmethod
    def from_entries(cls, assets: Sequence[str], entries: Sequence[LiabilityEntry]) -> RoundInput:
        na = len(assets)
        for e in entries:
            if len(e.balances) != na or len(e.record_ids) != na:
                raise SumTreeError(f"entry of {e.account_id!r} does not match the round's assets")
        return cls(
            tuple(assets),
            [e.commitment for e in entries],
            list(chain.from_iterable(e.balances for e in entries)),
            ["\n".join(e.record_ids).encode("utf-8") for e in entries],
        )


def build_sum_tree(round_id: int, data: RoundInput, *, secret: bytes, pad_to: int) -> SumTree:
    """Build round ``round_id``: one leaf per account at a position shuffled with ``secret``,
    padding leaves up to :func:`leaf_count_for`. Refuses (SumTreeError) a negative or too large
    balance, an overflowing sum, two leaves for one account (a repeated commitment), and
    columns that do not match the assets."""
    assets = data.assets
    _check_assets(assets)
    if not 1 <= round_id < 1 << 64:
        raise SumTreeError("round ids are 1 .. 2^64 - 1")
    if len(secret) != 32:
        raise SumTreeError("a round secret is 32 bytes")
    na = len(assets)
    n = len(data.commitments)
    if len(data.records) != n or len(data.balances) != n * na:
        raise SumTreeError("the round's columns have different lengths")
    commitments = b"".join(data.commitments)
    if len(commitments) != 32 * n:
        raise SumTreeError("account commitments are 32 bytes")
    if _has_duplicate(commitments, data.commitments):
        raise SumTreeError("two leaves for one account (a repeated account commitment)")
    count = leaf_count_for(n, pad_to)
    positions = permutation(secret, count)[:n]
    pads = _derive_many(secret, Label.PADDING, 0, count)
    salts = _derive_many(secret, Label.SALT, 0, count)
    leaf_h, leaf_s = _leaves(
        _LeafInputs(
            round_id, count, positions, commitments, salts, pads, data.records, data.balances, na
        )
    )
    levels = [(leaf_h, leaf_s), *subtree_levels(leaf_h, leaf_s, na)]
    return SumTree(round_id, tuple(assets), tuple(levels), tuple(positions))


def block_levels(
    round_id: int,
    n_assets: int,
    secret: bytes,
    first: int,
    size: int,
    real: dict[int, LiabilityEntry],
) -> list[tuple[bytes, bytes]]:
    """Rebuild the leaves ``first .. first + size - 1`` (``real``: position -> entry, the rest
    padding) and the levels above them within the block: what a stored round needs to prove a
    leaf without keeping the bottom levels."""
    items = sorted(real.items())
    if any(not first <= p < first + size for p, _ in items):
        raise SumTreeError("an entry outside the block")
    pads = _derive_many(secret, Label.PADDING, first, size)
    salts = _derive_many(secret, Label.SALT, first, size)
    h, s = _leaves(
        _LeafInputs(
            round_id,
            size,
            [p - first for p, _ in items],
            b"".join(e.commitment for _, e in items),
            salts,
            pads,
            ["\n".join(e.record_ids).encode("utf-8") for _, e in items],
            list(chain.from_iterable(e.balances for _, e in items)),
            n_assets,
        )
    )
    return [(h, s), *subtree_levels(h, s, n_assets)]
