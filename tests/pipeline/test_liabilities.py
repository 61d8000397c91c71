"""Liabilities rounds end to end, on anvil and a real SQLite file: anchored balances → a sum
tree round → the LiabilitiesRegistry (deployed through CREATE2) → reserves of declared wallets
(native and a real OpenZeppelin ERC-20) → each user's proof over HTTP (only their own) →
verified by the CLI, the library and the contract's verifyLiability (eth_call). Then the
attacks: each must fail verification or be refused when building."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from anchor.api.app import create_app
from anchor.chain.client import make_web3
from anchor.chain.keys import SigningKey
from anchor.chain.liabilities import (
    LiabilitiesClient,
    deploy_liabilities,
    load_liabilities_artifact,
)
from anchor.cli import app as cli_app
from anchor.core.liability_proof import LiabilityBundle, parse_liability_bundle
from anchor.core.records import account_commitment
from anchor.core.sumtree import PathStep, RoundInput, SumTreeError, build_sum_tree
from anchor.errors import ConflictError, VerificationError
from anchor.service.ingest import ingest
from anchor.service.liabilities import (
    anchor_round,
    build_round,
    prove_liability,
    record_reserves,
)
from anchor.service.seal import seal
from anchor.store import liabilities as store
from anchor.store.db import Database
from anchor.verifier.liability import verify_liability_offline, verify_liability_online
from anchor.verifier.rpc import RpcClient
from tests.api.test_me import balance
from tests.fixtures.paths import ROOT
from tests.interop.helpers import API_KEY, live_server, service_config

pytestmark = pytest.mark.chain

ALICE, BOB, CAROL = "acct-alice", "acct-bob", "acct-carol"


def first_balances(alice_eth: int) -> list[dict[str, Any]]:
    """The first batch of a liabilities world: Alice's ETH (``alice_eth``) and TUSD, Bob's
    ETH and Carol's TUSD."""
    return [
        balance("bal-a-eth-1", ALICE, "ETH", alice_eth, 1),
        balance("bal-a-tusd-1", ALICE, "TUSD", 500, 2),
        balance("bal-b-eth-1", BOB, "ETH", 3 * 10**18, 3),
        balance("bal-c-tusd-1", CAROL, "TUSD", 1_000, 4),
    ]


def _finalize(db: Database, batch_id: int) -> None:
    """The batch's anchoring is the pipeline's job (tested elsewhere): mark it final."""
    with db.connect() as conn:
        conn.execute(sa.text("UPDATE batches SET state = 'final' WHERE id = :b"), {"b": batch_id})


ROUND_FIELDS = ("round_id", "cutoff_batch_id", "root", "leaf_count", "assets", "totals")


def send_round(client: LiabilitiesClient, key: SigningKey, row: Any, **override: Any) -> Any:
    """Send a built round straight through the contract client (the service records nothing);
    ``override`` replaces some of the row's fields (e.g. understated ``totals``)."""
    return client.anchor_round(key, **{**{f: getattr(row, f) for f in ROUND_FIELDS}, **override})


def deploy_liabilities_on(devnet: Any) -> tuple[Any, list[SigningKey], LiabilitiesClient]:
    """The liabilities registry deployed on ``devnet``: a web3, the keys of accounts 0-2
    (0 the owner, 1 the anchorer) and the registry's client."""
    w3 = make_web3(devnet.rpc_url)
    keys = [
        SigningKey.from_hex(devnet.accounts[i].private_key, source=f"devnet {i}") for i in range(3)
    ]
    record = deploy_liabilities(
        w3, keys[0], expected_chain_id=devnet.chain_id, anchorer=keys[1].address
    )
    return w3, keys, LiabilitiesClient(w3, record.address)


def _deploy_token(w3: Any, key: SigningKey, holder: str, supply: int) -> str:
    """Compile tests/chain/TestToken.sol (OpenZeppelin ERC20, the pinned npm solc) and deploy."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("bc", ROOT / "scripts" / "build_contracts.py")
    assert spec and spec.loader
    bc = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bc)
    std = {
        "language": "Solidity",
        "sources": {
            n: {"content": t} for n, t in bc.collect_sources("tests/chain/TestToken.sol").items()
        },
        "settings": {
            "optimizer": {"enabled": True, "runs": 200},
            "evmVersion": "cancun",
            "outputSelection": {"*": {"*": ["abi", "evm.bytecode.object"]}},
        },
    }
    out, _ = bc.compile_input(std, backend="solcjs", offline=True)
    bc._check_errors(out)
    c = out["contracts"]["tests/chain/TestToken.sol"]["TestToken"]
    token = w3.eth.contract(abi=c["abi"], bytecode="0x" + c["evm"]["bytecode"]["object"])
    tx = token.constructor(holder, supply).build_transaction(
        {
            "from": key.address,
            "nonce": w3.eth.get_transaction_count(key.address, "pending"),
            "chainId": w3.eth.chain_id,
            "gas": 2_000_000,
        }
    )
    sent = w3.eth.send_raw_transaction(key.sign_transaction(tx).raw_transaction)
    receipt = w3.eth.wait_for_transaction_receipt(sent, timeout=60, poll_latency=0.05)
    assert receipt["status"] == 1
    return str(receipt["contractAddress"])


@dataclass
class World:
    db: Database
    w3: Any
    rpc_url: str
    client: LiabilitiesClient
    anchorer: SigningKey
    chain_id: int
    round1: store.RoundRow
    token: str
    wallets: tuple[str, str]


@pytest.fixture(scope="module")
def world(anvil_module: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    devnet = anvil_module
    db = Database.open(f"sqlite:///{tmp_path_factory.mktemp('liab')}/anchor.sqlite")
    ingest(db, first_balances(10**18))
    b1 = seal(db)
    ingest(db, [balance("bal-a-eth-2", ALICE, "ETH", 2 * 10**18, 5)])  # Alice's latest
    b2 = seal(db)
    assert b1 is not None and b2 is not None
    _finalize(db, b1.id)
    _finalize(db, b2.id)
    ingest(db, [balance("bal-b-eth-2", BOB, "ETH", 1, 6)])  # after the cut-off: not counted
    seal(db)

    w3, (_, anchorer, funder), client = deploy_liabilities_on(devnet)
    wallets = (devnet.accounts[5].address, devnet.accounts[6].address)
    token = _deploy_token(w3, funder, wallets[0], 3_000)
    try:
        row = build_round(db, b2.id, pad_to=16)
        row = anchor_round(db, row, client, anchorer, chain_id=devnet.chain_id)
        yield World(db, w3, devnet.rpc_url, client, anchorer, devnet.chain_id, row, token, wallets)
    finally:
        db.close()


def _bundle(world: World, account: str, round_id: int | None = None) -> LiabilityBundle:
    row = store.get_round(world.db, round_id or world.round1.round_id)
    assert row is not None
    return parse_liability_bundle(prove_liability(world.db, row, account).dumps())


def _verify_cli(world: World, bundle: bytes, tmp: Path, *args: str) -> Any:
    path = tmp / "liability.json"
    path.write_bytes(bundle)
    return CliRunner().invoke(
        cli_app,
        [
            "verify-liability",
            str(path),
            "--rpc",
            world.rpc_url,
            "--contract",
            world.client.address,
            *args,
        ],
    )


def test_the_round_is_taken_from_anchored_balances_and_anchored_with_its_totals(
    world: World,
) -> None:
    row = world.round1
    assert row.state == "anchored" and row.accounts == 3 and row.leaf_count == 16
    assert row.assets == ("ETH", "TUSD")
    assert row.totals == (5 * 10**18, 1_500)  # Alice's latest ETH, not Bob's after cut-off
    on_chain = world.client.round_of(1)
    assert (on_chain.root, on_chain.totals, on_chain.assets) == (row.root, row.totals, row.assets)
    assert on_chain.cutoff_batch_id == row.cutoff_batch_id == 2 and on_chain.leaf_count == 16
    # the same CREATE2 path as the registry: the artifact's runtime code, byte for byte
    code = bytes(world.w3.eth.get_code(world.client.address))
    assert code == load_liabilities_artifact().deployed_bytecode_bytes
    # each leaf names the records it comes from
    alice = _bundle(world, ALICE)
    assert alice.record_ids == ("bal-a-eth-2", "bal-a-tusd-1")
    assert alice.balances == (2 * 10**18, 500)


def test_every_user_verifies_with_the_cli_the_library_and_the_contract(
    world: World, tmp_path: Path
) -> None:
    with RpcClient(world.rpc_url) as rpc:
        for account in (ALICE, BOB, CAROL):
            bundle = _bundle(world, account)
            result = verify_liability_online(
                bundle, rpc, contract=world.client.address, expected_account=account
            )
            assert result.totals == world.round1.totals and result.online
            leaf = (bundle.commitment, bundle.leaf_salt, bundle.records_hash, bundle.balances)
            assert world.client.verify_liability(1, leaf, bundle.index, bundle.path)
    done = _verify_cli(world, _bundle(world, CAROL).dumps(), tmp_path, "--account", CAROL)
    assert done.exit_code == 0, done.output
    assert "TUSD: yours 1000 of total liabilities 1500" in done.output


def test_reserves_are_read_at_the_rounds_block_beside_the_liabilities(world: World) -> None:
    w3, funder = world.w3, world.anchorer
    block = world.round1.block_number
    assert block is not None
    native = sum(w3.eth.get_balance(w, block_identifier=block) for w in world.wallets)
    report = record_reserves(
        world.db,
        world.round1,
        w3,
        wallets=world.wallets,
        sources={"ETH": "native", "TUSD": world.token},
    )
    assert report["block_number"] == block
    tusd = report["assets"]["TUSD"]
    assert (tusd["reserves"], tusd["liabilities"], tusd["ratio"]) == ("3000", "1500", "2.000000")
    eth = report["assets"]["ETH"]
    assert int(eth["reserves"]) == native
    assert (
        eth["ratio"]
        == f"{native * 10**6 // (5 * 10**18) // 10**6}.{native * 10**6 // (5 * 10**18) % 10**6:06d}"
    )
    # later transfers do not change what was read at the round's block
    tx = {
        "to": world.wallets[1],
        "value": 10**18,
        "gas": 21_000,
        "gasPrice": w3.eth.gas_price,
        "nonce": w3.eth.get_transaction_count(funder.address, "pending"),
        "chainId": world.chain_id,
    }
    w3.eth.wait_for_transaction_receipt(
        w3.eth.send_raw_transaction(funder.sign_transaction(tx).raw_transaction), timeout=30
    )
    again = record_reserves(
        world.db, world.round1, w3, wallets=world.wallets, sources={"ETH": "native"}
    )
    assert again["assets"]["ETH"]["reserves"] == eth["reserves"]
    status = CliRunner().invoke(
        cli_app, ["liabilities", "status", "--database-url", str(world.db.url)]
    )
    assert status.exit_code == 0, status.output
    assert '"ETH"' in status.output


def test_the_api_serves_each_user_their_own_proof_only(world: World) -> None:
    with live_server(create_app(service_config(None), world.db)) as url:
        assert httpx.get(f"{url}/v1/me/liability-proof").status_code == 401
        tokens = {}
        for account in (ALICE, BOB):
            r = httpx.post(f"{url}/v1/accounts/{account}/tokens", headers={"X-API-Key": API_KEY})
            tokens[account] = r.json()["token"]
        r = httpx.get(
            f"{url}/v1/me/liability-proof", headers={"Authorization": f"Bearer {tokens[ALICE]}"}
        )
        assert r.status_code == 200 and r.headers["cache-control"] == "no-store"
        bundle = parse_liability_bundle(r.content)
        assert bundle.account_id == ALICE
        verify_liability_offline(bundle, expected_account=ALICE)
        # nobody else's account id or salt; a sibling sum may equal a neighbour's balance
        # (docs/liability-proof-format.md says so), but never with whose it is
        salts = [_bundle(world, a).account_salt.hex() for a in (BOB, CAROL)]
        assert BOB not in r.text and CAROL not in r.text
        assert not any(s in r.text for s in salts)
        r = httpx.get(
            f"{url}/v1/me/liability-proof?round_id=99",
            headers={"Authorization": f"Bearer {tokens[BOB]}"},
        )
        assert r.status_code == 404


# --------------------------------------------------------------------------- attacks


def test_attack_negative_balance_and_overflowing_sum_are_refused_when_building() -> None:
    bad = RoundInput(("ETH",), [b"\x01" * 32, b"\x02" * 32], [5, -5], [b"a", b"b"])
    with pytest.raises(SumTreeError, match="negative"):
        build_sum_tree(1, bad, secret=b"\x00" * 32, pad_to=4)
    big = RoundInput(("ETH",), [b"\x01" * 32], [1 << 200], [b"a"])
    with pytest.raises(SumTreeError, match="2\\^128"):
        build_sum_tree(1, big, secret=b"\x00" * 32, pad_to=4)
    text = _forge_amount(b'"balances": [', "-5")
    with pytest.raises(Exception, match="non-negative decimal"):
        parse_liability_bundle(text)


def _forge_amount(marker: bytes, value: str) -> bytes:
    doc = {
        "format": "ledger-anchor-liability/1",
        "round": {"round_id": 1, "cutoff_batch_id": 1, "leaf_count": 1, "assets": ["ETH"],
                  "root": "0x" + "11" * 32, "totals": ["0"]},
        "account": {"account_id": "x", "account_salt": "0x" + "22" * 32,
                    "commitment": "0x" + "33" * 32},
        "leaf": {"index": 0, "salt": "0x" + "44" * 32, "record_ids": [""], "balances": [value]},
        "path": [], "anchor": None, "reserves": None,
    }  # fmt: skip
    return json.dumps(doc).encode()


def test_attack_a_user_left_out_or_two_users_on_one_leaf_fail_their_check(
    world: World, tmp_path: Path
) -> None:
    alice, bob = _bundle(world, ALICE), _bundle(world, BOB)
    # Bob handed Alice's proof: it is not his account
    done = _verify_cli(world, alice.dumps(), tmp_path, "--account", BOB)
    assert done.exit_code == 1 and "invalid: account" in done.output
    # ... nor with his id and salt on Alice's leaf: the commitment is Alice's
    forged = replace(alice, account_id=BOB, account_salt=bob.account_salt)
    with pytest.raises(VerificationError) as exc:
        verify_liability_offline(forged, expected_account=BOB)
    assert exc.value.step == "commitment"
    # ... nor with his commitment put into Alice's leaf (Bob left out, Alice's leaf reused)
    forged = replace(
        alice, account_id=BOB, account_salt=bob.account_salt, commitment=bob.commitment
    )
    with pytest.raises(VerificationError) as exc:
        verify_liability_offline(forged, expected_account=BOB)
    assert exc.value.step == "root"
    assert account_commitment(BOB, bob.account_salt) == bob.commitment


def test_attack_a_node_sum_that_differs_from_its_childrens_fails(world: World) -> None:
    bob = _bundle(world, BOB)
    step = bob.path[-1]
    # move one unit out of the sibling's sum (the total would be understated by one)
    cheat = PathStep(step.hash, (step.sums[0] - 1 if step.sums[0] else 1, *step.sums[1:]))
    forged = replace(
        bob,
        path=(*bob.path[:-1], cheat),
        round_totals=tuple(t - (1 if i == 0 else 0) for i, t in enumerate(bob.round_totals)),
    )
    with pytest.raises(VerificationError) as exc:
        verify_liability_offline(forged)
    assert exc.value.step == "root"
    leaf = (bob.commitment, bob.leaf_salt, bob.records_hash, bob.balances)
    assert not world.client.verify_liability(1, leaf, bob.index, forged.path)


def test_attack_totals_on_chain_that_differ_from_the_root_sum_and_a_replayed_proof_fail(
    world: World, tmp_path: Path
) -> None:
    old = _bundle(world, CAROL)  # round 1
    # round 2: built honestly, but anchored with understated totals
    row = build_round(world.db, world.round1.cutoff_batch_id, pad_to=16)
    understated = (row.totals[0] - 10**18, row.totals[1])
    send_round(world.client, world.anchorer, row, totals=understated)
    with pytest.raises(ConflictError):  # the service refuses to record a round it did not send
        anchor_round(world.db, row, world.client, world.anchorer, chain_id=world.chain_id)
    with RpcClient(world.rpc_url) as rpc:
        for account in (ALICE, BOB, CAROL):
            bundle = parse_liability_bundle(prove_liability(world.db, row, account).dumps())
            with pytest.raises(VerificationError) as exc:
                verify_liability_online(bundle, rpc, contract=world.client.address)
            assert exc.value.step == "chain_totals"
            leaf = (bundle.commitment, bundle.leaf_salt, bundle.records_hash, bundle.balances)
            assert not world.client.verify_liability(2, leaf, bundle.index, bundle.path)
        # a replayed proof from round 1: valid math, but not the round on chain now
        with pytest.raises(VerificationError) as exc:
            verify_liability_online(old, rpc, contract=world.client.address)
        assert exc.value.step == "latest"
        # ... and relabelled as round 2 it no longer leads to any anchored root
        relabelled = replace(old, round_id=2)
        with pytest.raises(VerificationError) as exc:
            verify_liability_online(relabelled, rpc, contract=world.client.address)
        assert exc.value.step == "root"
    done = _verify_cli(world, old.dumps(), tmp_path)
    assert done.exit_code == 1 and "invalid: latest" in done.output


def test_a_round_sent_but_not_recorded_is_adopted_by_a_rerun(world: World) -> None:
    """The process stopped after the round's transaction was mined and before it recorded
    it: re-running the command adopts the transaction from the RoundAnchored event, and
    sends nothing."""
    row = build_round(world.db, world.round1.cutoff_batch_id, pad_to=16)
    sent = send_round(world.client, world.anchorer, row)
    nonce = world.w3.eth.get_transaction_count(world.anchorer.address)
    done = anchor_round(world.db, row, world.client, world.anchorer, chain_id=world.chain_id)
    assert done.state == "anchored"
    assert (done.tx_hash, done.block_number, done.block_hash, done.gas_used) == (
        sent.tx_hash,
        sent.block_number,
        sent.block_hash,
        sent.gas_used,
    )
    assert world.w3.eth.get_transaction_count(world.anchorer.address) == nonce  # nothing sent
    with RpcClient(world.rpc_url) as rpc:
        bundle = parse_liability_bundle(prove_liability(world.db, done, ALICE).dumps())
        assert bundle.anchor is not None and bundle.anchor["tx_hash"] == sent.tx_hash
        result = verify_liability_online(bundle, rpc, contract=world.client.address)
        assert result.round_id == row.round_id


def test_a_stored_round_deeper_than_its_blocks_proves_every_account(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """1024 leaves (depth 10): proofs rebuild one 256-leaf block and read the upper levels
    from stored chunks (made small here so several chunks per level are read)."""
    import anchor.service.liabilities as service

    monkeypatch.setattr(service, "CHUNK_NODES", 2)
    db = Database.open(f"sqlite:///{tmp_path}/anchor.sqlite")
    try:
        ingest(db, [balance(f"b-{i}", f"acct-{i:03d}", "USDC", i * 11, i) for i in range(300)])
        batch = seal(db)
        assert batch is not None
        _finalize(db, batch.id)
        row = build_round(db, batch.id, pad_to=1024)
        assert (row.leaf_count, row.depth, row.stored_from_level) == (1024, 10, 8)
        assert row.totals == (sum(i * 11 for i in range(300)),)
        positions = set()
        for i in range(0, 300, 7):
            bundle = parse_liability_bundle(prove_liability(db, row, f"acct-{i:03d}").dumps())
            result = verify_liability_offline(bundle, expected_account=f"acct-{i:03d}")
            assert result.root == row.root and result.balances == (i * 11,)
            positions.add(bundle.index >> 8)
        assert len(positions) > 1  # proofs from several blocks
    finally:
        db.close()


def test_the_committed_liabilities_artifact_is_what_the_build_makes() -> None:
    import subprocess
    import sys

    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "build_contracts.py"),
            "--offline",
            "--check",
            "--contract",
            "LiabilitiesRegistry",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count("same    ") == 2
