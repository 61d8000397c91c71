"""Deploy the committed AnchorRegistry artifact to any RPC and record what was deployed.

Refuses when the node's chain id differs from the configured one; afterwards checks that
the runtime code on chain equals the artifact's deployed bytecode (the contract has no
immutables, so the comparison is exact; constructor arguments are not part of runtime
code). The deployment record is JSON with no secret in it.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import requests
from eth_utils import keccak, to_checksum_address
from web3 import Web3
from web3.exceptions import ContractLogicError, TimeExhausted, Web3RPCError

from anchor.chain.artifact import Artifact, load_artifact
from anchor.chain.keys import SigningKey
from anchor.errors import AlarmError, ChainError, ConfigError

DEPLOYMENT_FORMAT = "ledger-anchor-deployment/1"

__all__ = [
    "DEPLOYMENT_FORMAT",
    "ChainIdMismatchError",
    "DeploymentRecord",
    "check_chain_id",
    "check_runtime_code",
    "deploy_registry",
    "read_deployment",
    "write_deployment",
]


class ChainIdMismatchError(ConfigError):
    """The RPC serves a different chain than the one configured."""


@dataclass(frozen=True)
class DeploymentRecord:
    """What was deployed where, by whom, from which artifact."""

    chain_id: int
    address: str
    deploy_tx: str
    block_number: int
    block_hash: str
    block_timestamp: int
    deployer: str
    owner: str
    anchorer: str
    contract_name: str
    compiler: str
    artifact_sha256: str
    source_sha256: str
    runtime_code_keccak256: str
    gas_used: int
    format: str = DEPLOYMENT_FORMAT

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["deployed_at"] = dt.datetime.fromtimestamp(self.block_timestamp, dt.UTC).isoformat()
        return data


def write_deployment(record: DeploymentRecord, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(record.to_json(), indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return path


def read_deployment(path: str | Path) -> DeploymentRecord:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"deployment record {path}: {exc}") from None
    if data.get("format") != DEPLOYMENT_FORMAT:
        raise ConfigError(f"deployment record {path}: unknown format {data.get('format')!r}")
    data.pop("deployed_at", None)
    try:
        return DeploymentRecord(**data)
    except TypeError as exc:
        raise ConfigError(f"deployment record {path}: {exc}") from None


def check_chain_id(w3: Web3, expected: int) -> int:
    """The node's chain id; :class:`ChainIdMismatchError` when it is not ``expected``."""
    try:
        actual = int(w3.eth.chain_id)
    except (Web3RPCError, requests.exceptions.RequestException, OSError) as exc:
        raise ChainError(
            f"cannot read the chain id: RPC unreachable ({type(exc).__name__})"
        ) from None
    if actual != expected:
        raise ChainIdMismatchError(
            f"the RPC serves chain id {actual}, but chain id {expected} is configured; refusing"
        )
    return actual


def check_runtime_code(
    w3: Web3, address: str, artifact: Artifact | None = None, *, block: Any = "latest"
) -> str:
    """Compare the code at ``address`` with the artifact's deployed bytecode; returns its
    keccak256 (hex). Raises :class:`AlarmError` on any difference."""
    artifact = artifact or load_artifact()
    if artifact.immutable_references:
        raise ConfigError(
            "the artifact has immutables: an exact runtime-code comparison is impossible"
        )
    code = bytes(w3.eth.get_code(to_checksum_address(address), block_identifier=block))
    expected = artifact.deployed_bytecode_bytes
    if code != expected:
        raise AlarmError(
            f"runtime code at {address} differs from the artifact "
            f"({len(code)} bytes on chain, {len(expected)} expected; "
            f"keccak {keccak(code).hex()} vs {keccak(expected).hex()})"
        )
    return "0x" + keccak(code).hex()


def deploy_registry(
    w3: Web3,
    key: SigningKey,
    *,
    expected_chain_id: int,
    anchorer: str | None = None,
    artifact: Artifact | None = None,
    timeout: float = 120.0,
    poll_latency: float = 0.05,
) -> DeploymentRecord:
    """Deploy the registry with ``key`` as owner and ``anchorer`` (default: the deployer) as
    first anchorer; wait for the receipt, check the code, return the record."""
    artifact = artifact or load_artifact()
    chain_id = check_chain_id(w3, expected_chain_id)
    first_anchorer = to_checksum_address(anchorer) if anchorer else key.address
    factory = w3.eth.contract(abi=artifact.abi_list, bytecode=artifact.bytecode)
    try:
        nonce = w3.eth.get_transaction_count(to_checksum_address(key.address), "pending")
        tx = factory.constructor(first_anchorer).build_transaction(
            {"from": key.address, "nonce": nonce, "chainId": chain_id}
        )
        signed = key.sign_transaction(tx)
        tx_hash = w3.eth.send_raw_transaction(signed.raw_transaction)
        receipt = w3.eth.wait_for_transaction_receipt(
            tx_hash, timeout=timeout, poll_latency=poll_latency
        )
    except ContractLogicError as exc:
        raise ChainError(f"deployment would revert: {exc.message or type(exc).__name__}") from None
    except Web3RPCError as exc:
        raise ChainError(f"deployment rejected by the node: {_rpc_message(exc)}") from None
    except TimeExhausted:
        raise ChainError(f"deployment transaction not mined within {timeout:.0f} s") from None
    except requests.exceptions.RequestException as exc:
        raise ChainError(f"RPC unreachable during deployment ({type(exc).__name__})") from None
    if receipt["status"] != 1:
        raise ChainError(f"deployment transaction {Web3.to_hex(tx_hash)} reverted")
    if receipt.get("contractAddress") is None:
        raise ChainError(f"deployment transaction {Web3.to_hex(tx_hash)} created no contract")
    address = to_checksum_address(str(receipt["contractAddress"]))
    code_hash = check_runtime_code(w3, address, artifact, block=receipt["blockNumber"])
    block = w3.eth.get_block(receipt["blockNumber"])
    return DeploymentRecord(
        chain_id=chain_id,
        address=address,
        deploy_tx=Web3.to_hex(tx_hash),
        block_number=int(receipt["blockNumber"]),
        block_hash=Web3.to_hex(receipt["blockHash"]),
        block_timestamp=int(block["timestamp"]),
        deployer=key.address,
        owner=key.address,
        anchorer=first_anchorer,
        contract_name=artifact.contract_name,
        compiler=artifact.compiler_version,
        artifact_sha256=artifact.sha256,
        source_sha256=artifact.source_sha256,
        runtime_code_keccak256=code_hash,
        gas_used=int(receipt["gasUsed"]),
    )


def _rpc_message(exc: Web3RPCError) -> str:
    response = exc.rpc_response if isinstance(exc.rpc_response, dict) else {}
    error = response.get("error") if isinstance(response, dict) else None
    if isinstance(error, dict) and error.get("message"):
        return str(error["message"])
    return type(exc).__name__
