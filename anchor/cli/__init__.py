"""The ``anchor`` command line.

Each command group has a module here with a ``register(app)`` function, registered below by
name (a module that fails to import fails the CLI, never skipped). Those modules import only
typer, rich and the standard library at top level, so that ``anchor verify`` works on a base
install (no server extras); a server command there prints one line naming the extra
(:mod:`anchor.cli.extras`). Shared options: :mod:`anchor.cli.options`.
"""

from __future__ import annotations

import sys
from types import ModuleType
from typing import Any

import typer

from anchor.cli import (
    backup,
    books,
    chain,
    config,
    consume,
    db,
    demo,
    ingest,
    liabilities,
    proofs,
    serve,
    service,
    trust,
    verify,
    verify_liability,
)
from anchor.cli.extras import EXIT_MISSING_EXTRA, install_hint
from anchor.errors import AnchorError

__all__ = ["app", "main"]

app = typer.Typer(
    name="anchor",
    help="ledger-anchor: make an exchange's off-chain books tamper-evident.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

# Every command group, in the order ``anchor --help`` lists them.
GROUPS: tuple[ModuleType, ...] = (verify, verify_liability, trust, chain, ingest, db, serve)
GROUPS += (service, liabilities, consume, proofs, backup, books, demo, config)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("ledger-anchor")
    except PackageNotFoundError:  # running from a source tree that is not installed
        return "unknown (not installed)"


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"ledger-anchor {_version()}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: bool = typer.Option(
        False,
        "--version",
        callback=_show_version,
        is_eager=True,
        help="Print the version and exit.",
    ),
) -> None:
    """ledger-anchor: make an exchange's off-chain books tamper-evident."""


def _hide_flag_types() -> None:
    """Typer's help shows a type column for every option; for an on/off flag it reads
    ``<bool>``, which says nothing a reader can type. Flags show no type."""
    from typer.core import TyperOption

    original = getattr(TyperOption, "display_type_rich", None)
    if original is None or getattr(original, "_anchor_flags_hidden", False):
        return

    def display_type_rich(self: TyperOption, ctx: Any) -> str | None:
        if self.is_flag and self.metavar is None:
            return None
        result: str | None = original(self, ctx)
        return result

    display_type_rich._anchor_flags_hidden = True  # type: ignore[attr-defined]
    TyperOption.display_type_rich = display_type_rich  # type: ignore[method-assign]


_hide_flag_types()
for _group in GROUPS:
    _group.register(app)


def main() -> None:
    """Console-script entry point: run the app, turning project errors into one line, and a
    missing optional extra into one line naming it."""
    from anchor.runtime import settle_recursion_limit

    settle_recursion_limit()
    try:
        app(standalone_mode=True)
    except AnchorError as exc:
        typer.echo(f"error: {exc.diagnostics()}", err=True)
        sys.exit(exc.exit_code)
    except ModuleNotFoundError as exc:
        hint = install_hint(exc, typer.main.get_command(app), sys.argv[1:])
        if hint is None:
            raise
        typer.echo(hint, err=True)
        sys.exit(EXIT_MISSING_EXTRA)
