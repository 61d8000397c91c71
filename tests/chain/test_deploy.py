"""``anchor deploy``: chain-id refusal, runtime-code check, keystore keys, and no key leaks."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from eth_utils import to_checksum_address
from web3.types import RPCEndpoint

from anchor.chain.artifact import load_artifact
from anchor.chain.client import make_web3
from anchor.chain.create2 import FACTORY_ADDRESS
from anchor.chain.deploy import (
    ChainIdMismatchError,
    check_runtime_code,
    deploy_registry,
    read_deployment,
)
from anchor.chain.devnet import Devnet
from anchor.chain.keys import KeyLoadError, SigningKey, load_signing_key, write_keystore
from anchor.errors import AlarmError, AnchorError
from tests.fixtures.chain import DeployedRegistry
from tests.fixtures.paths import ROOT

pytestmark = pytest.mark.chain


def _fresh_funded_key(devnet: Devnet) -> tuple[SigningKey, str]:
    """A random key (not one anvil printed in its log), funded through anvil_setBalance."""
    secret = os.urandom(32).hex()
    key = SigningKey.from_hex(secret, source="test")
    w3 = make_web3(devnet.rpc_url)
    w3.provider.make_request(RPCEndpoint("anvil_setBalance"), [key.address, hex(10**20)])
    return key, secret


def _cli(args: list[str], env: dict[str, str], log_file: Path) -> subprocess.CompletedProcess[str]:
    # every library's log at DEBUG goes to log_file: it is grepped for the key as well
    code = (
        "import logging, sys; "
        "logging.basicConfig(level=logging.DEBUG, filename=sys.argv.pop(1)); "
        "from anchor.cli import main; main()"
    )
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ANCHOR_")}
    return subprocess.run(
        [sys.executable, "-c", code, str(log_file), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**clean, **env},
    )


def _assert_no_secret(secret_hex: str, *texts: str) -> None:
    body = secret_hex.lower().removeprefix("0x")
    for text in texts:
        lowered = text.lower()
        assert body not in lowered, "the private key leaked"
        assert "0x" + body not in lowered


def test_deploy_records_what_is_on_chain(deployed_registry: DeployedRegistry) -> None:
    reg, record = deployed_registry, deployed_registry.record
    receipt = reg.w3.eth.get_transaction_receipt(record.deploy_tx)
    assert receipt["to"] == FACTORY_ADDRESS == record.factory  # created through CREATE2
    assert receipt["contractAddress"] is None
    assert receipt["blockNumber"] == record.block_number
    assert "0x" + bytes(receipt["blockHash"]).hex() == record.block_hash
    artifact_bytes = (ROOT / "anchor" / "chain" / "AnchorRegistry.json").read_bytes()
    assert record.artifact_sha256 == hashlib.sha256(artifact_bytes).hexdigest()
    assert record.chain_id == 31337
    assert record.deployer == record.owner == reg.owner.address
    assert record.anchorer == reg.anchorer.address
    assert bytes(reg.w3.eth.get_code(record.address)) == load_artifact().deployed_bytecode_bytes


def test_deploy_refuses_a_wrong_chain_id(anvil: Devnet) -> None:
    w3 = make_web3(anvil.rpc_url)
    key = SigningKey.from_hex(anvil.accounts[0].private_key)
    with pytest.raises(ChainIdMismatchError, match="31337"):
        deploy_registry(w3, key, expected_chain_id=1)
    assert w3.eth.get_transaction_count(to_checksum_address(key.address)) == 0  # nothing was sent


def test_runtime_code_check_catches_different_code(deployed_registry: DeployedRegistry) -> None:
    reg = deployed_registry
    assert check_runtime_code(reg.w3, reg.address).startswith("0x")
    code = bytearray(load_artifact().deployed_bytecode_bytes)
    code[-1] ^= 1  # a different metadata hash: another build
    reg.w3.provider.make_request("anvil_setCode", [reg.address, "0x" + code.hex()])
    with pytest.raises(AlarmError, match="differs from the artifact"):
        check_runtime_code(reg.w3, reg.address)
    with pytest.raises(AlarmError):
        check_runtime_code(reg.w3, reg.owner.address)  # no code at all


def test_cli_deploy_with_env_key_never_shows_the_key(anvil: Devnet, tmp_path: Path) -> None:
    key, secret = _fresh_funded_key(anvil)
    out = tmp_path / "deployment.json"
    log = tmp_path / "deploy.log"
    for variant in (secret, "0x" + secret):
        done = _cli(
            ["deploy", "--rpc", anvil.rpc_url, "--chain-id", "31337", "--out", str(out)],
            {"ANCHOR_PRIVATE_KEY": variant},
            log,
        )
        assert done.returncode == 0, done.stderr
        record = read_deployment(out)
        assert record.deployer == key.address
        assert record.chain_id == 31337
        assert f"address:     {record.address}" in done.stdout
        assert "runtime code matches the artifact" in done.stdout
        _assert_no_secret(secret, done.stdout, done.stderr, out.read_text(), log.read_text())
    assert log.stat().st_size > 0  # the libraries did log (so the grep saw something)
    _assert_no_secret(secret, Path(anvil.log_file).read_text(errors="replace"))


def test_cli_deploy_refuses_a_wrong_chain_id_without_leaking(anvil: Devnet, tmp_path: Path) -> None:
    key, secret = _fresh_funded_key(anvil)
    log = tmp_path / "deploy.log"
    out = tmp_path / "deployment.json"
    done = _cli(
        ["deploy", "--rpc", anvil.rpc_url, "--chain-id", "10", "--out", str(out)],
        {"ANCHOR_PRIVATE_KEY": "0x" + secret},
        log,
    )
    assert done.returncode != 0
    assert "chain id 31337" in done.stderr and "refusing" in done.stderr
    assert not out.exists()
    assert make_web3(anvil.rpc_url).eth.get_transaction_count(to_checksum_address(key.address)) == 0
    _assert_no_secret(secret, done.stdout, done.stderr, log.read_text())


def test_cli_deploy_errors_never_echo_the_key(anvil: Devnet, tmp_path: Path) -> None:
    log = tmp_path / "deploy.log"
    # a malformed key (one character off), an unreachable RPC, and no funds
    malformed = os.urandom(32).hex()[:-1] + "z"
    done = _cli(
        ["deploy", "--rpc", anvil.rpc_url, "--chain-id", "31337"],
        {"ANCHOR_PRIVATE_KEY": malformed},
        log,
    )
    assert done.returncode != 0 and "ANCHOR_PRIVATE_KEY" in done.stderr
    _assert_no_secret(malformed, done.stdout, done.stderr, log.read_text())
    assert malformed[:40] not in done.stderr

    secret = os.urandom(32).hex()  # valid but unfunded
    done = _cli(
        ["deploy", "--rpc", anvil.rpc_url, "--chain-id", "31337"],
        {"ANCHOR_PRIVATE_KEY": secret},
        log,
    )
    assert done.returncode != 0 and done.stderr.startswith("error: ")
    _assert_no_secret(secret, done.stdout, done.stderr, log.read_text())

    done = _cli(
        ["deploy", "--rpc", "http://127.0.0.1:9", "--chain-id", "31337"],
        {"ANCHOR_PRIVATE_KEY": secret},
        log,
    )
    assert done.returncode != 0 and "unreachable" in done.stderr
    _assert_no_secret(secret, done.stdout, done.stderr, log.read_text())


def test_cli_deploy_with_a_keystore(anvil: Devnet, tmp_path: Path) -> None:
    key, secret = _fresh_funded_key(anvil)
    keystore = write_keystore(key, tmp_path / "key.json", "correct horse", iterations=2**10)
    assert oct(keystore.stat().st_mode & 0o777) == "0o600"
    out = tmp_path / "deployment.json"
    log = tmp_path / "deploy.log"
    done = _cli(
        [
            "deploy",
            "--rpc",
            anvil.rpc_url,
            "--chain-id",
            "31337",
            "--keystore",
            str(keystore),
            "--out",
            str(out),
        ],
        {"ANCHOR_KEYSTORE_PASSWORD": "correct horse"},
        log,
    )
    assert done.returncode == 0, done.stderr
    record = read_deployment(out)
    assert record.deployer == key.address == record.anchorer
    _assert_no_secret(secret, done.stdout, done.stderr, out.read_text(), log.read_text())

    wrong = _cli(
        ["deploy", "--rpc", anvil.rpc_url, "--chain-id", "31337", "--keystore", str(keystore)],
        {"ANCHOR_KEYSTORE_PASSWORD": "wrong"},
        log,
    )
    assert wrong.returncode != 0 and "wrong password" in wrong.stderr
    _assert_no_secret(secret, wrong.stdout, wrong.stderr, log.read_text())


def test_signing_key_shows_only_its_address(tmp_path: Path) -> None:
    secret = os.urandom(32).hex()
    key = SigningKey.from_hex("0x" + secret, source="test")
    for text in (repr(key), str(key), f"{key}", repr([key]), str({"k": key})):
        _assert_no_secret(secret, text)
        assert key.address in text
    with pytest.raises(TypeError):
        import pickle

        pickle.dumps(key)
    for bad in (secret[:-2], secret + "00", "0x" + "00" * 32, "g" * 64):
        with pytest.raises(KeyLoadError) as info:
            SigningKey.from_hex(bad, source="env X")
        assert bad not in str(info.value) and isinstance(info.value, AnchorError)
    with pytest.raises(KeyLoadError, match="not set"):
        load_signing_key(env={})
    assert load_signing_key(env={"ANCHOR_PRIVATE_KEY": secret}) == key
    keystore = write_keystore(key, tmp_path / "k.json", "pw", iterations=2**10)
    assert load_signing_key(keystore=keystore, env={"ANCHOR_KEYSTORE_PASSWORD": "pw"}) == key
    assert load_signing_key(keystore=keystore, env={}, prompt=lambda _: "pw") == key
    _assert_no_secret(secret, keystore.read_text())
    with pytest.raises(KeyLoadError, match="not JSON"):
        SigningKey.from_keystore(ROOT / "README.md", "pw")


def test_deployment_record_round_trips(deployed_registry: DeployedRegistry, tmp_path: Path) -> None:
    from anchor.chain.deploy import write_deployment

    path = write_deployment(deployed_registry.record, tmp_path / "d.json")
    data = json.loads(path.read_text())
    assert data["format"] == "ledger-anchor-deployment/1"
    assert data["deployed_at"].endswith("+00:00")
    assert read_deployment(path) == deployed_registry.record
