"""The import direction of DESIGN.md, checked on the source: every import of every module under
``anchor/`` — top level, inside functions, under ``TYPE_CHECKING``, and
``importlib.import_module("anchor....")`` with a literal name — goes down, never up:

    core      → (nothing of ours)            verifier → core
    chain     → core                         store    → core
    backup    → core, store, chain           service  → core, store, chain, backup
    api       → service, store, core         cli on top (anchor.cli, anchor.serve, ...)

A module belongs to the layer of its package, a package's ``commands`` module included (the
CLI commands that still live beside their subsystem obey its rules). ``anchor.errors`` (the
one error root) may be imported by everyone and imports nothing of ours; ``anchor.config``
(completed from ``anchor.chain_profiles``), ``anchor.runtime`` and ``anchor.logs`` are the
base every layer but ``core`` and ``verifier`` may use.

The few crossings that exist today for a reason are listed in :data:`EXCEPTIONS`, each with
that reason; an exception that is no longer needed fails too, so the list stays exact.
"""

from __future__ import annotations

import ast
from pathlib import Path

import anchor

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
    "anchor.cli": CLI,
    "anchor.config_commands": CLI,
    "anchor.demo": CLI,
    "anchor.demo_pids": CLI,
    "anchor.demo_setup": CLI,
    "anchor.serve": CLI,  # `anchor serve`: composes the API and the anchorer (the top)
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
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
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
