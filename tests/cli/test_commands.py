"""The ``anchor`` command's surface: every command is there (a renamed or unimportable module
cannot make one vanish), and on a base install, without the server extra, a server command
says in one line which extra to install instead of printing a traceback."""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path
from typing import Any

import typer

from anchor.cli import app
from anchor.cli.extras import EXTRA_OF
from tests.fixtures.paths import ROOT
from tests.fixtures.source import parse_source

# every command and group, as `anchor --help` (recursively) lists them
EXPECTED = [
    "accounts",
    "accounts link",
    "accounts token",
    "alarms",
    "anchor-now",
    "anchors",
    "anchors export",
    "backup",
    "backup keygen",
    "backup run",
    "backup status",
    "backup verify",
    "batches",
    "books",
    "config",
    "config show",
    "consume",
    "contract",
    "contract source",
    "db",
    "db info",
    "db init",
    "db migrate",
    "demo",
    "deploy",
    "devnet",
    "devnet down",
    "devnet status",
    "devnet up",
    "ingest",
    "liabilities",
    "liabilities deploy",
    "liabilities prove",
    "liabilities round",
    "liabilities status",
    "prove",
    "reconcile",
    "report",
    "restore",
    "seal",
    "serve",
    "trust",
    "trust add",
    "trust list",
    "trust remove",
    "verify",
    "verify-liability",
    "verify-receipt",
]


def _paths(cmd: Any, prefix: tuple[str, ...] = ()) -> list[str]:
    out = []
    for name, sub in sorted(getattr(cmd, "commands", {}).items()):
        out.append(" ".join((*prefix, name)))
        out += _paths(sub, (*prefix, name))
    return out


def test_every_command_is_registered() -> None:
    assert _paths(typer.main.get_command(app)) == EXPECTED


# A real interpreter that cannot see the extras' packages: a finder first on sys.meta_path
# refuses them, as an interpreter without them installed would.
BLOCKER = textwrap.dedent(
    """
    import os, sys

    BLOCKED = set(os.environ["BLOCKED_IMPORTS"].split(","))

    class Absent:
        def find_spec(self, name, path=None, target=None):
            if name.partition(".")[0] in BLOCKED:
                raise ModuleNotFoundError(f"No module named {name!r}", name=name)
            return None

    sys.meta_path.insert(0, Absent())
    """
)
RUN_CLI = 'sys.argv = ["anchor", *sys.argv[1:]]\nfrom anchor.cli import main\nmain()\n'


def _base_install(
    tmp_path: Path, *args: str, code: str = RUN_CLI
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", BLOCKER + code, *args],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={
            "PATH": "/usr/bin:/bin",
            "HOME": str(tmp_path),
            "PYTHONPATH": str(ROOT),
            "BLOCKED_IMPORTS": ",".join(sorted(EXTRA_OF)),
        },
        timeout=120,
    )


def test_server_commands_on_a_base_install_print_one_line_naming_the_extra(
    tmp_path: Path,
) -> None:
    db = f"sqlite:///{tmp_path / 'books.db'}"
    for args, command in (
        (["serve", "--role", "api"], "anchor serve"),
        (["db", "init", "--database-url", db], "anchor db init"),
        (["batches", "--database-url", db], "anchor batches"),
        (["backup", "keygen", "k1"], "anchor backup keygen"),
        (["deploy", "--rpc", "http://127.0.0.1:9", "--chain-id", "31337"], "anchor deploy"),
    ):
        res = _base_install(tmp_path, *args)
        lines = res.stderr.strip().splitlines()
        assert res.returncode == 2, (args, res.stdout, res.stderr)
        assert len(lines) == 1, (args, res.stderr)
        assert lines[0].startswith(f"error: {command} needs the 'server' extra ("), lines[0]
        assert lines[0].endswith("pip install 'ledger-anchor[server]'"), lines[0]


def test_the_verifier_works_on_the_same_base_install(tmp_path: Path) -> None:
    """The blocker is real (a server import fails in that interpreter), and the verifier,
    the base install's purpose, works there all the same."""
    res = _base_install(tmp_path, code="import fastapi\n")
    assert res.returncode == 1 and "No module named 'fastapi'" in res.stderr, res.stderr
    bundle = ROOT / "tests" / "vectors" / "bundles" / "valid-trade-final.json"
    res = _base_install(tmp_path, "verify", str(bundle), "--offline")
    assert res.returncode == 0, res.stderr
    assert res.stdout.startswith("math ok (offline): record "), res.stdout
    assert _base_install(tmp_path, "--help").returncode == 0


def _third_party_imports() -> set[str]:
    found: set[str] = set()
    for path in (ROOT / "anchor").rglob("*.py"):
        for node in ast.walk(parse_source(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found.update(a.name.partition(".")[0] for a in node.names)
            elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                found.add(node.module.partition(".")[0])
    return found - set(sys.stdlib_module_names) - {"anchor", "__future__"}


def test_every_import_outside_the_base_install_is_named_by_its_extra() -> None:
    """A new server import that no extra explains would print a traceback on a base
    install; the table of :mod:`anchor.cli.extras` must know it."""
    # the base dependencies and what they bring (typer brings pydantic)
    base = {"typer", "click", "pydantic", "rich", "httpx", "tiny_keccak"}
    unknown = sorted(_third_party_imports() - base - set(EXTRA_OF))
    assert not unknown, f"add these to anchor/cli/extras.py EXTRA_OF: {unknown}"
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]
    assert set(EXTRA_OF.values()) <= set(extras)
