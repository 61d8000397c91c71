"""Merkle trees exactly like OpenZeppelin's ``StandardMerkleTree`` (merkle-tree 1.0.x).

- leaves are 32-byte leaf hashes (``keccak256(keccak256(abi.encode(...)))``), sorted
  ascending by byte value (OZ's default ``sortLeaves: true``; the sort is stable);
- the tree is a flat array of ``2n - 1`` nodes, root at 0, children of ``i`` at
  ``2i + 1`` and ``2i + 2``; the sorted leaves sit at the end in reverse order
  (tree-order leaf ``k`` is node ``2n - 2 - k``);
- an inner node is ``keccak256(min(a, b) ‖ max(a, b))`` (sorted pair);
- a one-leaf tree's root is the leaf.

Nodes live in one ``bytearray`` (32 bytes each, ~64 MB for 1M leaves). A store keeps
:meth:`MerkleTree.nodes_bytes` and later reads only :func:`proof_node_indices`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from anchor.core.hashing import keccak256
from anchor.core.native import native
from anchor.errors import InputError

__all__ = [
    "MerkleTree",
    "MultiProof",
    "hash_pair",
    "node_index_of_leaf",
    "process_multiproof",
    "process_proof",
    "proof_node_indices",
    "verify_multiproof",
    "verify_proof",
]

NODE = 32


def hash_pair(a: bytes, b: bytes) -> bytes:
    """OpenZeppelin's ``standardNodeHash``: keccak256 of the sorted pair."""
    return keccak256(a + b if a <= b else b + a)


def node_index_of_leaf(leaf_count: int, tree_order_index: int) -> int:
    """Index in the flat node array of the ``tree_order_index``-th (sorted) leaf."""
    if not 0 <= tree_order_index < leaf_count:
        raise IndexError(f"leaf index {tree_order_index} out of range for {leaf_count} leaves")
    return 2 * leaf_count - 2 - tree_order_index


def bisect_leaves(leaf_at: Callable[[int], bytes], leaf_count: int, leaf: bytes) -> int:
    """Where ``leaf`` stands in a tree's sorted leaf level (tree order ascending) read through
    ``leaf_at(k)``: the first ``k`` whose leaf is not below it (``leaf_count`` when none is).
    The caller checks ``leaf_at(k) == leaf``: a tree (a stored one, a load's) reads its leaves
    its own way, the search is this one."""
    lo, hi = 0, leaf_count
    while lo < hi:
        mid = (lo + hi) >> 1
        if leaf_at(mid) < leaf:
            lo = mid + 1
        else:
            hi = mid
    return lo


def proof_node_indices(node_index: int) -> list[int]:
    """Indices of the sibling nodes from ``node_index`` up to the root (the proof, in order)."""
    if node_index < 0:
        raise IndexError("negative node index")
    out: list[int] = []
    i = node_index
    while i > 0:
        out.append(i + 1 if i % 2 else i - 1)
        i = (i - 1) // 2
    return out


@dataclass(frozen=True)
class MultiProof:
    """An OpenZeppelin multiproof: ``leaves`` (hashes, in the order the proof consumes them),
    the ``proof`` nodes and ``proof_flags``; ``indices`` are the leaves' tree-order indices."""

    leaves: tuple[bytes, ...]
    proof: tuple[bytes, ...]
    proof_flags: tuple[bool, ...]
    indices: tuple[int, ...] = ()


class MerkleTree:
    """An OpenZeppelin-compatible tree over 32-byte leaf hashes.

    Build with :meth:`from_leaves` (sorts like OZ). ``order[k]`` is the input index of the
    ``k``-th leaf in tree order.
    """

    __slots__ = ("_nodes", "leaf_count", "order")

    def __init__(
        self, nodes: bytearray | bytes, leaf_count: int, order: Sequence[int] = ()
    ) -> None:
        if leaf_count < 1 or len(nodes) != (2 * leaf_count - 1) * NODE:
            raise InputError("node array does not hold 2n-1 nodes of 32 bytes")
        self._nodes = nodes
        self.leaf_count = leaf_count
        self.order: Sequence[int] = order

    # ------------------------------------------------------------------ building
    @classmethod
    def from_leaves(cls, leaves: Sequence[bytes]) -> MerkleTree:
        """Sort the leaf hashes like OZ and build the tree."""
        n = len(leaves)
        if n == 0:
            raise InputError("a Merkle tree needs at least one leaf")
        for leaf in leaves:
            if len(leaf) != NODE:
                raise InputError("Merkle tree leaves must be 32 bytes")
        if n > 1 and native() is not None:
            return cls._native_build(b"".join(leaves))
        order = sorted(range(n), key=leaves.__getitem__)
        nodes = bytearray((2 * n - 1) * NODE)
        # leaves at the end, reversed: tree-order k at node 2n-2-k
        nodes[(n - 1) * NODE :] = b"".join(leaves[i] for i in reversed(order))
        _fill_inner(nodes, n)
        return cls(nodes, n, order)

    @classmethod
    def from_leaf_buffer(cls, buf: bytes | bytearray) -> MerkleTree:
        """Build from concatenated 32-byte leaf hashes (what a store holds): the same tree
        as :meth:`from_leaves`, without a Python object per leaf on the native path."""
        if len(buf) % NODE or not buf:
            raise InputError("leaf buffer must hold one or more 32-byte hashes")
        if native() is not None:
            return cls._native_build(buf)
        data = bytes(buf)
        return cls.from_leaves([data[i : i + NODE] for i in range(0, len(data), NODE)])

    @classmethod
    def _native_build(cls, buf: bytes | bytearray) -> MerkleTree:
        """The C builder (same layout, same stable sort); it reads ``buf`` in place."""
        mod = native()
        assert mod is not None
        nodes, order = mod.build_tree(buf)
        if len(nodes) != (2 * (len(buf) // NODE) - 1) * NODE:  # pragma: no cover
            raise InputError("the native tree builder returned a wrong-sized node array")
        return cls(nodes, len(buf) // NODE, memoryview(order).cast("I"))

    @classmethod
    def from_nodes(cls, nodes: bytes) -> MerkleTree:
        """Wrap a stored flat node array (as returned by :meth:`nodes_bytes`)."""
        if len(nodes) % NODE or (len(nodes) // NODE) % 2 == 0:
            raise InputError("node array does not hold 2n-1 nodes of 32 bytes")
        return cls(bytes(nodes), (len(nodes) // NODE + 1) // 2)

    # ------------------------------------------------------------------ reading
    @property
    def root(self) -> bytes:
        return bytes(self._nodes[:NODE])

    def node(self, i: int) -> bytes:
        if not 0 <= i < 2 * self.leaf_count - 1:
            raise IndexError(f"node index {i} out of range")
        return bytes(self._nodes[i * NODE : (i + 1) * NODE])

    def nodes_bytes(self) -> bytes:
        """The flat node array, ``(2n - 1) * 32`` bytes, root first."""
        return bytes(self._nodes)

    def nodes_view(self) -> memoryview:
        """The flat node array without a copy (read-only view; release it when done)."""
        return memoryview(self._nodes).toreadonly()

    def leaf_position(self, tree_order_index: int) -> int:
        """Index into the flat node array of the ``tree_order_index``-th sorted leaf."""
        return node_index_of_leaf(self.leaf_count, tree_order_index)

    def leaf(self, tree_order_index: int) -> bytes:
        return self.node(self.leaf_position(tree_order_index))

    def leaves_in_tree_order(self) -> list[bytes]:
        """The leaf hashes in sorted (tree) order."""
        n = self.leaf_count
        return [self.node(2 * n - 2 - k) for k in range(n)]

    def tree_order_of_inputs(self) -> list[int]:
        """For each input index (as given to :meth:`from_leaves`), its tree-order index."""
        inv = [0] * len(self.order)
        for k, i in enumerate(self.order):
            inv[i] = k
        return inv

    def proof(self, tree_order_index: int) -> list[bytes]:
        """Sibling hashes from the leaf up to the root (OZ ``getProof``)."""
        return [self.node(i) for i in proof_node_indices(self.leaf_position(tree_order_index))]

    def multiproof(self, indices: Sequence[int]) -> MultiProof:
        """OZ ``getMultiProof`` for tree-order leaf indices."""
        node_idx = sorted((self.leaf_position(k) for k in indices), reverse=True)
        if len(set(node_idx)) != len(node_idx):
            raise InputError("cannot prove a duplicated index")
        stack = list(node_idx)
        proof: list[bytes] = []
        flags: list[bool] = []
        head = 0  # stack is used as a queue: stack[head:] is live
        while head < len(stack) and stack[head] > 0:
            j = stack[head]
            head += 1
            s = j + 1 if j % 2 else j - 1
            p = (j - 1) // 2
            if head < len(stack) and s == stack[head]:
                flags.append(True)
                head += 1
            else:
                flags.append(False)
                proof.append(self.node(s))
            stack.append(p)
        if not node_idx:
            proof.append(self.root)
        n = self.leaf_count
        return MultiProof(
            leaves=tuple(self.node(i) for i in node_idx),
            proof=tuple(proof),
            proof_flags=tuple(flags),
            indices=tuple(2 * n - 2 - i for i in node_idx),
        )


def _fill_inner(nodes: bytearray, n: int) -> None:
    """Hash the inner nodes ``n-2 .. 0`` of a flat tree whose leaves are in place."""
    k = keccak256
    mv = memoryview(nodes)
    for i in range(n - 2, -1, -1):
        lo = (2 * i + 1) * NODE
        a = bytes(mv[lo : lo + NODE])
        b = bytes(mv[lo + NODE : lo + 2 * NODE])
        nodes[i * NODE : i * NODE + NODE] = k(a + b if a <= b else b + a)
    mv.release()


def process_proof(leaf: bytes, proof: Sequence[bytes]) -> bytes:
    """The root implied by ``leaf`` and its sibling path (OZ ``processProof``)."""
    _check_node(leaf)
    h = leaf
    k = keccak256
    for sib in proof:
        if type(sib) is not bytes or len(sib) != NODE:
            _check_node(sib)
        h = k(h + sib if h <= sib else sib + h)  # hash_pair, inlined (the proof GET's path)
    return h


def verify_proof(root: bytes, leaf: bytes, proof: Sequence[bytes]) -> bool:
    try:
        return process_proof(leaf, proof) == root
    except InputError:
        return False


def process_multiproof(
    leaves: Sequence[bytes], proof: Sequence[bytes], proof_flags: Sequence[bool]
) -> bytes:
    """The root implied by a multiproof (OZ ``processMultiProof``); InputError if malformed."""
    for x in (*leaves, *proof):
        _check_node(x)
    if len(proof) < sum(1 for f in proof_flags if not f):
        raise InputError("invalid multiproof format")
    if len(leaves) + len(proof) != len(proof_flags) + 1:
        raise InputError("leaves and multiproof are not compatible")
    stack = list(leaves)
    pr = list(proof)
    head = 0
    ph = 0
    for flag in proof_flags:
        if head >= len(stack):
            raise InputError("invalid multiproof")
        a = stack[head]
        head += 1
        if flag:
            if head >= len(stack):
                raise InputError("invalid multiproof")
            b = stack[head]
            head += 1
        else:
            b = pr[ph]
            ph += 1
        stack.append(hash_pair(a, b))
    remaining = len(stack) - head
    if remaining + (len(pr) - ph) != 1:
        raise InputError("invalid multiproof")
    return stack[-1] if remaining else pr[ph]


def verify_multiproof(
    root: bytes, leaves: Sequence[bytes], proof: Sequence[bytes], proof_flags: Sequence[bool]
) -> bool:
    try:
        return process_multiproof(leaves, proof, proof_flags) == root
    except InputError:
        return False


def _check_node(x: bytes) -> None:
    if not isinstance(x, bytes) or len(x) != NODE:
        raise InputError("Merkle tree nodes must be 32 bytes")
