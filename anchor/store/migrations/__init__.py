"""Versioned schema migrations.

How it works
------------
* The table ``schema_version(version, name, applied_at)`` records every applied migration.
* Each migration is a module in this package named ``NNNN_short_name.py`` (four digits, then
  an underscore and a name): ``0001_initial``, ``0002_transactions``, ``0003_auth``,
  ``0004_backups``, ... They are applied in numeric order, each in its own write transaction
  together with its ``schema_version`` row, so a migration is applied entirely or not at all.
* Concurrent ``migrate()`` calls are safe: PostgreSQL serialises them on an advisory lock,
  SQLite on ``BEGIN IMMEDIATE``; each re-reads the version inside its lock.

Adding a migration
------------------
Create ``anchor/store/migrations/NNNN_name.py`` with the next free number and define::

    DESCRIPTION = "anchor transactions and attempts"   # optional, one line

    def upgrade(conn: sqlalchemy.Connection) -> None:
        ...  # DDL / data changes; conn.dialect.name is "sqlite" or "postgresql"

That is all: discovery is automatic. Rules:

* Never edit a migration that has been committed; add a new one.
* Write the DDL explicitly in the module (``sqlalchemy.Table`` on a local ``MetaData`` and
  ``metadata.create_all(conn)``, a schema text or the column shorthands of ``_ddl.py``
  with its ``create``, or ``conn.exec_driver_sql``), NOT ``SQLModel.metadata``: the models change over time, a
  migration must not (nor may a shared helper change what an existing migration creates).
* Keep it portable (SQLite and PostgreSQL), or branch on ``conn.dialect.name``.
* The SQLModel table classes for the new tables live next to the code that uses them and
  must match what the migration creates (tests/store/test_migrations.py compares the
  store's own models with the migrated schema; do the same for yours).
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, cast

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from anchor.errors import StorageError

if TYPE_CHECKING:
    from anchor.store.db import Database

_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)$")

_meta = sa.MetaData()
schema_version = sa.Table(
    "schema_version",
    _meta,
    sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("applied_at", sa.DateTime(timezone=True), nullable=False),
)


@dataclass(frozen=True)
class Migration:
    """One numbered migration module."""

    version: int
    name: str
    description: str
    upgrade: Callable[[Connection], None]


def discover() -> list[Migration]:
    """Every migration module in this package, in version order."""
    found: list[Migration] = []
    seen: dict[int, str] = {}
    for info in pkgutil.iter_modules(__path__):
        match = _NAME.match(info.name)
        if not match:
            continue
        version = int(match.group(1))
        if version in seen:
            raise StorageError(f"two migrations numbered {version}: {seen[version]}, {info.name}")
        seen[version] = info.name
        module = importlib.import_module(f"{__name__}.{info.name}")
        upgrade = getattr(module, "upgrade", None)
        if not callable(upgrade):
            raise StorageError(f"migration {info.name} has no upgrade(conn) function")
        found.append(
            Migration(
                version=version,
                name=info.name,
                description=str(getattr(module, "DESCRIPTION", match.group(2))),
                upgrade=cast(Callable[[Connection], None], upgrade),
            )
        )
    found.sort(key=lambda m: m.version)
    return found


def current_version(conn: Connection) -> int:
    """The highest applied version, 0 when the table does not exist yet."""
    if not sa.inspect(conn).has_table("schema_version"):
        return 0
    value = conn.execute(sa.select(sa.func.max(schema_version.c.version))).scalar()
    return int(value or 0)


def applied(conn: Connection) -> list[tuple[int, str, datetime]]:
    """(version, name, applied_at) of every applied migration."""
    if not sa.inspect(conn).has_table("schema_version"):
        return []
    rows = conn.execute(sa.select(schema_version).order_by(schema_version.c.version))
    return [(int(r.version), str(r.name), r.applied_at) for r in rows]


def migrate(db: Database) -> int:
    """Apply the pending migrations of this package to ``db``; return the version reached."""
    from anchor.store.db import LOCK_MIGRATE

    migrations = discover()
    latest = migrations[-1].version if migrations else 0
    version = 0
    for migration in [None, *migrations]:
        with db.connect(write=True) as conn:
            db.xact_lock(conn, LOCK_MIGRATE)
            _meta.create_all(conn, checkfirst=True)
            version = current_version(conn)
            if version > latest:
                raise StorageError(
                    f"database schema version {version} is newer than this code knows ({latest})"
                )
            if migration is None or migration.version <= version:
                continue
            migration.upgrade(conn)
            conn.execute(
                schema_version.insert().values(
                    version=migration.version, name=migration.name, applied_at=datetime.now(UTC)
                )
            )
            version = migration.version
    return version
