"""``anchor trust add|list|remove``: the user's pinned registries (see
:mod:`anchor.verifier.trust`). Exit 2 with one line naming the problem for a malformed trust
file or a bad argument."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from anchor.cli.verify import fail

if TYPE_CHECKING:
    from anchor.verifier.trust import TrustStore

__all__ = ["register", "trust_app"]

trust_app = typer.Typer(
    help="Pin the registry addresses you trust, per chain (like SSH's known_hosts).",
    no_args_is_help=True,
)

TrustFileOpt = typer.Option(
    None,
    "--trust-file",
    help="the trust file (default: $ANCHOR_TRUST_FILE or "
    "~/.config/ledger-anchor/trusted-registries.toml)",
)


def register(app: typer.Typer) -> None:
    """Add ``anchor trust`` to the main app."""
    app.add_typer(trust_app, name="trust")


def _load(trust_file: str | None) -> TrustStore:
    from anchor.errors import AnchorError
    from anchor.verifier.trust import TrustStore

    try:
        return TrustStore.load(trust_file)
    except AnchorError as exc:
        fail(f"error: {exc.diagnostics()}")


@trust_app.command("add")
def trust_add(
    chain_id: int = typer.Option(..., "--chain-id", min=1, help="the chain's id"),
    contract: str = typer.Option(..., "--contract", help="the registry address"),
    name: str = typer.Option(..., "--name", help="whose registry it is (the exchange)"),
    trust_file: str | None = TrustFileOpt,
) -> None:
    """Pin a registry: take the address from the exchange itself (its website over HTTPS,
    an ENS text record, a signed statement), never from a proof bundle."""
    from anchor.errors import AnchorError

    store = _load(trust_file)
    try:
        store = store.add(chain_id, contract, name)
        store.save()
    except AnchorError as exc:
        fail(f"error: {exc.diagnostics()}")
    except OSError as exc:
        fail(f"error: cannot write {store.path}: {exc.strerror or exc}")
    typer.echo(f"pinned {contract.lower()} as {name!r} for chain {chain_id} in {store.path}")


@trust_app.command("list")
def trust_list(trust_file: str | None = TrustFileOpt) -> None:
    """The pinned registries: chain id, address, name, when added."""
    store = _load(trust_file)
    if not store.entries:
        typer.echo(f"no registry pinned ({store.path})")
        return
    for e in store.entries:
        typer.echo(f"{e.chain_id}\t{e.contract}\t{e.name}\t{e.added}")


@trust_app.command("remove")
def trust_remove(
    chain_id: int | None = typer.Option(None, "--chain-id", help="the chain's id"),
    contract: str | None = typer.Option(None, "--contract", help="the address"),
    name: str | None = typer.Option(None, "--name", help="the pin's name"),
    trust_file: str | None = TrustFileOpt,
) -> None:
    """Unpin every registry matching all the criteria given."""
    from anchor.errors import AnchorError

    store = _load(trust_file)
    try:
        store, dropped = store.remove(chain_id=chain_id, contract=contract, name=name)
        if not dropped:
            fail("error: no pinned registry matches")
        store.save()
    except AnchorError as exc:
        fail(f"error: {exc.diagnostics()}")
    for e in dropped:
        typer.echo(f"unpinned {e.contract} ({e.name!r}) for chain {e.chain_id}")
