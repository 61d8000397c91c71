"""Sealing many records at once: their leaf hashes, then the tree.

``seal(records, seqs, commitments)`` equals
``MerkleTree.from_leaves(leaf_hashes(zip(records, seqs), commitments))`` byte for byte; both
steps use the C accelerator when it is built (chosen inside :mod:`anchor.core.leaves` and
:mod:`anchor.core.merkle`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from anchor.core.leaves import leaf_hash_buffer
from anchor.core.merkle import MerkleTree
from anchor.core.records import Record

__all__ = ["leaf_hash_buffer", "seal"]


def seal(
    records: Sequence[Record], seqs: Sequence[int], commitments: Mapping[str, bytes]
) -> MerkleTree:
    """Leaf-hash and build the batch tree. ``tree.order[k]`` is the input index of the
    ``k``-th leaf in tree order."""
    return MerkleTree.from_leaf_buffer(leaf_hash_buffer(records, seqs, commitments))
