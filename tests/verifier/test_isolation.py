"""The standalone verifier installs and runs without the server's dependencies."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import anchor.verifier
from tests.fixtures.source import parse_source

SERVER_ONLY = ("sqlmodel", "sqlalchemy", "apscheduler", "fastapi", "uvicorn", "web3", "eth_abi",
               "eth_account", "psycopg", "anchor.store", "anchor.chain", "anchor.api",
               "anchor.service")  # fmt: skip


def _loaded_after(code: str) -> list[str]:
    probe = f"import sys, json; {code}; print(json.dumps([m for m in {list(SERVER_ONLY)!r} if m in sys.modules]))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return list(json.loads(out.stdout.strip().splitlines()[-1]))


def test_importing_the_verifier_pulls_in_no_server_dependency() -> None:
    assert _loaded_after("import anchor.verifier, anchor.verifier.rpc") == []


def test_importing_the_whole_cli_pulls_in_no_server_dependency() -> None:
    """Every command group registers on a base install; the server loads inside commands."""
    assert _loaded_after("import anchor.cli") == []


def test_offline_verification_in_a_fresh_interpreter_loads_no_server_dependency(
    tmp_path: Path,
) -> None:
    bundle = Path(__file__).parents[1] / "vectors" / "bundles" / "valid-trade-final.json"
    code = (
        "from anchor.verifier import verify_bundle_offline; "
        f"assert verify_bundle_offline(open({str(bundle)!r}, 'rb').read()).batch_id == 3"
    )
    assert _loaded_after(code) == []


def test_verifier_sources_do_not_import_server_packages() -> None:
    pkg = Path(anchor.verifier.__file__).parent
    for path in pkg.rglob("*.py"):
        for node in ast.walk(parse_source(path.read_text())):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                assert not name.startswith(SERVER_ONLY), (path.name, name)
