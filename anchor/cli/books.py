"""CLI: ``anchor books [--at-batch N] [--from-backups] [--json]``.

Only typer and the standard library at import time; the work is imported inside the
command. Exit codes: 0 no break; 1 at least one break; 2 unusable input or configuration.
"""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Any

import typer

from anchor.cli.options import Store, StoreOpts, with_blocks

if TYPE_CHECKING:
    from rich.console import Console

    from anchor.core.books_checks import BooksReport

__all__ = ["register"]


_IDS_SHOWN = 4  # record ids per line in the table (all of them in --json)


def _ids(rids: tuple[str, ...]) -> str:
    if len(rids) <= _IDS_SHOWN:
        return " ".join(rids)
    return " ".join(rids[:_IDS_SHOWN]) + f" (+{len(rids) - _IDS_SHOWN})"


def _print_books(report: BooksReport, con: Console) -> None:
    from rich.table import Table

    t = Table(title=f"balances as of batch {report.last_batch} (seq {report.last_seq})")
    for c in ("account", "asset", "balance", "from records"):
        t.add_column(c, justify="right" if c == "balance" else "left")
    for b in report.balances:
        t.add_row(b.account, b.asset, str(b.balance), _ids(b.record_ids))
    con.print(t)
    t = Table(title="positions")
    for c in ("account", "market", "size", "entry", "realized PnL", "from records"):
        t.add_column(c)
    for p in report.positions:
        t.add_row(p.account, p.market, str(p.size), str(p.entry_price), str(p.realized_pnl),
                  _ids(p.record_ids))  # fmt: skip
    con.print(t)
    t = Table(title="open orders")
    for c in ("order", "market", "account", "side", "price", "remaining", "from records"):
        t.add_column(c)
    for o in report.open_orders:
        t.add_row(o.order_id, o.market, o.account, o.side, str(o.price), str(o.remaining),
                  _ids(o.record_ids))  # fmt: skip
    con.print(t)


def _print_report(report: BooksReport, con: Console, *, at_batch: int | None) -> None:
    from rich.table import Table

    from anchor.core.books_checks import CHECKS

    if at_batch is not None:
        _print_books(report, con)
    t = Table(title="per asset")
    for c in ("asset", "deposits", "withdrawals", "realized PnL", "balances"):
        t.add_column(c, justify="left" if c == "asset" else "right")
    for asset, v in report.totals.items():
        t.add_row(asset, *(str(v.get(k, 0)) for k in ("deposits", "withdrawals", "realized_pnl", "balances")))  # fmt: skip
    con.print(t)
    counts = report.breaks_by_check()
    t = Table(title="checks")
    t.add_column("check")
    t.add_column("breaks", justify="right")
    t.add_column("what it catches")
    for name, what in CHECKS.items():
        n = counts.get(name, 0)
        t.add_row(name, f"[red]{n}[/red]" if n else "0", what)
    con.print(t)
    if report.breaks:
        t = Table(title="breaks")
        for c in ("seq", "check", "records", "arithmetic"):
            t.add_column(c)
        for b in report.breaks:
            t.add_row(str(b.seq), b.check, " ".join(b.record_ids), b.detail)
        con.print(t)
    for note in report.notes:
        con.print(f"[yellow]note:[/yellow] {note}")
    verdict = "[green]no break[/green]" if report.ok else f"[red]{len(report.breaks)} breaks[/red]"
    con.print(f"replayed {report.records} records (to seq {report.last_seq}): {verdict}")


def register(app: typer.Typer) -> None:
    @app.command("books")
    @with_blocks
    def books_cmd(
        store: Store = StoreOpts,
        at_batch: int | None = typer.Option(
            None, "--at-batch", help="the books as of batch N, each line with its record ids"
        ),
        from_backups: bool = typer.Option(
            False, "--from-backups", help="replay the verified backups, not the database"
        ),
        target: list[str] | None = typer.Option(
            None, "--target", "-t", help="backup target for --from-backups (repeatable)"
        ),
        rpc: str | None = typer.Option(None, "--rpc", help="RPC URL; else the config's"),
        contract: str | None = typer.Option(None, "--contract", help="registry address"),
        as_json: bool = typer.Option(False, "--json", help="machine-readable output on stdout"),
    ) -> None:
        """Replay the anchored records into books and check every state transition.

        Balances, positions, open orders and the order book are rebuilt in sequence order;
        every snapshot, trade, fee, funding payment and margin call is checked. Exit 1 on
        any break, naming the records and the arithmetic."""
        from rich.console import Console

        from anchor.config import load_config
        from anchor.service.books import books_from_backups, books_from_store

        overrides: dict[str, Any] = {"contract_address": contract} if contract else {}
        cfg = load_config(store.config, **overrides)
        if from_backups:
            from anchor.backup.chainview import chain_view_from_config
            from anchor.backup.crypto import load_backup_keys
            from anchor.backup.targets import open_target
            from anchor.errors import ConfigError

            specs = list(target) if target else list(cfg.backup_targets)
            if not specs:
                raise ConfigError("no backup targets: pass --target or configure backup_targets")
            report = books_from_backups(
                [open_target(s) for s in specs],
                chain_view_from_config(cfg, rpc_url=rpc),
                at_batch=at_batch,
                keys=load_backup_keys(cfg),
            )
        else:
            from anchor.store.db import Database

            with Database.open_existing(store.database_url, config=cfg) as db:
                report = books_from_store(db, at_batch=at_batch)
        if as_json:
            out: dict[str, Any] = report.to_json()
            out["at_batch"] = at_batch
            out["source"] = "backups" if from_backups else "database"
            sys.stdout.write(json.dumps(out, indent=2) + "\n")
        else:
            _print_report(report, Console(), at_batch=at_batch)
        raise typer.Exit(0 if report.ok else 1)
