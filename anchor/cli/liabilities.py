"""``anchor liabilities deploy | round --at-batch N | status | prove ACCOUNT``: proof of
liabilities rounds (issue 17). Only typer and the standard library at import time."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from anchor.cli.options import ConfigOpt, Store, StoreOpts, add_group, with_blocks

if TYPE_CHECKING:
    from anchor.config import Config

__all__ = ["register"]


def _chain(cfg: Config) -> tuple[Any, Any, int]:
    """(web3, signing key, chain id) from the config; ConfigError when incomplete."""
    from anchor.chain.deploy import check_chain_id
    from anchor.errors import ConfigError
    from anchor.service.anchoring import load_key, make_chain

    if cfg.chain_id is None:
        raise ConfigError("liabilities rounds on chain need chain_id (or a chain profile)")
    w3 = make_chain(cfg)
    check_chain_id(w3, int(cfg.chain_id))
    return w3, load_key(cfg), int(cfg.chain_id)


def _summary(row: Any) -> dict[str, Any]:
    return {
        "round_id": row.round_id,
        "state": row.state,
        "cutoff_batch_id": row.cutoff_batch_id,
        "accounts": row.accounts,
        "leaf_count": row.leaf_count,
        "root": "0x" + row.root.hex(),
        "totals": dict(zip(row.assets, (str(t) for t in row.totals), strict=True)),
        "tx_hash": row.tx_hash,
        "block_number": row.block_number,
        "gas_used": row.gas_used,
        "reserves": row.reserves,
    }


def register(app: typer.Typer) -> None:
    """Add ``anchor liabilities …`` to the app."""
    group = add_group(
        app,
        "liabilities",
        "Proof of liabilities: Merkle sum tree rounds anchored with their totals.",
    )

    @group.command("deploy")
    def deploy_cmd(config: Path | None = ConfigOpt) -> None:
        """Deploy the LiabilitiesRegistry through the CREATE2 factory (owner and first
        anchorer: the configured key); prints the address for liabilities_contract_address."""
        from anchor.chain.liabilities import deploy_liabilities
        from anchor.config import load_config

        cfg = load_config(config)
        w3, key, chain_id = _chain(cfg)
        record = deploy_liabilities(w3, key, expected_chain_id=chain_id)
        typer.echo(f"LiabilitiesRegistry on chain {chain_id}: {record.address}")
        typer.echo(f"configure:   liabilities_contract_address = {record.address!r}")

    @group.command("round")
    @with_blocks
    def round_cmd(
        at_batch: int = typer.Option(..., "--at-batch", help="cut-off: an anchored batch id"),
        pad_to: int | None = typer.Option(None, "--pad-to", help="default: liabilities_pad_to"),
        no_anchor: bool = typer.Option(False, "--no-anchor", help="build and store only"),
        store: Store = StoreOpts,
    ) -> None:
        """Build the next round from the balances anchored up to batch N, store it, anchor
        its root and totals, and read the reserves beside it. One JSON summary line."""
        from anchor.chain.liabilities import LiabilitiesClient
        from anchor.errors import ConfigError
        from anchor.service.liabilities import (
            anchor_round,
            build_round,
            parse_reserve_assets,
            record_reserves,
        )

        with store.opened() as (cfg, db):
            sources = parse_reserve_assets(cfg.reserve_assets)
            if not no_anchor and not cfg.liabilities_contract_address:
                raise ConfigError(
                    "no liabilities_contract_address: run `anchor liabilities deploy`, or pass "
                    "--no-anchor"
                )
            row = build_round(
                db,
                at_batch,
                pad_to=pad_to if pad_to is not None else cfg.liabilities_pad_to,
                assets=cfg.liabilities_assets,
            )
            if not no_anchor:
                w3, key, chain_id = _chain(cfg)
                client = LiabilitiesClient(w3, str(cfg.liabilities_contract_address))
                row = anchor_round(db, row, client, key, chain_id=chain_id)
                if cfg.reserve_wallets and sources:
                    record_reserves(db, row, w3, wallets=cfg.reserve_wallets, sources=sources)
            from anchor.store.liabilities import get_round

            final = get_round(db, row.round_id)
            typer.echo(json.dumps(_summary(final or row)))

    @group.command("status")
    @with_blocks
    def status_cmd(
        limit: int = typer.Option(10, "--limit", help="rounds to show, newest first"),
        store: Store = StoreOpts,
    ) -> None:
        """The latest rounds: state, totals, anchoring and reserves ratios (JSON lines)."""
        from anchor.store.liabilities import list_rounds

        with store.opened() as (_cfg, db):
            rows = list_rounds(db, limit=limit)
            if not rows:
                typer.echo("no liabilities round yet")
            for row in rows:
                typer.echo(json.dumps(_summary(row)))

    @group.command("prove")
    @with_blocks
    def prove_cmd(
        account: str = typer.Argument(..., help="the account id"),
        round_id: int | None = typer.Option(None, "--round", help="default: latest anchored"),
        output: Path | None = typer.Option(None, "-o", "--output", help="default: stdout"),
        store: Store = StoreOpts,
    ) -> None:
        """Operator: write one account's liability bundle (it holds the account's salt: hand
        it to that account's owner only)."""
        from anchor.errors import NotFoundError
        from anchor.service.liabilities import prove_liability
        from anchor.store.liabilities import get_round, latest_round

        with store.opened() as (_cfg, db):
            row = latest_round(db, anchored=True) if round_id is None else get_round(db, round_id)
            if row is None:
                raise NotFoundError("no such liabilities round")
            data = prove_liability(db, row, account).dumps()
        if output is None:
            typer.echo(data.decode(), nl=False)
        else:
            output.write_bytes(data)
