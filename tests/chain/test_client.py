"""RegistryClient and the web3 factory against a real anvil (and a real closed port)."""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path

import pytest
import requests
from web3 import Web3

from anchor.chain.artifact import load_artifact
from anchor.chain.client import ANCHOR_GAS_LIMIT, RegistryClient, RetryPolicy, make_web3
from anchor.errors import ChainError, ConfigError, InputError
from tests.fixtures.chain import DeployedRegistry

pytestmark = pytest.mark.chain


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_make_web3_sets_retries_and_timeouts_explicitly() -> None:
    w3 = make_web3(
        "http://127.0.0.1:1", policy=RetryPolicy(timeout=3.5, retries=2, backoff_factor=0.01)
    )
    provider = w3.provider
    assert isinstance(provider, Web3.HTTPProvider)
    config = provider.exception_retry_configuration
    assert config is not None
    assert config.retries == 2
    assert requests.exceptions.ConnectionError in tuple(config.errors)  # not in web3's default list
    assert dict(provider.get_request_kwargs())["timeout"] == 3.5


def test_reads_raise_chain_error_when_the_rpc_is_down(deployed_registry: DeployedRegistry) -> None:
    w3 = make_web3(
        f"http://127.0.0.1:{_closed_port()}", policy=RetryPolicy(retries=2, backoff_factor=0.01)
    )
    client = RegistryClient(w3, deployed_registry.address)
    with pytest.raises(ChainError, match="unreachable"):
        client.root_of(1)


def test_reads_at_an_address_without_code_fail_clearly(deployed_registry: DeployedRegistry) -> None:
    client = RegistryClient(deployed_registry.w3, deployed_registry.stranger.address)
    with pytest.raises(ChainError, match="no registry"):
        client.last_batch_id()


def test_a_built_anchor_transaction_is_mined_within_the_gas_limit(
    deployed_registry: DeployedRegistry,
) -> None:
    reg = deployed_registry
    root = os.urandom(32)
    base_fee = int(reg.w3.eth.get_block("latest")["baseFeePerGas"])
    tx = reg.client.build_anchor_tx(
        1,
        root,
        7,
        sender=reg.anchorer.address,
        nonce=reg.w3.eth.get_transaction_count(reg.anchorer.address),
        chain_id=reg.chain_id,
        max_fee_per_gas=2 * base_fee + 10**9,
        max_priority_fee_per_gas=10**9,
    )
    assert tx["gas"] == ANCHOR_GAS_LIMIT
    signed = reg.anchorer.sign_transaction(tx)
    receipt = reg.w3.eth.wait_for_transaction_receipt(
        reg.w3.eth.send_raw_transaction(signed.raw_transaction), poll_latency=0.02
    )
    assert receipt["status"] == 1
    assert receipt["gasUsed"] < ANCHOR_GAS_LIMIT
    assert reg.client.root_of(1) == root
    estimate = reg.client.estimate_anchor_gas(2, os.urandom(32), 7, sender=reg.anchorer.address)
    assert estimate < ANCHOR_GAS_LIMIT


def test_simulation_names_the_reason(deployed_registry: DeployedRegistry) -> None:
    reg = deployed_registry
    revert = reg.client.simulate_anchor(1, os.urandom(32), 1, sender=reg.stranger.address)
    assert revert is not None and revert.name == "NotAnchorer"
    assert revert.args["caller"] == reg.stranger.address
    with pytest.raises(ChainError, match="BatchIdOutOfOrder"):
        reg.client.estimate_anchor_gas(5, os.urandom(32), 1, sender=reg.anchorer.address)


def test_argument_ranges_are_checked_locally(deployed_registry: DeployedRegistry) -> None:
    client = deployed_registry.client
    with pytest.raises(InputError):
        client.anchor_calldata(2**64, os.urandom(32), 1)
    with pytest.raises(InputError):
        client.anchor_calldata(1, os.urandom(31), 1)
    with pytest.raises(InputError):
        client.anchor_calldata(1, os.urandom(32), -1)
    with pytest.raises(ConfigError):
        RegistryClient(deployed_registry.w3, "not-an-address")


def test_artifact_loading_checks_the_format(tmp_path: Path) -> None:
    artifact = load_artifact()
    assert artifact.contract_name == "AnchorRegistry"
    assert len(artifact.sha256) == 64
    bad = tmp_path / "a.json"
    bad.write_text(json.dumps({"format": "something-else/9"}))
    with pytest.raises(ConfigError, match="unknown format"):
        load_artifact(bad)
    bad.write_text("{")
    with pytest.raises(ConfigError, match="not JSON"):
        load_artifact(bad)
    with pytest.raises(ConfigError):
        load_artifact(tmp_path / "missing.json")
