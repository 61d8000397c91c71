"""Deploy the committed AnchorRegistry artifact to any RPC and record what was deployed.

The registry is created through the CREATE2 factory (:mod:`anchor.chain.create2`), so one
salt, owner and first anchorer give one address on every EVM chain. :func:`plan_deployment`
computes that address and checks the chain before anything is sent: it refuses a node whose
chain id differs from the configured one and an address that already holds other code; when
it already holds this registry, nothing is sent. After deploying, the runtime code on chain
must equal the artifact's deployed bytecode (the contract has no immutables, so the
comparison is exact; constructor arguments are not part of runtime code). The deployment
record is JSON with no secret in it.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, cast

import requests
from eth_typing import HexStr
from eth_utils import keccak, to_checksum_address
from web3 import Web3
from web3.exceptions import Web3RPCError

from anchor.chain.artifact import Artifact, load_artifact
from anchor.chain.create2 import (
    DEFAULT_SALT,
    FACTORY_ADDRESS,
    Creation,
    create2_address,
    deploy_factory,
    factory_state,
    find_creation,
    registry_init_code,
)
from anchor.chain.keys import SigningKey
from anchor.chain.sending import sending
from anchor.errors import AlarmError, ChainError, ConfigError

DEPLOYMENT_FORMAT = "ledger-anchor-deployment/1"

__all__ = [
    "DEPLOYMENT_FORMAT",
    "AddressOccupiedError",
    "ChainIdMismatchError",
    "DeploymentPlan",
    "DeploymentRecord",
    "check_chain_id",
    "check_runtime_code",
    "deploy_registry",
    "plan_deployment",
    "read_deployment",
    "write_deployment",
]


class ChainIdMismatchError(ConfigError):
    """The RPC serves a different chain than the one configured."""


class AddressOccupiedError(ConfigError):
    """Code that is not this registry already sits at the deterministic address."""


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
    salt: str = ""  # CREATE2 salt (hex); empty for a record of a plain deployment
    factory: str = ""  # the CREATE2 factory; empty for a plain deployment
    constructor_args: str = ""  # ABI-encoded (hex), as an explorer's verification form wants
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


@dataclass(frozen=True)
class DeploymentPlan:
    """Where the registry will be (or is): known before anything is sent."""

    chain_id: int
    address: str
    salt: str
    owner: str
    anchorer: str
    factory: str
    factory_missing: bool
    already_deployed: bool
    refusal: str | None  # why it must not be deployed here (other code at the address)
    init_code: bytes = field(repr=False)
    constructor_args: bytes = field(repr=False)


def plan_deployment(
    w3: Web3,
    *,
    expected_chain_id: int,
    owner: str,
    anchorer: str,
    salt: bytes = DEFAULT_SALT,
    artifact: Artifact | None = None,
) -> DeploymentPlan:
    """Check the chain id, compute the CREATE2 address, look at what is there. Sends nothing.

    Raises :class:`ChainIdMismatchError` for another chain and :class:`ChainError` when the
    RPC is unreachable. Other code at the address (or at the factory's) sets ``refusal``."""
    artifact = artifact or load_artifact()
    chain_id = check_chain_id(w3, expected_chain_id)
    init_code = registry_init_code(artifact, owner, anchorer)
    constructor_args = init_code[len(bytes.fromhex(artifact.bytecode.removeprefix("0x"))) :]
    address = create2_address(init_code, salt)
    try:
        code = bytes(w3.eth.get_code(to_checksum_address(address)))
        factory = factory_state(w3)
    except (Web3RPCError, requests.exceptions.RequestException, OSError) as exc:
        raise ChainError(f"cannot read code: RPC unreachable ({type(exc).__name__})") from None
    refusal = None
    if code and code != artifact.deployed_bytecode_bytes:
        refusal = (
            f"{address} already holds other code ({len(code)} bytes), not this registry; "
            "refusing (choose another --salt)"
        )
    elif factory == "other":
        refusal = f"{FACTORY_ADDRESS} holds code that is not the CREATE2 factory; refusing"
    return DeploymentPlan(
        chain_id=chain_id,
        address=address,
        salt=Web3.to_hex(salt),
        owner=to_checksum_address(owner),
        anchorer=to_checksum_address(anchorer),
        factory=FACTORY_ADDRESS,
        factory_missing=factory == "missing",
        already_deployed=bool(code) and refusal is None,
        refusal=refusal,
        init_code=init_code,
        constructor_args=constructor_args,
    )


def deploy_registry(
    w3: Web3,
    key: SigningKey,
    *,
    expected_chain_id: int,
    anchorer: str | None = None,
    owner: str | None = None,
    salt: bytes = DEFAULT_SALT,
    artifact: Artifact | None = None,
    timeout: float = 120.0,
    poll_latency: float = 0.05,
    on_plan: Callable[[DeploymentPlan], None] | None = None,
) -> DeploymentRecord:
    """Deploy the registry through the CREATE2 factory, ``key`` paying: ``owner`` and
    ``anchorer`` default to the key's address. ``on_plan`` sees the plan (the address) before
    anything is sent. When this registry is already at the address, nothing is sent and the
    record describes the existing deployment. Creates the factory first where it is missing.
    Waits for the receipt and checks the runtime code."""
    artifact = artifact or load_artifact()
    plan = plan_deployment(
        w3,
        expected_chain_id=expected_chain_id,
        owner=owner or key.address,
        anchorer=anchorer or key.address,
        salt=salt,
        artifact=artifact,
    )
    if on_plan is not None:
        on_plan(plan)
    if plan.refusal is not None:
        raise AddressOccupiedError(plan.refusal)
    if plan.already_deployed:
        creation = find_creation(w3, plan.address)
        return _record(w3, plan, artifact, creation, deployer=None)
    if plan.factory_missing:
        deploy_factory(w3, key, chain_id=plan.chain_id, timeout=timeout, poll=poll_latency)
    with sending("deployment", timeout=timeout, abi=artifact.abi):
        tx = {
            "chainId": plan.chain_id,
            "from": key.address,
            "to": FACTORY_ADDRESS,
            "data": Web3.to_hex(bytes.fromhex(plan.salt[2:]) + plan.init_code),
            "nonce": w3.eth.get_transaction_count(to_checksum_address(key.address), "pending"),
            "value": 0,
        }
        tx["gas"] = int(w3.eth.estimate_gas(cast(Any, tx)) * 6 // 5)
        fees = _fees(w3)
        tx.update(fees)
        signed = key.sign_transaction(tx)
        tx_hash = w3.eth.send_raw_transaction(signed.raw_transaction)
        receipt = w3.eth.wait_for_transaction_receipt(
            tx_hash, timeout=timeout, poll_latency=poll_latency
        )
    if receipt["status"] != 1:
        raise ChainError(f"deployment transaction {Web3.to_hex(tx_hash)} reverted")
    block = w3.eth.get_block(receipt["blockNumber"])
    creation = Creation(
        block_number=int(receipt["blockNumber"]),
        block_hash=Web3.to_hex(receipt["blockHash"]),
        block_timestamp=int(block["timestamp"]),
        tx_hash=Web3.to_hex(tx_hash),
        tx_to=FACTORY_ADDRESS,
        tx_input=bytes.fromhex(str(tx["data"])[2:]),
        gas_used=int(receipt["gasUsed"]),
    )
    return _record(w3, plan, artifact, creation, deployer=key.address)


def _fees(w3: Web3) -> dict[str, int]:
    """EIP-1559 fees where the chain has a base fee, else a legacy gas price."""
    latest = w3.eth.get_block("latest")
    base = latest.get("baseFeePerGas")
    if base is None:
        return {"gasPrice": int(w3.eth.gas_price)}
    tip = int(w3.eth.max_priority_fee)
    return {"maxFeePerGas": 2 * int(base) + tip, "maxPriorityFeePerGas": tip}


def _record(
    w3: Web3,
    plan: DeploymentPlan,
    artifact: Artifact,
    creation: Creation,
    *,
    deployer: str | None,
) -> DeploymentRecord:
    code_hash = check_runtime_code(w3, plan.address, artifact, block=creation.block_number)
    if deployer is None:
        tx = w3.eth.get_transaction(HexStr(creation.tx_hash))
        deployer = to_checksum_address(str(tx["from"]))
    return DeploymentRecord(
        chain_id=plan.chain_id,
        address=plan.address,
        deploy_tx=creation.tx_hash,
        block_number=creation.block_number,
        block_hash=creation.block_hash,
        block_timestamp=creation.block_timestamp,
        deployer=deployer,
        owner=plan.owner,
        anchorer=plan.anchorer,
        contract_name=artifact.contract_name,
        compiler=artifact.compiler_version,
        artifact_sha256=artifact.sha256,
        source_sha256=artifact.source_sha256,
        runtime_code_keccak256=code_hash,
        gas_used=creation.gas_used,
        salt=plan.salt,
        factory=plan.factory,
        constructor_args=Web3.to_hex(plan.constructor_args),
    )
