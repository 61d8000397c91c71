"""What a person reads from the CLI: the version, help texts without markup residue, and
messages without a word or a prefix said twice."""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

import typer
from typer.testing import CliRunner

from anchor.cli import app
from tests.fixtures.paths import ROOT
from tests.fixtures.source import parse_source

# a word said twice ("at at"), or a "prefix:" said twice ("proof bundle: proof bundle:");
# not a command name before its hyphenated sibling ("anchor anchor-now")
DOUBLED_WORD = re.compile(r"(?<![\w-])([A-Za-z]+)\s+\1(?![\w-])")
# the public test mnemonic ("test test ... junk") is quoted, not stuttered
ALLOWED = ("test test",)
DOUBLED_PREFIX = re.compile(r"(\b[\w .-]{2,40}?:)\s+\1")
# markup a reader should never see: RST literals, typer's <bool> type, unrendered rich tags
RESIDUE = ("``", "<bool>", "[/", "[bold", "[green", "[red", "[dim", "\b")


def _doubled(text: str) -> str | None:
    for pattern in (DOUBLED_WORD, DOUBLED_PREFIX):
        for m in pattern.finditer(text):
            if m.group(0) not in ALLOWED:
                return m.group(0)
    return None


def _command_paths(cmd: Any, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every command and group under ``cmd`` (typer's own click: duck-typed)."""
    paths = [prefix]
    for name, sub in sorted(getattr(cmd, "commands", {}).items()):
        paths += _command_paths(sub, (*prefix, name))
    return paths


def test_version() -> None:
    res = CliRunner().invoke(app, ["--version"])
    assert res.exit_code == 0
    assert re.fullmatch(r"ledger-anchor \d+\.\d+\.\d+\S*\n", res.output), res.output


def test_help_texts_render_without_markup_residue() -> None:
    runner = CliRunner()
    paths = _command_paths(typer.main.get_command(app))
    assert len(paths) > 20  # every group and command, not just the top
    for path in paths:
        res = runner.invoke(app, [*path, "--help"], env={"COLUMNS": "200"})
        assert res.exit_code == 0, (path, res.output)
        for bad in RESIDUE:
            assert bad not in res.output, (path, bad, res.output)
        assert _doubled(res.output) is None, (path, _doubled(res.output))


def _strings(tree: ast.AST) -> list[tuple[int, str]]:
    """Every string literal, with an f-string's placeholders as ``{}``."""
    out: list[tuple[int, str]] = []
    inside: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            parts = []
            for v in node.values:
                inside.add(id(v))
                parts.append(v.value if isinstance(v, ast.Constant) else "{}")
            out.append((node.lineno, "".join(str(p) for p in parts)))
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in inside
        ):
            out.append((node.lineno, node.value))
    return out


def test_no_message_says_a_word_twice() -> None:
    """Every string in the package (messages, help, docstrings), read once by a test."""
    found = []
    for path in sorted((ROOT / "anchor").rglob("*.py")):
        tree = parse_source(path.read_text(encoding="utf-8"))
        for line, text in _strings(tree):
            hit = _doubled(text)
            if hit:
                found.append(f"{path.relative_to(ROOT)}:{line}: {hit!r}")
    assert not found, "\n".join(found)


def test_bundle_errors_name_their_prefix_once(tmp_path: Path) -> None:
    """Broken bundles, through the command a user runs: one line, said once."""
    runner = CliRunner()
    broken = sorted((ROOT / "tests" / "vectors" / "broken").glob("*.json"))
    good = next((ROOT / "tests" / "vectors" / "bundles").glob("*.json"))
    text = good.read_text()
    extra = [
        text.replace('"chainId": ', '"chainId": "x", "_": ', 1),
        text.replace('"blockNumber": ', '"blockNumber": -', 1),
        text + "x",
        "{",
        "[]",
    ]
    files = list(broken)
    for i, body in enumerate(extra):
        p = tmp_path / f"extra-{i}.json"
        p.write_text(body)
        files.append(p)
    seen = 0
    for f in files:
        res = runner.invoke(app, ["verify", str(f), "--offline"])
        if res.exit_code == 0:
            continue
        seen += 1
        lines = [x for x in res.output.splitlines() if x.strip()]
        assert len(lines) == 1, (f.name, res.output)
        assert _doubled(lines[0]) is None, (f.name, lines[0])
    assert seen >= 10
