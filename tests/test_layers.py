"""The import direction of DESIGN.md, checked on the source: every import of every module under
``anchor/`` — top level, inside functions, under ``TYPE_CHECKING``, and
``importlib.import_module("anchor....")`` with a literal name — goes down, never up:

    core      → (nothing of ours)            verifier → core
    chain     → core                         store    → core
    backup    → core, store, chain           service  → core, store, chain, backup
    api       → service, store, core         cli on top (the anchor.cli package)

A module belongs to the layer of its package. ``anchor.errors`` (the
one error root) may be imported by everyone and imports nothing of ours; ``anchor.config``
(completed from ``anchor.chain_profiles``), ``anchor.runtime`` and ``anchor.logs`` are the
base every layer but ``core`` and ``verifier`` may use.

The few crossings that exist today for a reason are listed in :data:`EXCEPTIONS`, each with
that reason; an exception that is no longer needed fails too, so the list stays exact.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from pathlib import Path

import anchor
from tests.fixtures.source import parse_source

PACKAGE = Path(anchor.__file__).parent

ERRORS = "errors"
BASE = "base"
CLI = "cli"

# layer of each top-level module of the anchor package
TOP_LEVEL = {
    "anchor": BASE,  # __init__: the version
    "anchor.errors": ERRORS,
    "anchor.config": BASE,
    "anchor.runtime": BASE,
    "anchor.logs": BASE,
    "anchor.chain_profiles": BASE,  # plain data the configuration is completed from
    "anchor.config_chains": BASE,  # the chains of the configuration (issue 18)
}
PACKAGES = ("core", "verifier", "chain", "store", "backup", "service", "api")

ALLOWED: dict[str, set[str]] = {
    ERRORS: set(),
    BASE: {ERRORS, BASE},
    "core": {ERRORS, "core"},
    "verifier": {ERRORS, "verifier", "core"},
    "chain": {ERRORS, BASE, "chain", "core"},
    "store": {ERRORS, BASE, "store", "core"},
    "backup": {ERRORS, BASE, "backup", "core", "store", "chain"},
    "service": {ERRORS, BASE, "service", "core", "store", "chain", "backup"},
    "api": {ERRORS, BASE, "api", "service", "store", "core"},
    CLI: {ERRORS, BASE, CLI, *PACKAGES},
}

# (importing module, imported module) -> why the crossing stays for now
EXCEPTIONS: dict[tuple[str, str], str] = {
    ("anchor.api.contract", "anchor.chain.artifact"): (
        "GET /v1/contract publishes the address, ABI, compiler and standard-JSON input of the "
        "committed artifact: the artifact is data the chain package owns"
    ),
    ("anchor.service.report", "anchor.verifier.registry"): (
        "the report checks the code at the registry against the published code hash with the "
        "verifier's own definition of that check (one definition, no second copy)"
    ),
    ("anchor.api.health", "anchor.backup.watch"): (
        "/readyz reports backup health with the same verdict (backup_health) that /metrics, "
        "the alarms and `anchor backup status` use; it reads the database only"
    ),
}


def layer_of(module: str) -> str:
    if module in TOP_LEVEL:
        return TOP_LEVEL[module]
    parts = module.split(".")
    if len(parts) >= 2 and parts[1] in PACKAGES:
        return parts[1]
    if parts[:2] == ["anchor", "cli"]:  # every command, and `anchor serve` composing the top
        return CLI
    raise AssertionError(f"{module}: no layer (add it to TOP_LEVEL in {__file__})")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _known(name: str) -> str:
    """``name`` or the longest prefix of it that is a module or package of ours."""
    parts = name.split(".")
    while parts:
        candidate = PACKAGE.parent.joinpath(*parts)
        if candidate.with_suffix(".py").is_file() or (candidate / "__init__.py").is_file():
            return ".".join(parts)
        parts.pop()
    return name


def imports_of(path: Path, module: str | None = None) -> set[str]:
    """Every module of ours that ``path`` (the module ``module``) imports, wherever the
    import statement is."""
    module = module or module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(parse_source(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                prefix = ".".join(base + ([node.module] if node.module else []))
            else:
                prefix = node.module or ""
            # `from anchor.store import lease` imports anchor.store.lease
            found.update(_known(f"{prefix}.{a.name}") for a in node.names)
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute | ast.Name)
            and (node.func.attr if isinstance(node.func, ast.Attribute) else node.func.id)
            in ("import_module", "__import__")
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            found.add(node.args[0].value)
    return {_known(n) for n in found if n == "anchor" or n.startswith("anchor.")}


def all_modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def crossings() -> list[tuple[str, str, str, str]]:
    """Every (module, import, its layer, the import's layer) the rules do not allow."""
    out = []
    for module, path in all_modules().items():
        mine = layer_of(module)
        for target in sorted(imports_of(path)):
            theirs = layer_of(target)
            if theirs not in ALLOWED[mine]:
                out.append((module, target, mine, theirs))
    return out


def test_every_module_has_a_layer() -> None:
    modules = all_modules()
    assert len(modules) > 100
    for module in modules:
        layer_of(module)


def test_imports_go_down_the_layers() -> None:
    bad = [
        f"{module} -> {target}   ({mine} may not import {theirs})"
        for module, target, mine, theirs in crossings()
        if (module, target) not in EXCEPTIONS
    ]
    assert not bad, "imports against the layering of DESIGN.md:\n" + "\n".join(bad)


def test_every_exception_is_still_needed() -> None:
    used = {(module, target) for module, target, _m, _t in crossings()}
    stale = sorted(set(EXCEPTIONS) - used)
    assert not stale, f"exceptions no longer needed (remove them from EXCEPTIONS): {stale}"


def test_the_checker_sees_lazy_and_type_checking_imports(tmp_path: Path) -> None:
    """The parser counts what a grep of the top of the file would miss."""
    source = tmp_path / "probe.py"
    source.write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from anchor.store.db import Database\n"
        "def f():\n    from anchor.service import txmanager\n"
        "    import importlib\n    importlib.import_module('anchor.api.app')\n"
        "from . import fees\nfrom .. import errors\n",
        encoding="utf-8",
    )
    assert imports_of(source, "anchor.chain.probe") == {
        "anchor.store.db",
        "anchor.service.txmanager",
        "anchor.api.app",
        "anchor.chain.fees",
        "anchor.errors",
    }


# --------------------------------------------------------------------------- persistence

STORE = PACKAGE / "store"

# SQL as this code base writes it: upper-case keywords in a string literal. Prose in
# messages and docstrings does not match (docstrings are not looked at at all).
_SQL = re.compile(
    r"\bSELECT\s+(?:DISTINCT\s+)?[\w*(.,\s]+?\bFROM\b"
    r"|\bSELECT\s+(?:1|COUNT|MAX|MIN|COALESCE|pg_\w+)\b"
    r"|\bINSERT\s+INTO\b|\bUPDATE\s+\w+\s+SET\b|\bDELETE\s+FROM\b"
    r"|\bCREATE\s+(?:UNIQUE\s+)?(?:TABLE|INDEX|VIEW)\b|\bALTER\s+TABLE\b|\bDROP\s+TABLE\b"
    r"|\bCOPY\s+\w+\s*\(|\bPRAGMA\s+\w+|\b(?:RELEASE\s+|ROLLBACK\s+TO\s+)?SAVEPOINT\s+\w+"
)
# calls that hand back database rows
_ROW_CALLS = {"fetchone", "fetchall", "fetchmany", "first", "one", "one_or_none", "all"}


def _docstrings(tree: ast.AST) -> set[int]:
    """ids of the docstring constants of a module, its classes and functions."""
    out: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                out.add(id(body[0].value))
    return out


def sql_strings(source: str) -> list[tuple[int, str]]:
    """(line, text) of every string literal of ``source`` that holds SQL; an f-string is
    judged on its literal parts joined."""
    tree = parse_source(source)
    docs = _docstrings(tree)
    inside_fstrings = {
        id(v) for n in ast.walk(tree) if isinstance(n, ast.JoinedStr) for v in n.values
    }
    found = []
    for node in ast.walk(tree):
        text = None
        if isinstance(node, ast.JoinedStr):
            text = " ".join(
                v.value
                for v in node.values
                if isinstance(v, ast.Constant) and isinstance(v.value, str)
            )
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in docs
            and id(node) not in inside_fstrings
        ):
            text = node.value
        if text is not None and _SQL.search(text):
            found.append((node.lineno, text.strip()[:60]))
    return found


def _row_call(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in _ROW_CALLS
    )


def positional_row_reads(source: str) -> list[tuple[int, str]]:
    """(line, expression) where a database row is read by position: ``x[<int>]`` on the
    result of a row-returning call (``cur.fetchone()[0]``), on a name assigned from one
    (``row = ....first()``), or on the loop variable over one (``for r in cur.fetchall()``,
    ``for r in rows`` with ``rows = cur.fetchall()``)."""
    tree = parse_source(source)
    found = []
    for scope in ast.walk(tree):
        if not isinstance(scope, ast.Module | ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        rows: set[str] = set()
        for node in ast.walk(scope):
            if isinstance(node, ast.Assign) and _row_call(node.value):
                rows.update(t.id for t in node.targets if isinstance(t, ast.Name))
        for node in ast.walk(scope):
            if (
                isinstance(node, ast.For | ast.comprehension)
                and isinstance(node.target, ast.Name)
                and (
                    _row_call(node.iter)
                    or (isinstance(node.iter, ast.Name) and node.iter.id in rows)
                )
            ):
                rows.add(node.target.id)
        for node in ast.walk(scope):
            if (
                isinstance(node, ast.Subscript)
                and isinstance(node.slice, ast.Constant)
                and isinstance(node.slice.value, int)
                and (
                    _row_call(node.value)
                    or (isinstance(node.value, ast.Name) and node.value.id in rows)
                )
            ):
                found.append((node.lineno, ast.unparse(node)))
    return sorted(set(found))


def _outside_store() -> dict[str, Path]:
    return {m: p for m, p in all_modules().items() if STORE not in p.parents}


def _flagged_outside_store(
    finder: Callable[[str], list[tuple[int, str]]], show: Callable[[str], str] = str
) -> list[str]:
    """``module:line: what`` for each place ``finder`` flags in a module outside anchor/store."""
    return [
        f"{module}:{line}: {show(text)}"
        for module, path in _outside_store().items()
        for line, text in finder(path.read_text(encoding="utf-8"))
    ]


def test_no_sql_outside_the_store() -> None:
    bad = _flagged_outside_store(sql_strings, repr)
    assert not bad, "SQL outside anchor/store (move it into a store repository):\n" + "\n".join(bad)


def test_no_row_read_by_position_outside_the_store() -> None:
    bad = _flagged_outside_store(positional_row_reads)
    assert not bad, "rows read by position (use the store's named rows):\n" + "\n".join(bad)


def test_the_sql_checks_see_what_they_must_and_nothing_else() -> None:
    source = (
        '"""Docstring: SELECT a FROM b is prose here."""\n'
        "def f(cur, table, ph):\n"
        '    """INSERT INTO t in a docstring is fine."""\n'
        '    cur.execute("SELECT seq, leaf FROM records WHERE seq = ?")\n'
        '    cur.execute(f"SELECT COUNT(*) FROM {table}")\n'
        '    cur.execute(f"UPDATE accounts SET eth_address = {ph}")\n'
        '    cur.execute("SAVEPOINT anchor_chunk")\n'
        '    raise ValueError("select a target from the list; update the file")\n'
        "    n = cur.fetchone()[0]\n"
        "    row = cur.first()\n"
        "    rows = cur.fetchall()\n"
        "    out = [r[1] for r in rows]\n"
        "    for r in cur.fetchmany(10):\n"
        "        print(r[2])\n"
        "    parts = text.split()\n"
        "    return row[3], parts[0], n\n"
    )
    assert [line for line, _ in sql_strings(source)] == [4, 5, 6, 7]
    assert positional_row_reads(source) == [
        (9, "cur.fetchone()[0]"),
        (12, "r[1]"),
        (14, "r[2]"),
        (16, "row[3]"),
    ]


# outside the store, SQLAlchemy is only a type (a Connection handed to the store) and errors
_SQLALCHEMY_OUTSIDE_STORE = {"sqlalchemy.engine", "sqlalchemy.exc"}


def query_builder_imports(source: str) -> list[str]:
    """The SQLAlchemy / SQLModel modules ``source`` imports beyond types and errors (query
    builders: ``sa.select``, ``sa.text``, ``sqlmodel.select``, ...)."""
    out = []
    for node in ast.walk(parse_source(source)):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            names = [node.module]
        out += [
            n
            for n in names
            if n.split(".")[0] in ("sqlalchemy", "sqlmodel") and n not in _SQLALCHEMY_OUTSIDE_STORE
        ]
    return out


def test_no_query_builder_outside_the_store() -> None:
    bad = [
        f"{module}: imports {name}"
        for module, path in _outside_store().items()
        for name in query_builder_imports(path.read_text(encoding="utf-8"))
    ]
    assert not bad, "queries outside anchor/store (move them into a repository):\n" + "\n".join(bad)
    assert query_builder_imports(
        "import sqlalchemy as sa\nfrom sqlmodel import select\nfrom sqlalchemy.exc import DataError\n"
    ) == ["sqlalchemy", "sqlmodel"]
