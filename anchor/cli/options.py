"""The options several commands share, each defined once, and how a command group is added.

A command takes one as the default of its parameter (``config: Path | None = ConfigOpt``);
typer reads the flag, its short form and its help from here, so ``--config`` means the same
thing, with the same help, in every command that has it. Options only one command has stay
with that command.

Options that travel together are a block (:class:`Store`, :class:`ChainRead`): a command
takes the block as one parameter (``store: Store = StoreOpts``) and :func:`with_blocks`
shows typer the block's options in its place.

Only typer and the standard library: importing the CLI must work on a base install.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import typing
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import typer

from anchor.cli import context

if TYPE_CHECKING:
    from anchor.config import Config
    from anchor.store.db import Database

__all__ = [
    "ApiOpt",
    "ChainOpts",
    "ChainRead",
    "ConfigOpt",
    "ContractOpt",
    "DbOpt",
    "FromBlockOpt",
    "JsonOpt",
    "OutOpt",
    "RpcOpt",
    "RpcTimeoutOpt",
    "Store",
    "StoreOpts",
    "TokenOpt",
    "WorkersOpt",
    "add_group",
    "block",
    "read_by",
    "with_blocks",
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
RpcTimeoutOpt = typer.Option(10.0, "--timeout", min=0.1, help="RPC timeout, seconds")
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


def read_by(option: Any) -> dict[str, Any]:
    """A block field's metadata: the typer option that reads the field
    (``config: Path | None = field(metadata=read_by(ConfigOpt))``)."""
    return {"option": option}


@dataclass(frozen=True)
class Store:
    """``--config`` and ``--database-url``: the configuration and the database it names."""

    config: Path | None = field(metadata=read_by(ConfigOpt))
    database_url: str | None = field(metadata=read_by(DbOpt))

    def opened(self, **overrides: Any) -> AbstractContextManager[tuple[Config, Database]]:
        """The configuration (``overrides`` as in :func:`anchor.cli.context.load`) and the
        open database, closed when the command is done."""
        return context.opened(self.config, self.database_url, **overrides)


@dataclass(frozen=True)
class ChainRead:
    """``--rpc``, ``--contract`` and ``--from-block``: where the registry's events are read."""

    rpc_url: str | None = field(metadata=read_by(RpcOpt))
    contract: str | None = field(metadata=read_by(ContractOpt))
    from_block: int | None = field(metadata=read_by(FromBlockOpt))


class _Block:
    """The default of a block parameter: names the block's class for :func:`with_blocks`."""

    def __init__(self, cls: type) -> None:
        self.cls = cls


def block(cls: type) -> Any:
    """The default a command gives a parameter of block class ``cls`` (a frozen dataclass
    whose fields say, in their metadata, which option reads them: :func:`read_by`). Typed
    ``Any`` as ``typer.Option`` is, so that it fits the parameter's annotation."""
    return _Block(cls)


StoreOpts = block(Store)
ChainOpts = block(ChainRead)

R = TypeVar("R")


def with_blocks(command: Callable[..., R]) -> Callable[..., R]:
    """``command`` as typer should see it: each parameter whose default is a block
    (``store: Store = StoreOpts``) replaced, in its place, by the block's options (the
    fields' names, types and options); the command is called with one value of the block.

    Typer builds a command's options from ``inspect.signature`` (which returns
    ``__signature__``) and ``typing.get_type_hints`` (which reads ``__annotations__``), so
    both are set to the expanded parameters; a field's name is its option's parameter name
    and may not repeat one of the command's own."""
    signature = inspect.signature(command, eval_str=True)
    params: list[inspect.Parameter] = []
    blocks: dict[str, tuple[type, list[str]]] = {}
    for param in signature.parameters.values():
        if not isinstance(param.default, _Block):
            params.append(param)
            continue
        cls = param.default.cls
        hints = typing.get_type_hints(cls)
        fields = dataclasses.fields(cls)
        blocks[param.name] = (cls, [f.name for f in fields])
        params += [
            param.replace(name=f.name, annotation=hints[f.name], default=f.metadata["option"])
            for f in fields
        ]
    if len({p.name for p in params}) != len(params):
        raise TypeError(f"{command.__name__}: a block's option repeats a parameter's name")

    @functools.wraps(command)
    def with_values(**values: Any) -> R:
        for name, (cls, names) in blocks.items():
            values[name] = cls(**{n: values.pop(n) for n in names})
        return command(**values)

    with_values.__signature__ = signature.replace(parameters=params)  # type: ignore[attr-defined]
    with_values.__annotations__ = {p.name: p.annotation for p in params}
    with_values.__annotations__["return"] = signature.return_annotation
    return with_values
