"""The ``anchor`` command line: one package, one module per command group.

Every group's module has a ``register(app)`` function and is registered below, by name: a
module that fails to import fails the CLI, it is never skipped. Those modules import only
typer, rich and the standard library at top level (the server pieces are imported inside the
commands), so ``anchor verify`` works on a base install; a server command run there prints
one line naming the extra to install (:mod:`anchor.cli.extras`). Options several commands
share are defined once, in :mod:`anchor.cli.options`.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

import typer

from anchor.cli import (
    backup,
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
from anchor.cli.extras import install_hint
from anchor.errors import AnchorError

__all__ = ["app", "main"]

app = typer.Typer(
    name="anchor",
    help="ledger-anchor: make an exchange's off-chain books tamper-evident.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

# every command group, in the order ``anchor --help`` lists them
GROUPS = (
    verify,  # verify, verify-receipt
    verify_liability,  # verify-liability
    trust,  # trust add|list|remove
    chain,  # devnet up|status|down, deploy, contract source
    ingest,  # ingest
    db,  # db init|migrate|info
    serve,  # serve
    service,  # seal, anchor-now, batches, alarms
    liabilities,  # liabilities deploy|round|status|prove
    consume,  # consume
    proofs,  # prove, anchors export, report, accounts token|link
    backup,  # backup run|keygen|status|verify, restore, reconcile
    demo,  # demo
    config,  # config show
)


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

# a server command on a base install: the extra is missing, exit as for bad configuration
EXIT_MISSING_EXTRA = 2


def _command_words(argv: Sequence[str]) -> str:
    """The command path in ``argv`` (``backup run``), for the one-line hint."""
    words: list[str] = []
    cmd: Any = typer.main.get_command(app)
    for token in argv:
        sub = getattr(cmd, "commands", {}).get(token)
        if sub is None:
            break
        words.append(token)
        cmd = sub
    return " ".join(words)


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
        hint = install_hint(exc, _command_words(sys.argv[1:]))
        if hint is None:
            raise
        typer.echo(hint, err=True)
        sys.exit(EXIT_MISSING_EXTRA)
