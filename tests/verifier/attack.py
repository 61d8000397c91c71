"""The attack of issue 13, built on a real anvil (shared by the CLI, library and browser tests):
an honest registry with a genuine batch, and an attacker's SECOND registry (the published
code, the attacker's key) holding a fabricated balance, with a self-consistent bundle."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from anchor.chain.keys import SigningKey
from anchor.core.merkle import MerkleTree
from anchor.core.proof import ProofBundle
from anchor.core.records import account_commitment, leaf_hashes, parse_record
from tests.core.bundles import Batch, make_batch
from tests.fixtures.chain import (
    AnvilFactory,
    DeployedRegistry,
    deploy_on,
    receipt_anchor,
    send_call,
)

VICTIM = "acct-victim-7"
FABRICATED = {
    "kind": "balance",
    "version": 1,
    "record_id": "bal-fabricated-1",
    "ts_ns": "1735787045000000000",
    "account": VICTIM,
    "asset": "USDT",
    "available": "999999999000000",
    "locked": "0",
}


def rpc(url: str, method: str, params: list[Any]) -> Any:
    body = httpx.post(
        url, json={"jsonrpc": "2.0", "id": 1, "method": method, "params": params}
    ).json()
    assert "error" not in body, body
    return body["result"]


@dataclass
class Attack:
    honest: DeployedRegistry
    attacker_registry: str
    genuine: ProofBundle
    forged: ProofBundle


def _forged_batch() -> Batch:
    base = make_batch(n=6, seed=13)
    records = [*base.records, parse_record(FABRICATED)]
    salts = {**base.salts, VICTIM: bytes(range(32))}
    commitments = {a: account_commitment(a, s) for a, s in salts.items()}
    seqs = list(range(1, len(records) + 1))
    tree = MerkleTree.from_leaves(leaf_hashes(zip(records, seqs, strict=True), commitments))
    return Batch(records, seqs, salts, commitments, tree, tree.tree_order_of_inputs())


def attack_fixture(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Attack]:
    """Start anvil, stage the attack, yield it, stop anvil (wrap in a module fixture)."""
    from anchor.chain.deploy import deploy_registry

    factory = AnvilFactory(tmp_path_factory.mktemp("pinning-anvil"))
    try:
        devnet = factory.start(slots_in_an_epoch=1)  # finalized = head - 2
        honest = deploy_on(devnet)
        real = make_batch(n=8, seed=31)
        r1 = honest.anchor(1, real.tree.root, real.tree.leaf_count)
        # the attacker: its own key, the published code, its own registry
        attacker = SigningKey.from_hex(devnet.accounts[3].private_key, source="attacker")
        rec = deploy_registry(honest.w3, attacker, expected_chain_id=devnet.chain_id)
        fake = _forged_batch()
        contract = honest.w3.eth.contract(address=rec.address, abi=honest.client.contract.abi)
        r2 = send_call(
            honest.w3, contract, attacker, "anchor", 1, fake.tree.root, fake.tree.leaf_count
        )
        assert r1["status"] == 1 and r2["status"] == 1
        rpc(devnet.rpc_url, "anvil_mine", ["0x3"])
        genuine = real.bundle(0, anchor=receipt_anchor(honest, r1, "final"))
        forged = fake.bundle(len(fake.records) - 1, owner=VICTIM)
        forged = forged.with_anchor(receipt_anchor(honest, r2, "final", contract=rec.address))
        yield Attack(honest, rec.address.lower(), genuine, forged)
    finally:
        factory.stop_all()
