"""CLI commands of the service: ``seal``, ``anchor-now``, ``batches``, ``alarms`` (``serve`` is
:mod:`anchor.cli.serve`, ``ingest`` :mod:`anchor.cli.ingest`).

Only typer, rich and the standard library at import time; everything else is imported inside
the commands so a base install (verifier only) still starts.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import typer

from anchor.cli.options import JsonOpt, Store, StoreOpts, with_blocks

if TYPE_CHECKING:
    from anchor.config import Config
    from anchor.store.db import Database

WaitOpt = typer.Option("included", "--wait", help="none | included | final")
TimeoutOpt = typer.Option(120.0, "--timeout", help="seconds to wait for --wait")


def register(app: typer.Typer) -> None:
    """Add the service commands to the ``anchor`` app."""

    @app.command("seal")
    @with_blocks
    def seal_cmd(
        now: bool = typer.Option(False, "--now", help="seal the pending records now and anchor"),
        wait: str = WaitOpt,
        timeout: float = TimeoutOpt,
        store: Store = StoreOpts,
    ) -> None:
        """Seal pending records into a batch (--now), then anchor it.

        Without --now it only prints how many records are pending."""
        with store.opened() as (cfg, db):
            from anchor.store.queries import pending_count

            if not now:
                typer.echo(f"{pending_count(db)} records pending; use --now to seal them")
                return
            _seal_and_anchor(db, cfg, wait=wait, timeout=timeout)

    @app.command("anchor-now")
    @with_blocks
    def anchor_now_cmd(
        wait: str = WaitOpt,
        timeout: float = TimeoutOpt,
        retry: int | None = typer.Option(
            None, "--retry", help="first reset batch ID whose anchor transaction reverted"
        ),
        store: Store = StoreOpts,
    ) -> None:
        """Seal what is pending and anchor every sealed batch now (waits for --wait)."""
        with store.opened() as (cfg, db):
            if retry is not None:
                from anchor.service.txmanager import retry_failed

                retry_failed(db, retry)
                typer.echo(f"batch {retry}: reset, it is anchored again")
            _seal_and_anchor(db, cfg, wait=wait, timeout=timeout)

    @app.command("batches")
    @with_blocks
    def batches_cmd(
        limit: int = typer.Option(20, "--limit", "-n", help="newest N batches"),
        as_json: bool = JsonOpt,
        store: Store = StoreOpts,
    ) -> None:
        """Batches and their anchoring state (sealed → submitted → included → final)."""
        with store.opened() as (cfg, db):
            rows = _batch_rows(db, limit, cfg)
        if as_json:
            for row in rows:
                typer.echo(json.dumps(row))
            return
        _print_batches(rows, cfg)

    @app.command("alarms")
    @with_blocks
    def alarms_cmd(
        show_all: bool = typer.Option(False, "--all", help="include resolved alarms"),
        resolve: int | None = typer.Option(None, "--resolve", help="mark alarm ID resolved"),
        as_json: bool = JsonOpt,
        store: Store = StoreOpts,
    ) -> None:
        """Alarms an operator must look at (exit 1 when any is open)."""
        with store.opened() as (_cfg, db):
            if resolve is not None:
                _resolve(db, resolve)
            rows = _alarm_rows(db, show_all)
        if as_json:
            for row in rows:
                typer.echo(json.dumps(row))
        else:
            _print_alarms(rows)
        if any(r["resolved_at"] is None for r in rows):
            raise typer.Exit(1)


# ------------------------------------------------------------------------------------------


def _seal_and_anchor(db: Database, config: Config, *, wait: str, timeout: float) -> None:
    from anchor.service.anchoring import Anchorer
    from anchor.service.leader import make_leadership

    if wait not in ("none", "included", "final"):
        raise typer.BadParameter("one of none, included, final", param_hint="--wait")
    leader = make_leadership(db, config)
    anchorer = Anchorer(db, config, fence=leader.holds)
    sealed = anchorer.seal_pending()
    for batch in sealed:
        typer.echo(
            f"sealed batch {batch.id}: {batch.leaf_count} records, root 0x{batch.root.hex()}"
        )
    if not sealed:
        typer.echo("nothing pending to seal")
    if not leader.try_acquire():
        typer.echo("another process is the anchorer: it anchors the batch on its next tick")
        return
    try:
        open_states = (
            ("pending", "submitted") if wait == "included" else ("pending", "submitted", "included")
        )
        if wait == "none":
            anchorer.tx.run_once()
        else:
            counts = anchorer.anchor_until(
                lambda c: (
                    _unanchored(db, config) == 0 and not any(c.get(s, 0) for s in open_states)
                ),
                timeout=timeout,
            )
            typer.echo("anchor states: " + ", ".join(f"{k}={v}" for k, v in sorted(counts.items())))
        remaining = _unanchored(db, config)
        if remaining and wait != "none":
            raise typer.Exit(1)
    finally:
        leader.release()


def _unanchored(db: Database, config: Config) -> int:
    from anchor.config_chains import chains_of
    from anchor.store.tx_views import unanchored_count

    ids = [int(c.chain_id) for c in chains_of(config) if c.chain_id is not None]
    return unanchored_count(db, ids)


def _batch_rows(db: Database, limit: int, config: Config) -> list[dict[str, Any]]:
    """One row per batch: its overall state (its most advanced anchor) and, under
    ``chains``, its anchor on each configured chain with the gas and fee it cost."""
    from anchor.config_chains import chains_of
    from anchor.store.ops import batch_costs
    from anchor.store.tx_views import batch_overview

    overview = batch_overview(db, limit)
    costs = batch_costs(db, [row.batch.id for row in overview])
    # the configured chains, then any other chain a job names (a config without chain ids)
    names: dict[int, str | None] = {
        c.chain_id: c.name for c in chains_of(config) if c.chain_id is not None
    }
    for row in overview:
        for chain_id in row.txs:
            names.setdefault(chain_id, None)
    primary = next(iter(names), None)
    rows = []
    for row in overview:
        b = row.batch
        tx = row.txs.get(primary) if primary is not None else None
        per_chain = []
        for chain_id, name in names.items():
            job = row.txs.get(chain_id)
            gas, price = costs.get((chain_id, b.id), (None, None))
            per_chain.append(
                {
                    "name": name,
                    "chain_id": chain_id,
                    "state": job.state if job else None,
                    "nonce": job.nonce if job else None,
                    "attempts": row.attempts.get(chain_id, 0),
                    "tx_hash": job.tx_hash if job else None,
                    "block_number": job.block_number if job else None,
                    "reorgs": job.reorgs if job else 0,
                    "gas_used": gas,
                    "gas_price_wei": price,
                    "fee_wei": None if gas is None or price is None else gas * price,
                    "error": job.last_error if job else None,
                }
            )
        rows.append(
            {
                "id": b.id,
                "records": b.leaf_count,
                "state": b.state,
                "anchor": tx.state if tx else None,
                "root": "0x" + bytes(b.root).hex(),
                "nonce": tx.nonce if tx else None,
                "attempts": row.attempts.get(primary or 0, 0),
                "tx_hash": "0x" + bytes(b.tx_hash).hex() if b.tx_hash else None,
                "block_number": b.block_number,
                "sealed_at": b.sealed_at.isoformat() if b.sealed_at else None,
                "final_at": b.final_at.isoformat() if b.final_at else None,
                "reorgs": tx.reorgs if tx else 0,
                "error": tx.last_error if tx else None,
                "chains": per_chain,
            }
        )
    return rows


def _print_batches(rows: list[dict[str, Any]], config: Config) -> None:
    from rich.console import Console
    from rich.table import Table

    colors = {"sealed": "yellow", "submitted": "cyan", "included": "blue", "final": "green"}
    several = any(len(r["chains"]) > 1 for r in rows)
    table = Table(title="batches (newest first)")
    columns = ["id", "records", "state", "tx", "block", "attempts", "sealed", "note"]
    if several:
        columns.insert(3, "chains")
    for name in columns:
        table.add_column(name, justify="right" if name in ("id", "records", "block") else "left")
    for r in rows:
        state = r["state"]
        if r["anchor"] in ("failed", "conflict"):
            state = f"[bold red]{r['anchor']}[/]"
        else:
            state = f"[{colors.get(state, 'white')}]{state}[/]"
        tx = r["tx_hash"] or ""
        link = config.explorer_url("tx", tx=tx) if tx else None
        chains = [
            " ".join(
                f"{c['name'] or c['chain_id']}:"
                f"[{colors.get(c['state'] or '', 'white')}]{c['state'] or '-'}[/]"
                for c in r["chains"]
            )
        ]
        table.add_row(
            str(r["id"]),
            f"{r['records']:,}",
            state,
            *(chains if several else []),
            (tx[:10] + "…" + tx[-6:]) if tx else "",
            "" if r["block_number"] is None else str(r["block_number"]),
            str(r["attempts"]),
            (r["sealed_at"] or "")[:19],
            _note(r, link),
        )
    Console().print(table)


def _note(row: dict[str, Any], link: str | None) -> str:
    if row["anchor"] == "conflict":
        return "different root on chain: see `anchor alarms`"
    if row["anchor"] == "failed":
        return "transaction reverted: see `anchor alarms`"
    if row["error"]:
        return str(row["error"])[:60]
    return link or ""


def _alarm_rows(db: Database, show_all: bool) -> list[dict[str, Any]]:
    from anchor.store.alarms import list_alarms

    return [
        {
            "id": a.id,
            "kind": a.kind,
            "batch_id": a.batch_id,
            "chain_id": a.chain_id,
            "message": a.message,
            "count": a.count,
            "created_at": a.created_at.isoformat(),
            "last_seen_at": a.last_seen_at.isoformat(),
            "resolved_at": a.resolved_at.isoformat() if a.resolved_at else None,
        }
        for a in list_alarms(db, include_resolved=show_all)
    ]


def _resolve(db: Database, alarm_id: int) -> None:
    from anchor.errors import NotFoundError
    from anchor.store.alarms import resolve_alarm

    if resolve_alarm(db, alarm_id) is None:
        raise NotFoundError(f"no alarm {alarm_id}")


def _print_alarms(rows: list[dict[str, Any]]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    if not rows:
        console.print("[green]no open alarms[/]")
        return
    table = Table(title="alarms")
    for name in ("id", "kind", "batch", "count", "since", "resolved", "message"):
        table.add_column(name)
    for r in rows:
        table.add_row(
            str(r["id"]),
            f"[bold red]{r['kind']}[/]" if r["resolved_at"] is None else r["kind"],
            "" if r["batch_id"] is None else str(r["batch_id"]),
            str(r["count"]),
            r["created_at"][:19],
            (r["resolved_at"] or "")[:19],
            r["message"],
        )
    console.print(table)
