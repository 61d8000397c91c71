"""CLI commands of the store: ``anchor ingest FILE`` and ``anchor db init|migrate|info``.

Every command but ``db init`` needs the database to exist already (a missing SQLite file
or an unreachable PostgreSQL database is an error naming the URL, exit 2): a mistyped URL
never turns into a new, empty database.

Only typer, rich and the standard library at import time (heavy imports inside the
commands), so a base install without the server extras still starts.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:
    from anchor.store.db import Database

ConfigOpt = typer.Option(None, "--config", "-c", help="config file (TOML); else $ANCHOR_CONFIG")
DbOpt = typer.Option(None, "--database-url", help="else $ANCHOR_DATABASE_URL or the config")


def _open(config_path: Path | None, url: str | None, *, migrate: bool = True) -> Database:
    """The database the command works on; it must exist (``anchor db init`` creates one).
    ``migrate=False``: as it is, even without a schema (``db migrate``, ``db info``)."""
    from anchor.config import load_config
    from anchor.store.db import Database

    config = load_config(config_path)
    return Database.open_existing(url, config=config, require_schema=migrate, migrate=migrate)


class _Counting(io.RawIOBase):
    """A binary reader that counts the bytes handed out (for the progress bar)."""

    def __init__(self, raw: Any) -> None:
        self.raw = raw
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        n = int(self.raw.readinto(b))
        self.count += n
        return n


def register(app: typer.Typer) -> None:
    """Add ``ingest`` and the ``db`` group to the ``anchor`` app."""

    @app.command("ingest")
    def ingest_cmd(
        file: Path = typer.Argument(..., help="NDJSON or CSV file; '-' reads stdin"),
        fmt: str = typer.Option("ndjson", "--format", "-f", help="ndjson | csv"),
        kind: str | None = typer.Option(
            None, "--kind", help="CSV without kind/version columns: KIND or KIND:VERSION"
        ),
        skip_bad: bool = typer.Option(
            False, "--skip-bad", help="store the good records and list the bad lines"
        ),
        workers: int = typer.Option(
            1, "--workers", min=1, max=64, help="validation worker processes (big files)"
        ),
        receipts_out: Path | None = typer.Option(
            None,
            "--receipts-out",
            help="write the load's signed receipts here (NDJSON; one signature per load, "
            "with the receipt key of receipt_key_env / receipt_keystore_path)",
        ),
        config: Path | None = ConfigOpt,
        database_url: str | None = DbOpt,
    ) -> None:
        """Ingest records from a file in one transaction (all or nothing unless --skip-bad).

        A bad record stops the load with its line number and field; a record id already
        stored with other content is a conflict; the same content again is a no-op.
        CSV columns are the records' JSON field names (see anchor/store/csv_format.py)."""
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TransferSpeedColumn,
        )

        from anchor.errors import InputError
        from anchor.service.ingest import ingest
        from anchor.store.csv_format import parse_kind, read_csv

        if fmt not in ("ndjson", "csv"):
            raise typer.BadParameter("ndjson or csv", param_hint="--format")
        kind_version = parse_kind(kind)
        if kind_version is not None and fmt != "csv":
            raise typer.BadParameter("only with --format csv", param_hint="--kind")
        stdin = str(file) == "-"
        if not stdin and not file.is_file():
            raise InputError(f"no such file: {file}")
        total = None if stdin else file.stat().st_size
        raw = sys.stdin.buffer if stdin else file.open("rb")
        counting = _Counting(raw)
        reader = io.BufferedReader(counting, buffer_size=1 << 20)
        err = Console(stderr=True)
        from anchor.config import load_config
        from anchor.service.receipts import configured_receipt_signer, load_receipt_key

        # before the load: fail early. With a receipt key configured every load is signed
        # (and its deadline watched); --receipts-out needs one.
        cfg = load_config(config)
        signer = (
            load_receipt_key(cfg) if receipts_out is not None else configured_receipt_signer(cfg)
        )
        db = _open(config, database_url)
        try:
            with Progress(
                TextColumn("[bold]ingest[/bold] {task.fields[records]:,} records"),
                BarColumn(),
                DownloadColumn(),
                TransferSpeedColumn(),
                TimeElapsedColumn(),
                console=err,
                transient=False,
            ) as progress:
                task = progress.add_task("ingest", total=total, records=0)

                def tick(n: int) -> None:
                    progress.update(task, completed=counting.count, records=n)

                items: Iterator[Any]
                if fmt == "csv":
                    text = io.TextIOWrapper(reader, encoding="utf-8", newline="")
                    items = read_csv(text, kind=kind_version)
                    first_line = 2
                else:
                    items = iter(reader)
                    first_line = 1
                result = ingest(
                    db,
                    items,
                    skip_bad=skip_bad,
                    progress=tick,
                    first_line=first_line,
                    workers=workers,
                    receipts=signer,
                )
                progress.update(task, completed=counting.count, records=result.accepted)
            if signer is not None and receipts_out is not None:
                import json
                import time

                from anchor.service.receipts import issue_receipts

                receipts = issue_receipts(db, result, signer, int(time.time()))
                with receipts_out.open("w", encoding="utf-8") as out:
                    for r in receipts:
                        out.write(json.dumps(r.to_obj(), separators=(",", ":")) + "\n")
        finally:
            db.close()
            if not stdin:
                raw.close()
        seqs = (
            f" (seq {result.first_seq}..{result.last_seq})" if result.first_seq is not None else ""
        )
        typer.echo(
            f"accepted {result.accepted:,}{seqs}, duplicates {result.duplicates:,}, "
            f"rejected {len(result.rejected):,}"
        )
        for bad in result.rejected[:50]:
            typer.echo(f"  line {bad.line}: {bad.field}: {bad.problem}", err=True)
        if len(result.rejected) > 50:
            typer.echo(f"  ... and {len(result.rejected) - 50} more", err=True)

    db_app = typer.Typer(help="Database: migrations and status.", no_args_is_help=True)
    app.add_typer(db_app, name="db")

    @db_app.command("init")
    def init_cmd(config: Path | None = ConfigOpt, database_url: str | None = DbOpt) -> None:
        """Create the database (a SQLite file and its directory) if it is not there, and
        bring its schema up to date. The only command besides serve and demo that creates
        one; safe to run again."""
        from anchor.config import load_config
        from anchor.store.db import Database, resolve_url

        url = resolve_url(database_url, load_config(config))
        db = Database(url)
        try:
            before = db.schema_version()
            after = db.migrate()
        finally:
            db.close()
        where = repr(db).removeprefix("Database(").removesuffix(")")
        if before == 0:
            typer.echo(f"initialised {where}: schema version {after}")
        elif after == before:
            typer.echo(f"{where} already initialised: schema version {after}")
        else:
            typer.echo(f"{where}: schema migrated from version {before} to {after}")

    @db_app.command("migrate")
    def migrate_cmd(config: Path | None = ConfigOpt, database_url: str | None = DbOpt) -> None:
        """Apply pending schema migrations (safe to run again)."""
        db = _open(config, database_url, migrate=False)
        try:
            before = db.schema_version()
            after = db.migrate()
        finally:
            db.close()
        if after == before:
            typer.echo(f"schema is up to date (version {after})")
        else:
            typer.echo(f"schema migrated from version {before} to {after}")

    @db_app.command("info")
    def info_cmd(config: Path | None = ConfigOpt, database_url: str | None = DbOpt) -> None:
        """Backend, schema version, and counts of records, accounts and batches."""
        from rich.console import Console
        from rich.table import Table

        from anchor.store import migrations, queries

        db = _open(config, database_url, migrate=False)
        try:
            with db.connect(write=False) as conn:
                applied = migrations.applied(conn)
            known = migrations.discover()
            table = Table(show_header=False, box=None)
            table.add_row("database", repr(db))
            table.add_row("backend", db.backend)
            version = applied[-1][0] if applied else 0
            latest = known[-1].version if known else 0
            pending = [m.name for m in known if m.version > version]
            table.add_row(
                "schema",
                f"version {version}" + (f", pending: {', '.join(pending)}" if pending else ""),
            )
            if version:
                s = queries.stats(db)
                table.add_row("records", f"{s.records:,} (last seq {s.last_seq})")
                table.add_row("pending", f"{s.pending:,} not yet sealed")
                table.add_row("accounts", f"{s.accounts:,}")
                states = ", ".join(f"{k} {v}" for k, v in sorted(s.batches_by_state.items()))
                table.add_row("batches", f"{s.batches:,}" + (f" ({states})" if states else ""))
            elif latest:
                table.add_row("hint", "run `anchor db init`")
            Console().print(table)
        finally:
            db.close()
