"""One registry address on every chain (CREATE2 through the deterministic factory), the
factory created from its presigned transaction where a chain lacks it, "already deployed",
and ``anchor deploy``'s refusals: each one line, exit 2, nothing sent."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from eth_utils import to_checksum_address
from web3.types import RPCEndpoint

from anchor.chain import create2
from anchor.chain.artifact import load_artifact
from anchor.chain.client import RegistryClient, make_web3
from anchor.chain.deploy import AddressOccupiedError, deploy_registry, plan_deployment
from anchor.chain.devnet import Devnet
from anchor.chain.keys import SigningKey
from anchor.errors import InputError
from tests.fixtures.chain import AnvilFactory
from tests.fixtures.cli import run_anchor

pytestmark = pytest.mark.chain


def _keys(devnet: Devnet) -> tuple[SigningKey, SigningKey]:
    return (
        SigningKey.from_hex(devnet.accounts[0].private_key, source="devnet account 0"),
        SigningKey.from_hex(devnet.accounts[1].private_key, source="devnet account 1"),
    )


def test_the_same_address_on_chains_with_different_ids(anvil_factory: AnvilFactory) -> None:
    first = anvil_factory.start(chain_id=31337)
    second = anvil_factory.start(chain_id=4242)
    # a third chain has no factory: it is created from its presigned transaction first
    bare = anvil_factory.start(chain_id=777, extra_args=("--disable-default-create2-deployer",))
    owner, anchorer = _keys(first)
    expected = create2.create2_address(
        create2.registry_init_code(load_artifact(), owner.address, anchorer.address),
        create2.DEFAULT_SALT,
    )
    records = []
    for devnet in (first, second, bare):
        w3 = make_web3(devnet.rpc_url)
        had_factory = bytes(w3.eth.get_code(create2.FACTORY_ADDRESS))
        assert had_factory == (b"" if devnet is bare else create2.FACTORY_RUNTIME_CODE)
        record = deploy_registry(
            w3, owner, expected_chain_id=devnet.chain_id, anchorer=anchorer.address
        )
        assert bytes(w3.eth.get_code(create2.FACTORY_ADDRESS)) == create2.FACTORY_RUNTIME_CODE
        client = RegistryClient(w3, record.address)
        assert client.owner() == owner.address and client.is_anchorer(anchorer.address)
        records.append(record)
    assert {r.address for r in records} == {expected}
    assert [r.chain_id for r in records] == [31337, 4242, 777]
    assert int(make_web3(bare.rpc_url).eth.get_transaction_count(create2.FACTORY_DEPLOYER)) == 1


def test_another_owner_anchorer_or_salt_gives_another_address() -> None:
    artifact = load_artifact()
    a, b = "0x" + "11" * 20, "0x" + "22" * 20
    base = create2.create2_address(create2.registry_init_code(artifact, a, b), create2.DEFAULT_SALT)
    assert base != create2.create2_address(
        create2.registry_init_code(artifact, b, a), create2.DEFAULT_SALT
    )
    assert base != create2.create2_address(
        create2.registry_init_code(artifact, a, b), create2.parse_salt("0x01")
    )
    assert (
        create2.parse_salt("0x01") == bytes(31) + b"\x01"
        and create2.parse_salt(None) == create2.DEFAULT_SALT
    )
    for bad in ("01", "0x" + "00" * 33, "0xzz"):
        with pytest.raises(InputError, match="salt"):
            create2.parse_salt(bad)


def test_deploying_again_reports_the_existing_registry_and_sends_nothing(anvil: Devnet) -> None:
    w3 = make_web3(anvil.rpc_url)
    owner, anchorer = _keys(anvil)
    first = deploy_registry(w3, owner, expected_chain_id=anvil.chain_id, anchorer=anchorer.address)
    nonce = w3.eth.get_transaction_count(owner.address)
    w3.provider.make_request(RPCEndpoint("anvil_mine"), ["0x3"])
    seen = []
    again = deploy_registry(
        w3, owner, expected_chain_id=anvil.chain_id, anchorer=anchorer.address, on_plan=seen.append
    )
    assert seen[0].already_deployed and seen[0].address == first.address
    assert w3.eth.get_transaction_count(owner.address) == nonce
    assert again == first  # same transaction, block (the contract start block), arguments
    creation = create2.find_creation(w3, first.address)
    assert creation.block_number == first.block_number and creation.tx_hash == first.deploy_tx


def test_other_code_at_the_address_is_refused(anvil: Devnet) -> None:
    w3 = make_web3(anvil.rpc_url)
    owner, anchorer = _keys(anvil)
    plan = plan_deployment(
        w3, expected_chain_id=anvil.chain_id, owner=owner.address, anchorer=anchorer.address
    )
    assert plan.refusal is None
    w3.provider.make_request(RPCEndpoint("anvil_setCode"), [plan.address, "0x6000"])
    with pytest.raises(AddressOccupiedError, match="already holds other code"):
        deploy_registry(w3, owner, expected_chain_id=anvil.chain_id, anchorer=anchorer.address)
    assert w3.eth.get_transaction_count(owner.address) == 0


# --- the command line: bad input is one line, exit 2, nothing sent ------------------------


def _cli(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return run_anchor(*args, env=env)


def _assert_refused(done: subprocess.CompletedProcess[str], *words: str) -> None:
    assert done.returncode == 2, (done.stdout, done.stderr)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), done.stderr
    for word in words:
        assert word in lines[0], lines[0]


def test_cli_deploy_prints_the_address_first_then_refuses_bad_input(
    anvil: Devnet, tmp_path: Path
) -> None:
    w3 = make_web3(anvil.rpc_url)
    secret = os.urandom(32).hex()
    key = SigningKey.from_hex(secret, source="test")
    w3.provider.make_request(RPCEndpoint("anvil_setBalance"), [key.address, hex(10**20)])
    env = {"ANCHOR_PRIVATE_KEY": secret}
    base = ["deploy", "--rpc", anvil.rpc_url, "--out", str(tmp_path / "d.json")]
    address = create2.create2_address(
        create2.registry_init_code(load_artifact(), key.address, key.address), create2.DEFAULT_SALT
    )

    def nothing_sent() -> None:
        assert w3.eth.get_transaction_count(to_checksum_address(key.address)) == 0
        assert not (tmp_path / "d.json").exists()

    _assert_refused(_cli([*base, "--chain-id", "5"], env), "chain id 31337", "refusing")
    nothing_sent()
    _assert_refused(_cli([*base, "--chain-id", "31337"], {}), "ANCHOR_PRIVATE_KEY", "not set")
    nothing_sent()
    down = ["deploy", "--rpc", "http://127.0.0.1:9", "--chain-id", "31337"]
    _assert_refused(_cli(down, env), "RPC unreachable")
    nothing_sent()
    w3.provider.make_request(RPCEndpoint("anvil_setCode"), [address, "0x6001600055"])
    other = _cli([*base, "--chain-id", "31337"], env)
    _assert_refused(other, address, "other code")
    assert f"address:     {address}" in other.stdout  # printed before the refusal
    nothing_sent()
    for done in (other,):
        assert secret not in done.stdout + done.stderr

    w3.provider.make_request(RPCEndpoint("anvil_setCode"), [address, "0x"])
    ok = _cli([*base, "--chain-id", "31337"], env)
    assert ok.returncode == 0, ok.stderr
    lines = ok.stdout.splitlines()
    assert lines.index(
        f"address:     {address} (CREATE2 salt 0x{create2.DEFAULT_SALT.hex()})"
    ) < next(i for i, line in enumerate(lines) if line.startswith("transaction:"))
    assert any(line.startswith("sending from") for line in lines)
    again = _cli([*base, "--chain-id", "31337"], env)
    assert again.returncode == 0 and "already deployed" in again.stdout
    assert w3.eth.get_transaction_count(to_checksum_address(key.address)) == 1
