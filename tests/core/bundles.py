"""Builders shared by the bundle and verifier tests: a sealed batch of sample records."""

from __future__ import annotations

import random
from dataclasses import dataclass

from anchor.core.merkle import MerkleTree
from anchor.core.proof import AnchorInfo, ProofBundle, make_bundle
from anchor.core.records import Record, account_commitment, leaf_hashes
from anchor.core.samples import sample_records


@dataclass(frozen=True)
class Batch:
    records: list[Record]
    seqs: list[int]
    salts: dict[str, bytes]
    commitments: dict[str, bytes]
    tree: MerkleTree
    positions: list[int]  # input index -> tree-order index

    def bundle(
        self,
        i: int,
        owner: str | None = "first",
        anchor: AnchorInfo | None = None,
        batch_id: int = 1,
    ) -> ProofBundle:
        rec = self.records[i]
        accounts = rec.accounts()
        if owner == "first":
            salts = {accounts[0]: self.salts[accounts[0]]} if accounts else {}
        elif owner is None:
            salts = {}
        else:
            salts = {owner: self.salts[owner]}
        return make_bundle(
            rec,
            self.seqs[i],
            self.commitments,
            salts,
            self.tree.proof(self.positions[i]),
            self.tree.root,
            batch_id,
            anchor,
        )


def make_batch(n: int = 50, seed: int = 1, first_seq: int = 1) -> Batch:
    records = sample_records(n, seed=seed, accounts=12)
    rnd = random.Random(seed)
    salts = {a: rnd.randbytes(32) for r in records for a in r.accounts()}
    commitments = {a: account_commitment(a, s) for a, s in salts.items()}
    seqs = list(range(first_seq, first_seq + n))
    leaves = leaf_hashes(zip(records, seqs, strict=True), commitments)
    tree = MerkleTree.from_leaves(leaves)
    return Batch(records, seqs, salts, commitments, tree, tree.tree_order_of_inputs())


FINAL_ANCHOR = AnchorInfo(
    chain_id=31337,
    contract="0x5fbdb2315678afecb367f032d93f642f64180aa3",
    tx_hash=bytes.fromhex("ab" * 32),
    block_number=12,
    block_hash=bytes.fromhex("cd" * 32),
    status="final",
)
