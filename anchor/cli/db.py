"""CLI commands of the store: ``anchor db init|migrate|info`` (``anchor ingest`` is
:mod:`anchor.cli.ingest`).

Every command but ``db init`` needs the database to exist already (a missing SQLite file
or an unreachable PostgreSQL database is an error naming the URL, exit 2): a mistyped URL
never turns into a new, empty database.

Only typer, rich and the standard library at import time (heavy imports inside the
commands), so a base install without the server extras still starts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from anchor.cli.options import Store, StoreOpts, add_group, with_blocks

if TYPE_CHECKING:
    from anchor.store.db import Database


def _open(store: Store, *, migrate: bool = True) -> Database:
    """The database the command works on; it must exist (``anchor db init`` creates one).
    ``migrate=False``: as it is, even without a schema (``db migrate``, ``db info``)."""
    from anchor.config import load_config
    from anchor.store.db import Database

    config = load_config(store.config)
    return Database.open_existing(
        store.database_url, config=config, require_schema=migrate, migrate=migrate
    )


def _migrated(db: Database) -> tuple[int, int]:
    """Bring the schema of ``db`` up to date and close it: (version before, version after)."""
    try:
        return db.schema_version(), db.migrate()
    finally:
        db.close()


def _migration(before: int, after: int) -> str:
    """What bringing the schema up to date did, in words."""
    if after == before:
        return f"schema is up to date (version {after})"
    return f"schema migrated from version {before} to {after}"


def register(app: typer.Typer) -> None:
    """Add the ``db`` group to the ``anchor`` app."""

    db_app = add_group(app, "db", "Database: migrations and status.")

    @db_app.command("init")
    @with_blocks
    def init_cmd(store: Store = StoreOpts) -> None:
        """Create the database (a SQLite file and its directory) if it is not there, and
        bring its schema up to date. The only command besides serve and demo that creates
        one; safe to run again."""
        from anchor.config import load_config
        from anchor.store.db import Database, resolve_url

        db = Database(resolve_url(store.database_url, load_config(store.config)))
        before, after = _migrated(db)
        where = repr(db).removeprefix("Database(").removesuffix(")")
        if before == 0:
            typer.echo(f"initialised {where}: schema version {after}")
        elif after == before:
            typer.echo(f"{where} already initialised: schema version {after}")
        else:
            typer.echo(f"{where}: {_migration(before, after)}")

    @db_app.command("migrate")
    @with_blocks
    def migrate_cmd(store: Store = StoreOpts) -> None:
        """Apply pending schema migrations (safe to run again)."""
        typer.echo(_migration(*_migrated(_open(store, migrate=False))))

    @db_app.command("info")
    @with_blocks
    def info_cmd(store: Store = StoreOpts) -> None:
        """Backend, schema version, and counts of records, accounts and batches."""
        from rich.console import Console
        from rich.table import Table

        from anchor.store import migrations, queries

        db = _open(store, migrate=False)
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
