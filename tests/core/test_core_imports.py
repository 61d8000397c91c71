"""anchor/core is pure: it imports only the standard library, tiny_keccak and itself."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import anchor.core
from tests.fixtures.source import parse_source

CORE = Path(anchor.core.__file__).parent
FORBIDDEN = (
    "sqlmodel", "sqlalchemy", "web3", "httpx", "fastapi", "apscheduler", "requests", "uvicorn",
    "eth_abi", "eth_account", "psycopg", "socket", "ssl", "sqlite3", "subprocess", "asyncio",
    "urllib.request", "http.client", "anchor.store", "anchor.chain", "anchor.api",
    "anchor.service", "anchor.backup",
)  # fmt: skip
STDLIB_IO = {"socket", "ssl", "sqlite3", "subprocess", "asyncio", "urllib", "http", "shutil", "os"}


def _imports(path: Path) -> set[str]:
    out: set[str] = set()
    for node in ast.walk(parse_source(path.read_text())):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module)
    return out


def test_core_sources_import_only_stdlib_tiny_keccak_and_core() -> None:
    files = sorted(CORE.rglob("*.py"))
    assert len(files) >= 6
    for path in files:
        for mod in _imports(path):
            top = mod.split(".")[0]
            if mod.startswith(("anchor.core", "anchor.errors")) or mod == "__future__":
                continue
            assert top == "tiny_keccak" or top in sys.stdlib_module_names, (path.name, mod)
            assert top not in STDLIB_IO, (path.name, mod)


def test_importing_core_in_a_fresh_interpreter_pulls_in_no_io() -> None:
    code = (
        "import sys, json; import anchor.core, anchor.core.samples; "
        f"print(json.dumps([m for m in {list(FORBIDDEN)!r} if m in sys.modules]))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []


def test_public_surface() -> None:
    assert set(anchor.core.__all__) >= {
        "KINDS", "Record", "parse_record", "account_commitment", "leaf_types", "leaf_values",
        "encode_leaf", "leaf_hash", "MerkleTree", "proof_node_indices", "node_index_of_leaf",
        "process_proof", "verify_proof", "process_multiproof", "verify_multiproof",
        "ProofBundle", "parse_bundle", "make_bundle", "AnchorInfo", "verify_bundle",
    }  # fmt: skip
    for name in anchor.core.__all__:
        assert hasattr(anchor.core, name), name
