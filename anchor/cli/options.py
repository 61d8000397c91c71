"""The options several commands share, each defined once, and how a command group is added.

A command takes one as the default of its parameter (``config: Path | None = ConfigOpt``);
typer reads the flag, its short form and its help from here, so ``--config`` means the same
thing, with the same help, in every command that has it. Options only one command has stay
with that command.

Only typer and the standard library: importing the CLI must work on a base install.
"""

from __future__ import annotations

import typer

__all__ = [
    "ApiOpt",
    "ConfigOpt",
    "ContractOpt",
    "DbOpt",
    "FromBlockOpt",
    "JsonOpt",
    "OutOpt",
    "RpcOpt",
    "TokenOpt",
    "WorkersOpt",
    "add_group",
]

ConfigOpt = typer.Option(None, "--config", "-c", help="config file (TOML); else $ANCHOR_CONFIG")
DbOpt = typer.Option(None, "--database-url", help="else $ANCHOR_DATABASE_URL or the config")
RpcOpt = typer.Option(None, "--rpc", help="JSON-RPC URL; else the config's rpc_url")
ContractOpt = typer.Option(None, "--contract", help="registry address; else the config's")
FromBlockOpt = typer.Option(
    None, "--from-block", min=0, help="first block to read; else the config's contract_start_block"
)
JsonOpt = typer.Option(False, "--json", help="machine-readable JSON on stdout instead of text")
OutOpt = typer.Option(None, "-o", "--out", help="write here instead of stdout")
WorkersOpt = typer.Option(0, "--workers", help="processes for re-hashing (0: one per core)")
ApiOpt = typer.Option(None, "--api", help="ask a running service (URL) instead of the database")
TokenOpt = typer.Option(
    None,
    "--token",
    envvar="ANCHOR_USER_TOKEN",
    help="with --api: a user token (your own records, with your salt)",
    show_envvar=True,
)


def add_group(
    app: typer.Typer, name: str, help: str, *, no_args_is_help: bool = True
) -> typer.Typer:
    """The command group ``anchor NAME ...``, added to ``app``; given alone, NAME prints its
    help (unless ``no_args_is_help`` is false)."""
    group = typer.Typer(help=help, no_args_is_help=no_args_is_help)
    app.add_typer(group, name=name)
    return group
