#!/usr/bin/env python3
"""Compile the contracts reproducibly and write their committed artifacts: AnchorRegistry
(contracts/AnchorRegistry.sol) and LiabilitiesRegistry (contracts/LiabilitiesRegistry.sol),
each from its own self-contained compiler input.

The compiler is solc 0.8.28 (pinned, matching the pragma). It is taken, in order, from:

1. py-solc-x (``solcx``): an already installed 0.8.28, else ``solcx.install_solc`` (needs
   the internet; skipped with ``--offline``);
2. the npm package ``solc`` pinned at 0.8.28 in contracts/package.json (``solcjs
   --standard-json``), which is the official compiler built to WebAssembly.

Both compile the same standard-JSON input to the same bytecode and metadata. The input is
self-contained (every source, OpenZeppelin's included, is inlined), so it is exactly what a
user hands a block explorer to verify the deployed contract.

Writes contracts/NAME.json and a byte-identical copy in anchor/chain/ (the package loads that
one, so an installed package never needs a compiler or the repository).

    python scripts/build_contracts.py            # build and write both
    python scripts/build_contracts.py --check    # rebuild and compare; exit 1 when different
    python scripts/build_contracts.py --contract LiabilitiesRegistry --check
"""

from __future__ import annotations

import argparse
import hashlib
import json
import posixpath
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CONTRACTS = ROOT / "contracts"
SOURCE_NAME = "contracts/AnchorRegistry.sol"
CONTRACT_NAME = "AnchorRegistry"
SOLC_VERSION = "0.8.28"
ARTIFACT_PATHS = (
    CONTRACTS / "AnchorRegistry.json",
    ROOT / "anchor" / "chain" / "AnchorRegistry.json",
)
# name -> source; ``--artifact`` paths without ``--contract`` are AnchorRegistry's
CONTRACT_SOURCES = {
    "AnchorRegistry": "contracts/AnchorRegistry.sol",
    "LiabilitiesRegistry": "contracts/LiabilitiesRegistry.sol",
}


def artifact_paths(name: str) -> tuple[Path, Path]:
    return CONTRACTS / f"{name}.json", ROOT / "anchor" / "chain" / f"{name}.json"


ARTIFACT_FORMAT = "ledger-anchor-artifact/1"
SETTINGS: dict[str, Any] = {
    "optimizer": {"enabled": True, "runs": 200},
    "viaIR": True,
    "evmVersion": "cancun",
    "metadata": {"bytecodeHash": "ipfs"},
    "outputSelection": {
        "*": {
            "*": [
                "abi",
                "metadata",
                "evm.bytecode.object",
                "evm.deployedBytecode.object",
                "evm.deployedBytecode.immutableReferences",
                "evm.methodIdentifiers",
                "devdoc",
                "userdoc",
            ]
        }
    },
}
# Fields a rebuild must reproduce exactly (the test compares these, and the whole file).
COMPARED_FIELDS = ("abi", "bytecode", "deployedBytecode", "metadata", "standardJsonInput")

_IMPORT_RE = re.compile(r'^\s*import\s+(?:[^"\']*\s+from\s+)?["\']([^"\']+)["\']\s*;', re.MULTILINE)


class BuildError(Exception):
    """The compiler could not be found or reported errors."""


def _resolve(importer: str, target: str) -> str:
    if target.startswith("./") or target.startswith("../"):
        return posixpath.normpath(posixpath.join(posixpath.dirname(importer), target))
    return target


def _read_source(unit: str) -> str:
    path = CONTRACTS / "node_modules" / unit if unit.startswith("@") else ROOT / unit
    if not path.is_file():
        raise BuildError(
            f"source {unit} not found at {path}: run scripts/setup.sh (npm ci in contracts/)"
        )
    return path.read_text(encoding="utf-8")


def collect_sources(entry: str = SOURCE_NAME) -> dict[str, str]:
    """Every source unit reachable from ``entry`` by imports, keyed by its import name."""
    sources: dict[str, str] = {}
    pending = [entry]
    while pending:
        unit = pending.pop()
        if unit in sources:
            continue
        text = _read_source(unit)
        sources[unit] = text
        pending.extend(_resolve(unit, target) for target in _IMPORT_RE.findall(text))
    return dict(sorted(sources.items()))


def standard_json_input(entry: str = SOURCE_NAME) -> dict[str, Any]:
    """The compiler input: all sources inlined, pinned settings."""
    return {
        "language": "Solidity",
        "sources": {name: {"content": text} for name, text in collect_sources(entry).items()},
        "settings": SETTINGS,
    }


def _installed_solcx() -> Any:
    try:
        import solcx
    except ImportError:
        return None
    try:
        versions = {str(v) for v in solcx.get_installed_solc_versions()}
    except Exception:
        return None
    return solcx if SOLC_VERSION in versions else None


def _try_solcx_install() -> bool:
    """Let py-solc-x download the compiler (in a child process, with a time limit)."""
    code = f"import solcx; solcx.install_solc({SOLC_VERSION!r})"
    try:
        done = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def _solcjs() -> Path:
    candidate = CONTRACTS / "node_modules" / ".bin" / "solcjs"
    if not candidate.exists():
        raise BuildError("solcjs not found: run scripts/setup.sh (npm ci in contracts/)")
    return candidate


def _parse_json_after_noise(stdout: str) -> dict[str, Any]:
    """solcjs may print text (warnings, banners) before the JSON document."""
    decoder = json.JSONDecoder()
    for match in re.finditer(r"\{", stdout):
        try:
            value, _ = decoder.raw_decode(stdout, match.start())
        except json.JSONDecodeError:
            continue
        if isinstance(value, dict) and ("contracts" in value or "errors" in value):
            return value
    raise BuildError("solcjs printed no standard-JSON output")


def compile_input(
    std_input: dict[str, Any], *, backend: str = "auto", offline: bool = False
) -> tuple[dict[str, Any], str]:
    """Compile ``std_input``; returns (standard-JSON output, backend used)."""
    if backend in ("auto", "solcx"):
        solcx = _installed_solcx()
        if solcx is None and not offline and _try_solcx_install():
            solcx = _installed_solcx()
        if solcx is not None:
            output = solcx.compile_standard(std_input, solc_version=SOLC_VERSION, allow_empty=False)
            return dict(output), f"py-solc-x (solc {SOLC_VERSION} native)"
        if backend == "solcx":
            raise BuildError(f"py-solc-x has no solc {SOLC_VERSION} and could not install it")
    solcjs = _solcjs()
    version = subprocess.run(
        [str(solcjs), "--version"], capture_output=True, text=True, check=False
    )
    if not version.stdout.strip().startswith(SOLC_VERSION + "+"):
        raise BuildError(f"solcjs is {version.stdout.strip()!r}, expected {SOLC_VERSION}")
    done = subprocess.run(
        [str(solcjs), "--standard-json"],
        input=json.dumps(std_input),
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    if done.returncode != 0 and not done.stdout:
        raise BuildError(f"solcjs failed: {done.stderr.strip()[:2000]}")
    return _parse_json_after_noise(done.stdout), f"npm solc (solcjs {SOLC_VERSION})"


def _check_errors(output: dict[str, Any]) -> None:
    problems = [e for e in output.get("errors", []) if e.get("severity") == "error"]
    if problems:
        text = "\n".join(e.get("formattedMessage", e.get("message", "")) for e in problems)
        raise BuildError(f"compilation failed:\n{text}")


def build_artifact(
    std_input: dict[str, Any], output: dict[str, Any], name: str = CONTRACT_NAME
) -> dict[str, Any]:
    """The committed artifact, from the compiler input and output."""
    _check_errors(output)
    source_name = CONTRACT_SOURCES[name]
    contract = output["contracts"][source_name][name]
    metadata = json.loads(contract["metadata"])
    long_version = metadata["compiler"]["version"]
    source = std_input["sources"][source_name]["content"].encode("utf-8")
    deployed = contract["evm"]["deployedBytecode"]
    return {
        "_generated": (
            f"generated by scripts/build_contracts.py from {source_name} with solc {long_version} "
            "(py-solc-x, or the npm package solc at the same version); do not edit"
        ),
        "format": ARTIFACT_FORMAT,
        "contractName": name,
        "sourceName": source_name,
        "sourceSha256": hashlib.sha256(source).hexdigest(),
        "compiler": {"name": "solc", "version": long_version, "settings": SETTINGS},
        "dependencies": _dependencies(),
        "abi": contract["abi"],
        "bytecode": "0x" + contract["evm"]["bytecode"]["object"],
        "deployedBytecode": "0x" + deployed["object"],
        "immutableReferences": deployed.get("immutableReferences", {}),
        "methodIdentifiers": contract["evm"]["methodIdentifiers"],
        "metadata": contract["metadata"],
        "devdoc": contract.get("devdoc", {}),
        "userdoc": contract.get("userdoc", {}),
        "standardJsonInput": std_input,
    }


def _dependencies() -> dict[str, str]:
    lock = json.loads((CONTRACTS / "package-lock.json").read_text(encoding="utf-8"))
    packages = lock.get("packages", {})
    return {
        name: packages.get(f"node_modules/{name}", {}).get("version", "?")
        for name in ("@openzeppelin/contracts", "solc")
    }


def render(artifact: dict[str, Any]) -> str:
    return json.dumps(artifact, indent=2, sort_keys=False, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--check", action="store_true", help="rebuild and compare with the committed artifact"
    )
    parser.add_argument(
        "--artifact", type=Path, action="append", help="artifact file(s) to write or check"
    )
    parser.add_argument(
        "--offline", action="store_true", help="never let py-solc-x download a compiler"
    )
    parser.add_argument("--backend", choices=("auto", "solcx", "solcjs"), default="auto")
    parser.add_argument(
        "--contract",
        choices=sorted(CONTRACT_SOURCES),
        action="append",
        help="which contract (default: all; AnchorRegistry when --artifact is given)",
    )
    args = parser.parse_args(argv)
    names: list[str] = args.contract or (
        [CONTRACT_NAME] if args.artifact else list(CONTRACT_SOURCES)
    )
    if args.artifact and len(names) != 1:
        parser.error("--artifact needs exactly one --contract")
    bad = 0
    for name in names:
        targets: list[Path] = args.artifact or list(artifact_paths(name))
        result = _build_one(name, targets, args.check, args.backend, args.offline)
        if result == 2:
            return 2
        bad += result
    return 1 if bad else 0


def _build_one(name: str, targets: list[Path], check: bool, backend: str, offline: bool) -> int:
    source_name = CONTRACT_SOURCES[name]
    try:
        std_input = standard_json_input(source_name)
        output, used = compile_input(std_input, backend=backend, offline=offline)
        artifact = build_artifact(std_input, output, name)
    except BuildError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    text = render(artifact)
    print(f"compiled {source_name} with {used}: solc {artifact['compiler']['version']}")
    if check:
        bad = 0
        for path in targets:
            try:
                committed = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, json.JSONDecodeError) as exc:
                print(f"DIFFERS {path}: cannot read ({exc})")
                bad += 1
                continue
            differing = [k for k in COMPARED_FIELDS if committed.get(k) != artifact[k]]
            if differing or path.read_text(encoding="utf-8") != text:
                print(f"DIFFERS {path}: {', '.join(differing) or 'other fields or layout'}")
                bad += 1
            else:
                print(f"same    {path}")
        return 1 if bad else 0
    for path in targets:
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path}")
    print(f"deployed bytecode: {(len(artifact['deployedBytecode']) - 2) // 2} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
