"""The files a block explorer's (or Sourcify's) verification form needs for one deployment.

For a registry deployed from the committed artifact, :func:`write_verification_files` checks
that the code at the address is this registry's, finds its creation transaction (a call to the
CREATE2 factory, or a plain creation) and reads the ABI-encoded constructor arguments from it,
then writes:

- ``standard-input.json``: the compiler's standard-JSON input (all sources inlined, the pinned
  settings), for a "Standard-Json-Input" form;
- ``compiler-version.txt``: e.g. ``v0.8.28+commit.7893614a``;
- ``constructor-args.txt``: the ABI-encoded constructor arguments, hex without ``0x``;
- ``metadata.json`` and ``sources/…``: the compiler's metadata, byte for byte, and each source
  file under its source unit name (what Sourcify takes);
- ``verification.json``: all of the above in one document, with the chain id, address,
  contract name and creation transaction.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eth_abi import decode as abi_decode
from eth_utils import to_checksum_address
from web3 import Web3

from anchor.chain.artifact import Artifact, load_artifact
from anchor.chain.create2 import FACTORY_ADDRESS, find_creation
from anchor.chain.deploy import check_chain_id, check_runtime_code
from anchor.errors import AlarmError, ChainError

__all__ = ["VerificationInfo", "write_verification_files"]


@dataclass(frozen=True)
class VerificationInfo:
    """What was written, and the values an explorer form asks for."""

    chain_id: int
    address: str
    contract: str  # "source unit:contract name"
    compiler_version: str  # with the leading "v", as explorers list it
    constructor_args_hex: str  # no 0x
    owner: str
    first_anchorer: str
    block_number: int
    tx_hash: str
    files: tuple[Path, ...]

    @property
    def arguments_text(self) -> str:
        return f"initialOwner {self.owner}, firstAnchorer {self.first_anchorer}"


def _source_name(artifact: Artifact) -> str:
    target = json.loads(artifact.metadata)["settings"]["compilationTarget"]
    (name,) = target.keys()
    return f"{name}:{target[name]}"


def write_verification_files(
    w3: Web3, address: str, out_dir: str | Path, *, artifact: Artifact | None = None
) -> VerificationInfo:
    """Check the deployment at ``address`` and write the verification files into ``out_dir``."""
    artifact = artifact or load_artifact()
    address = to_checksum_address(address)
    try:
        chain_id = check_chain_id(w3, int(w3.eth.chain_id))
    except Exception as exc:  # an unreachable RPC: one line, no trace
        raise ChainError(
            f"cannot read the chain id: RPC unreachable ({type(exc).__name__})"
        ) from None
    try:
        check_runtime_code(w3, address, artifact)
    except AlarmError:
        raise ChainError(
            f"the code at {address} is not this AnchorRegistry (it differs from the committed "
            "artifact): there is nothing this tool can verify"
        ) from None
    creation = find_creation(w3, address)
    init_code = creation.tx_input[32:] if creation.tx_to == FACTORY_ADDRESS else creation.tx_input
    bytecode = bytes.fromhex(artifact.bytecode.removeprefix("0x"))
    if not init_code.startswith(bytecode):
        raise ChainError(
            f"creation transaction {creation.tx_hash} does not carry the artifact's bytecode"
        )
    args = init_code[len(bytecode) :]
    owner, first_anchorer = (
        to_checksum_address(v) for v in abi_decode(["address", "address"], args)
    )
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    version = "v" + artifact.compiler_version
    std_input: dict[str, Any] = artifact.standard_json_input
    written: list[Path] = []

    def write(name: str, text: str) -> None:
        path = out / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)

    write("standard-input.json", json.dumps(std_input, indent=2) + "\n")
    write("compiler-version.txt", version + "\n")
    write("constructor-args.txt", args.hex() + "\n")
    write("metadata.json", artifact.metadata)  # byte for byte: its hash is in the bytecode
    for name, source in std_input["sources"].items():
        write(f"sources/{name}", source["content"])
    settings = std_input["settings"]
    info = VerificationInfo(
        chain_id=chain_id,
        address=address,
        contract=_source_name(artifact),
        compiler_version=version,
        constructor_args_hex=args.hex(),
        owner=owner,
        first_anchorer=first_anchorer,
        block_number=creation.block_number,
        tx_hash=creation.tx_hash,
        files=(),
    )
    summary = {
        "chainId": chain_id,
        "address": address,
        "contract": info.contract,
        "compilerVersion": version,
        "optimizer": settings["optimizer"],
        "viaIR": settings["viaIR"],
        "evmVersion": settings["evmVersion"],
        "license": "Apache-2.0",
        "constructorArguments": args.hex(),
        "constructorArgumentsDecoded": {"initialOwner": owner, "firstAnchorer": first_anchorer},
        "creationTransaction": creation.tx_hash,
        "creationBlock": creation.block_number,
        "createdThrough": creation.tx_to or "a plain creation transaction",
        "files": {
            "standardJsonInput": "standard-input.json",
            "metadata": "metadata.json",
            "sources": "sources/",
        },
    }
    write("verification.json", json.dumps(summary, indent=2) + "\n")
    return VerificationInfo(**{**info.__dict__, "files": tuple(written)})
