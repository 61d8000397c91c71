"""CLI: ``anchor backup run|verify|status|keygen``, ``anchor restore``, ``anchor reconcile``.

Only typer, rich and the standard library at import time; the work is imported inside the
commands. Exit codes: 0 all good; 1 something differs / is missing / was refused; 2 unusable
input or configuration (any other :class:`anchor.errors.AnchorError`).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, Protocol, TypeVar

import typer

from anchor.cli.context import load as _config
from anchor.cli.options import (
    ConfigOpt,
    ContractOpt,
    JsonOpt,
    RpcOpt,
    Store,
    StoreOpts,
    WorkersOpt,
    add_group,
    block,
    read_by,
    with_blocks,
)

if TYPE_CHECKING:
    from anchor.backup.chainview import RegistryView
    from anchor.backup.crypto import BackupKeys
    from anchor.backup.jobs import BackupReport
    from anchor.backup.targets import Target
    from anchor.backup.verify import VerifyReport
    from anchor.backup.watch import BackupHealth
    from anchor.config import Config

TargetOpt = typer.Option(
    None, "--target", "-t", help="backup target (directory or s3://...); default: the config's"
)


def _targets(config: Config, given: list[str] | None) -> list[Target]:
    from anchor.backup.targets import open_target
    from anchor.errors import ConfigError

    specs = list(given) if given else list(config.backup_targets)
    if not specs:
        raise ConfigError("no backup targets: pass --target or configure backup_targets")
    return [open_target(s) for s in specs]


def _keys(config: Config) -> BackupKeys | None:
    from anchor.backup.crypto import load_backup_keys

    return load_backup_keys(config)


def _chain(config: Config, rpc: str | None) -> RegistryView:
    from anchor.backup.chainview import chain_view_from_config

    return chain_view_from_config(config, rpc_url=rpc)


def _workers(n: int) -> int:
    from anchor.backup.leaves import default_workers

    return n if n > 0 else default_workers()


def _emit_json(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, indent=2, default=str) + "\n")


@dataclass(frozen=True)
class _Check:
    """``--rpc``, ``--contract``, ``--workers``, ``--json``: the chain bundles are checked
    against, the processes that re-hash them, and how the outcome is printed."""

    rpc: str | None = field(metadata=read_by(RpcOpt))
    contract: str | None = field(metadata=read_by(ContractOpt))
    workers: int = field(metadata=read_by(WorkersOpt))
    as_json: bool = field(metadata=read_by(JsonOpt))

    def config(self, path: Path | None) -> Config:
        """The configuration from ``--config``, with ``--contract`` on top."""
        return _config(path, contract_address=self.contract)

    def chain(self, config: Config) -> RegistryView:
        return _chain(config, self.rpc)

    def processes(self) -> int:
        return _workers(self.workers)


CheckOpts = block(_Check)


class _Report(Protocol):
    @property
    def ok(self) -> bool: ...

    def to_json(self) -> dict[str, Any]: ...


R = TypeVar("R", bound=_Report)


def _finish(report: R, as_json: bool, show: Callable[[R], None]) -> NoReturn:
    """Print ``report`` (as JSON, or as ``show`` prints it) and exit 0 when it is ok, else 1."""
    if as_json:
        _emit_json(report.to_json())
    else:
        show(report)
    raise typer.Exit(0 if report.ok else 1)


@contextmanager
def _progress_status(enabled: bool) -> Iterator[Any]:
    """A one-line status on stderr naming what is being read now (a terminal only; never
    a line per batch), as the ``progress(text)`` callback; None when not ``enabled``."""
    if not enabled:
        yield None
        return
    from rich.console import Console

    with Console(stderr=True).status("starting") as status:

        def show(text: str) -> None:
            status.update(text)

        yield show


def _show_run(report: BackupReport) -> None:
    from rich.console import Console
    from rich.table import Table

    con = Console()
    table = Table(title=f"backup run: {report.batches} batches, {len(report.targets)} targets")
    for col in ("batch", "target", "object", "result"):
        table.add_column(col)
    for w in report.written:
        table.add_row(str(w.batch_id), w.target, w.key, w.result)
    for f in report.failures:
        table.add_row(str(f.batch_id or "-"), f.target or "-", f.kind, f"[red]{f.problem}[/red]")
    con.print(table)
    for note in report.notes:
        con.print(f"[yellow]note:[/yellow] {note}")
    con.print(
        "[green]all batches on all targets[/green]"
        if report.ok
        else f"[red]{report.missing} batch copies missing; retried on the next run[/red]"
    )


def _show_health(health: BackupHealth) -> None:
    from rich.console import Console
    from rich.table import Table

    con = Console()
    table = Table(
        title=f"backups: {len(health.targets)} targets, a final batch needs"
        f" {health.minimum} within {health.alarm_seconds:g} s"
    )
    for col in ("target", "state", "last batch", "behind", "lag", "last error"):
        table.add_column(col)
    for t in health.targets:
        c = "green" if t.state == "ok" else "red"
        table.add_row(
            t.target,
            f"[{c}]{t.state}[/{c}]",
            str(t.last_batch or "-"),
            f"{t.behind} ({t.behind_final} final)",
            f"{t.lag_seconds:.0f} s",
            (t.last_error or "")
            + (f" ({t.last_error_at:%Y-%m-%d %H:%M:%S})" if t.last_error_at else ""),
        )
    con.print(table)
    if not health.targets:
        con.print("[yellow]no backup targets configured[/yellow]")
    con.print("[green]backups up to date[/green]" if health.ok else f"[red]{health.reason}[/red]")


def _show_verify(report: VerifyReport) -> None:
    from rich.console import Console
    from rich.table import Table

    con = Console()
    table = Table(title=f"backup verify (last batch on chain: {report.last_on_chain})")
    for col in ("target", "batch", "status", "object", "detail"):
        # paths and content addresses are copied by people: folded, never cut short
        table.add_column(col, overflow="fold")
    colors = {"ok": "green", "unanchored": "yellow"}
    for i in report.items:
        c = colors.get(i.status, "red")
        table.add_row(
            i.target, str(i.batch_id or "-"), f"[{c}]{i.status}[/{c}]", i.object or "", i.detail
        )
    con.print(table)
    n = len(report.failures())
    con.print("[green]all bundles verify[/green]" if report.ok else f"[red]{n} problems[/red]")


def register(app: typer.Typer) -> None:
    backup = add_group(app, "backup", "Immutable backups of sealed batches.")

    @backup.command("run")
    @with_blocks
    def backup_run(
        store: Store = StoreOpts,
        target: list[str] | None = TargetOpt,
        workers: int = WorkersOpt,
        as_json: bool = JsonOpt,
    ) -> None:
        """Write every sealed batch (and its receipt once final) to every target."""
        from anchor.backup.jobs import run_backups
        from anchor.store.db import Database

        cfg = _config(store.config)
        targets = _targets(cfg, target)
        with Database.open_existing(store.database_url, config=cfg) as db:
            report = run_backups(
                db, cfg, targets=targets, workers=_workers(workers), watch=not target
            )
        _finish(report, as_json, _show_run)

    @backup.command("keygen")
    def backup_keygen(
        key_id: str = typer.Argument(..., help="a name for the key (e.g. k2025-06)"),
    ) -> None:
        """Print a new backup key entry (keyid:base64key) for ANCHOR_BACKUP_KEYS or the key
        file. Put it FIRST to encrypt new bundles with it; keep the old keys after it."""
        from anchor.backup.crypto import new_key_entry

        typer.echo(new_key_entry(key_id))

    @backup.command("status")
    @with_blocks
    def backup_status(store: Store = StoreOpts, as_json: bool = JsonOpt) -> None:
        """Per target: last batch, lag, state and last error (from the database).

        Exit 0 when every final batch is on enough targets in time, 1 when backups lag."""
        from anchor.backup.watch import backup_health

        with store.opened() as (cfg, db):
            health = backup_health(db, cfg)
        _finish(health, as_json, _show_health)

    @backup.command("verify")
    @with_blocks
    def backup_verify(
        config: Path | None = ConfigOpt,
        target: list[str] | None = TargetOpt,
        check: _Check = CheckOpts,
    ) -> None:
        """Check every bundle on every target against the root on chain."""
        from anchor.backup.verify import verify_targets

        cfg = check.config(config)
        targets, chain = _targets(cfg, target), check.chain(cfg)
        with _progress_status(not check.as_json) as progress:
            report = verify_targets(
                targets, chain, workers=check.processes(), progress=progress, keys=_keys(cfg)
            )
        _finish(report, check.as_json, _show_verify)

    @app.command("restore")
    @with_blocks
    def restore_cmd(
        sources: list[str] = typer.Option(
            ..., "--from", help="backup target to restore from (repeatable)"
        ),
        into: str = typer.Option(
            ..., "--into", help="URL of an EMPTY database (SQLite or PostgreSQL)"
        ),
        config: Path | None = ConfigOpt,
        check: _Check = CheckOpts,
        up_to_batch: int | None = typer.Option(
            None, "--up-to-batch", help="restore exactly batches 1..N (the books as of batch N)"
        ),
    ) -> None:
        """Rebuild records, accounts and batches from bundles into an empty database.

        A bundle is accepted only when its recomputed root equals the root on chain."""
        from rich.console import Console

        from anchor.backup.restore import restore
        from anchor.backup.targets import open_target
        from anchor.store.db import Database

        cfg = check.config(config)
        chain = check.chain(cfg)
        targets = [open_target(s) for s in sources]
        with Database.open(into) as db, _progress_status(not check.as_json) as progress:
            report = restore(
                db,
                targets,
                chain,
                workers=check.processes(),
                progress=progress,
                keys=_keys(cfg),
                up_to_batch=up_to_batch,
            )
        complete = not report.chain_only
        if check.as_json:
            _emit_json({"complete": complete, **report.to_json()})
        else:
            con = Console()
            con.print(
                f"restored {len(report.batches)} batches, {report.records} records,"
                f" {report.accounts} accounts"
            )
            for r in report.refused:
                con.print(f"[yellow]refused:[/yellow] {r}")
            if report.unanchored:
                con.print(
                    f"[yellow]not restored (not anchored, cannot be verified):[/yellow]"
                    f" batches {list(report.unanchored)}"
                )
            if report.chain_only:
                con.print(
                    f"[red]anchored on chain but in no backup:[/red] batches {list(report.chain_only)}"
                )
            for n in report.notes:
                con.print(f"[yellow]note:[/yellow] {n}")
        raise typer.Exit(0 if complete else 1)

    @app.command("reconcile")
    @with_blocks
    def reconcile_cmd(
        store: Store = StoreOpts,
        target: list[str] | None = TargetOpt,
        check: _Check = CheckOpts,
    ) -> None:
        """Compare the live database, the backups and the chain, batch by batch.

        Shows a row per batch and names every difference (record id and field, batch,
        target); exit 1 when any. Without backup targets it compares the database with the
        chain and says the backups were not checked."""
        from rich.console import Console

        from anchor.backup.reconcile import reconcile
        from anchor.backup.reconcile_view import print_report, progress_bar
        from anchor.backup.targets import open_target

        with store.opened(contract_address=check.contract) as (cfg, db):
            specs = list(target) if target else list(cfg.backup_targets)
            targets = [open_target(s) for s in specs]
            chain = check.chain(cfg)
            if check.as_json:
                report = reconcile(db, targets, chain, workers=check.processes(), keys=_keys(cfg))
            else:
                with progress_bar(Console(stderr=True)) as progress:
                    report = reconcile(
                        db,
                        targets,
                        chain,
                        workers=check.processes(),
                        progress=progress,
                        keys=_keys(cfg),
                    )
        _finish(report, check.as_json, lambda r: print_report(r, Console()))
