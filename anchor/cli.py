"""The ``anchor`` command line.

Each subsystem contributes its commands through a ``register(app)`` function in a
``commands`` module. Those modules import only typer, rich and the standard library at
top level, so that ``anchor verify`` works on a base install (no server extras).
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

import typer

from anchor.errors import AnchorError

app = typer.Typer(
    name="anchor",
    help="ledger-anchor: make an exchange's off-chain books tamper-evident.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

# Modules that provide ``register(app: typer.Typer) -> None``. A module that is not
# there yet (or whose optional dependencies are missing) is skipped.
_COMMAND_MODULES = (
    "anchor.verifier.commands",
    "anchor.verifier.liability_commands",
    "anchor.chain.commands",
    "anchor.service.ingest_commands",
    "anchor.store.commands",
    "anchor.serve",
    "anchor.service.commands",
    "anchor.service.liabilities_commands",
    "anchor.service.consume_commands",
    "anchor.api.commands",
    "anchor.backup.commands",
    "anchor.service.books_commands",
    "anchor.demo",
    "anchor.config_commands",
)


_SERVER_PACKAGES = frozenset(
    {
        "sqlmodel",
        "sqlalchemy",
        "fastapi",
        "uvicorn",
        "apscheduler",
        "web3",
        "eth_account",
        "eth_abi",
        "solcx",
        "psycopg",
        "orjson",
        "coincurve",
        "nats",
        "prometheus_client",
    }
)


def _register_all() -> None:
    for name in _COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            missing = exc.name or ""
            if missing == name or name.startswith(missing + "."):
                continue  # not written yet
            if missing.split(".")[0] in _SERVER_PACKAGES:
                continue  # base install: server extras absent, verifier still works
            raise
        module.register(app)


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
_register_all()


def main() -> None:
    """Console-script entry point: run the app, turning project errors into one line."""
    from anchor.runtime import settle_recursion_limit

    settle_recursion_limit()
    try:
        app(standalone_mode=True)
    except AnchorError as exc:
        typer.echo(f"error: {exc.diagnostics()}", err=True)
        sys.exit(exc.exit_code)


if __name__ == "__main__":
    main()
