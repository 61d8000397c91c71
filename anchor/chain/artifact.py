"""The committed, compiled AnchorRegistry: loaded from JSON, never compiled at runtime.

``scripts/build_contracts.py`` writes contracts/AnchorRegistry.json and a byte-identical
copy next to this module (shipped with the package). Standard library only.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from anchor.errors import ConfigError

ARTIFACT_FORMAT = "ledger-anchor-artifact/1"
ARTIFACT_FILE = "AnchorRegistry.json"

__all__ = ["ARTIFACT_FORMAT", "Artifact", "load_artifact"]


@dataclass(frozen=True)
class Artifact:
    """What deploying and talking to the registry needs, plus provenance."""

    contract_name: str
    abi: tuple[dict[str, Any], ...] = field(repr=False)
    bytecode: str = field(repr=False)
    deployed_bytecode: str = field(repr=False)
    compiler_version: str
    source_sha256: str
    sha256: str  # of the artifact file's bytes
    immutable_references: dict[str, Any] = field(default_factory=dict, repr=False)
    metadata: str = field(default="", repr=False)
    standard_json_input: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def abi_list(self) -> list[dict[str, Any]]:
        """The ABI as a list (what web3 expects)."""
        return list(self.abi)

    @property
    def deployed_bytecode_bytes(self) -> bytes:
        return bytes.fromhex(self.deployed_bytecode.removeprefix("0x"))


def _parse(raw: bytes, origin: str) -> Artifact:
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise ConfigError(f"artifact {origin} is not JSON: {exc}") from None
    if not isinstance(data, dict) or data.get("format") != ARTIFACT_FORMAT:
        raise ConfigError(f"artifact {origin}: unknown format {data.get('format')!r}")
    try:
        return Artifact(
            contract_name=data["contractName"],
            abi=tuple(data["abi"]),
            bytecode=data["bytecode"],
            deployed_bytecode=data["deployedBytecode"],
            compiler_version=data["compiler"]["version"],
            source_sha256=data["sourceSha256"],
            sha256=hashlib.sha256(raw).hexdigest(),
            immutable_references=data.get("immutableReferences", {}),
            metadata=data.get("metadata", ""),
            standard_json_input=data.get("standardJsonInput", {}),
        )
    except (KeyError, TypeError) as exc:
        raise ConfigError(f"artifact {origin}: missing field {exc}") from None


@lru_cache(maxsize=8)
def _load_cached(path: str | None) -> Artifact:
    if path is None:
        raw = resources.files("anchor.chain").joinpath(ARTIFACT_FILE).read_bytes()
        return _parse(raw, f"anchor/chain/{ARTIFACT_FILE}")
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise ConfigError(f"artifact {path}: {exc.strerror}") from None
    return _parse(raw, path)


def load_artifact(path: str | Path | None = None) -> Artifact:
    """The packaged artifact, or the one at ``path``."""
    return _load_cached(None if path is None else str(path))
