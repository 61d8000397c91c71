"""The database handle: one engine, sessions and connections in transactions, migrations.

Two backends behind one URL:

* SQLite (the embedded default): a file, ``journal_mode=WAL``, ``synchronous=FULL`` (a
  committed transaction survives a power cut), a busy timeout, foreign keys on. Writers open
  their transaction with ``BEGIN IMMEDIATE`` so two writers queue on the busy timeout instead
  of failing half-way when a read transaction tries to upgrade.
* PostgreSQL through psycopg 3 (``postgresql+psycopg://``). Writers that must not run
  concurrently (ingest, seal, migrations) serialise on transaction-level advisory locks
  (:meth:`Database.xact_lock`).

Usage::

    db = Database.open("sqlite:///.anchor/anchor.sqlite")   # connect + migrate
    with db.session() as s:            # a write transaction, committed on exit
        s.add(...)
    with db.session(write=False) as s: # a read transaction (SQLite: deferred BEGIN)
        s.exec(select(Batch)).all()
    with db.connect() as conn:         # a SQLAlchemy Connection in a write transaction
        conn.exec_driver_sql(...)
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, IntegrityError, OperationalError
from sqlmodel import Session

from anchor.errors import ConfigError, DatabaseMissingError

if TYPE_CHECKING:
    from anchor.config import Config

Backend = Literal["sqlite", "postgresql"]

ENV_URL = "ANCHOR_DATABASE_URL"
SQLITE_BUSY_TIMEOUT_S = 120.0

# Names of the advisory locks (PostgreSQL) the store uses; others may add their own.
LOCK_MIGRATE = "anchor.migrate"
LOCK_INGEST = "anchor.ingest"
LOCK_SEAL = "anchor.seal"

_WRITE_OPTION = "anchor_write"


def rows_in_parts(
    cur: Any, sql: str, keys: Sequence[Any], mark: str, part: int
) -> Iterator[tuple[Any, ...]]:
    """Every row of ``sql`` run on a DB-API cursor once for each run of at most ``part`` of
    ``keys``: ``{marks}`` in ``sql`` is that run's placeholders (``mark`` each, ``?`` or
    ``%s``), so no statement binds more parameters than the driver allows."""
    for at in range(0, len(keys), part):
        run = keys[at : at + part]
        cur.execute(sql.format(marks=",".join([mark] * len(run))), run)
        yield from cur.fetchall()


def lock_key(name: str) -> int:
    """A stable signed 64-bit advisory-lock key for ``name``."""
    digest = hashlib.sha256(name.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def normalize_url(url: str) -> str:
    """``postgres://`` / ``postgresql://`` → ``postgresql+psycopg://``; SQLite files only."""
    url = url.strip()
    if not url:
        raise ConfigError("database URL is empty")
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ConfigError(
            "database URL is not a valid URL (sqlite:///FILE or postgresql://...)"
        ) from None
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        if parsed.drivername != "sqlite":
            raise ConfigError(f"unsupported SQLite driver {parsed.drivername!r}")
        if not parsed.database or parsed.database == ":memory:":
            raise ConfigError("SQLite needs a file (sqlite:///path/to/anchor.sqlite), not memory")
        return url
    if backend == "postgresql":
        if parsed.drivername != "postgresql+psycopg":
            raise ConfigError(f"unsupported PostgreSQL driver {parsed.drivername!r}; use psycopg 3")
        return url
    raise ConfigError(f"unsupported database backend {backend!r} (sqlite or postgresql)")


def resolve_url(url: str | None = None, config: Config | None = None) -> str:
    """The database URL: explicit argument, else ``$ANCHOR_DATABASE_URL``, else the config."""
    return resolve_url_source(url, config)[0]


def resolve_url_source(url: str | None = None, config: Config | None = None) -> tuple[str, str]:
    """The database URL (as :func:`resolve_url`) and where it came from, for messages."""
    if url:
        return normalize_url(url), "--database-url"
    env = os.environ.get(ENV_URL)
    if env:
        return normalize_url(env), ENV_URL
    from anchor.config import DEFAULT_DATA_DIR, load_config

    if config is None:
        config = load_config()
    if config.database_url == f"sqlite:///{DEFAULT_DATA_DIR}/anchor.sqlite":
        where = "the default (no database_url configured; is ANCHOR_CONFIG set?)"
    elif os.environ.get("ANCHOR_CONFIG"):
        where = f"database_url in {os.environ['ANCHOR_CONFIG']}"
    else:
        where = "the config's database_url"
    return normalize_url(config.database_url), where


def _missing(where: str, why: str, source: str, *, sqlite: bool) -> DatabaseMissingError:
    create = (
        "create one with `anchor db init`"
        if sqlite
        else "create the database, then `anchor db init` creates its tables"
    )
    return DatabaseMissingError(
        f"no database at {where} ({why}); its URL comes from {source}. Point "
        "--database-url, ANCHOR_DATABASE_URL or the config file (ANCHOR_CONFIG) at the "
        f"service's database, or {create}"
    )


def _journal_wal(cur: Any) -> None:
    """WAL on (it stays on in the file). Switching a new file's journal needs its exclusive
    lock, and SQLite refuses at once ("database is locked") instead of waiting on the busy
    timeout when another connection holds it: several processes or threads opening one new
    file together (``anchor db init`` beside a starting service, migrations racing) ask
    again here, until the same timeout."""
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_S
    while True:
        try:
            cur.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


def _install_sqlite_hooks(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" hook below emit BEGIN itself (pysqlite's own implicit
        # transactions would defeat BEGIN IMMEDIATE).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        try:
            cur.execute(f"PRAGMA busy_timeout = {int(SQLITE_BUSY_TIMEOUT_S * 1000)}")
            # 8 KiB pages: a bulk load costs ~12% less than with 4 KiB (scripts/
            # bench_ingest.py). Takes effect only on a new, empty file (before WAL is on).
            cur.execute("PRAGMA page_size = 8192")
            _journal_wal(cur)
            cur.execute("PRAGMA synchronous = FULL")
            cur.execute("PRAGMA foreign_keys = ON")
            cur.execute("PRAGMA cache_size = -65536")  # 64 MiB page cache per connection
        finally:
            cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        if conn.get_execution_options().get(_WRITE_OPTION, False):
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.exec_driver_sql("BEGIN")


class Database:
    """A connection to the store. Build with :meth:`open` (connect and migrate) or the
    constructor (connect only)."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = normalize_url(url)
        parsed = make_url(self.url)
        self.backend: Backend = "sqlite" if parsed.get_backend_name() == "sqlite" else "postgresql"
        if self.backend == "sqlite":
            assert parsed.database is not None
            Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
            engine = sa.create_engine(
                self.url,
                echo=echo,
                connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S, "check_same_thread": False},
                pool_size=8,
                max_overflow=16,
            )
            _install_sqlite_hooks(engine)
        else:
            engine = sa.create_engine(
                self.url, echo=echo, pool_pre_ping=True, pool_size=8, max_overflow=16
            )
        self.engine: Engine = engine
        self._write_engine: Engine = engine.execution_options(**{_WRITE_OPTION: True})

    # -- construction -------------------------------------------------------------------
    @classmethod
    def open(cls, url: str | None = None, *, config: Config | None = None) -> Database:
        """Connect (URL from the argument, ``$ANCHOR_DATABASE_URL`` or the config) and bring
        the schema up to date."""
        db = cls(resolve_url(url, config))
        try:
            db.migrate()
        except BaseException:
            db.close()
            raise
        return db

    @classmethod
    def open_existing(
        cls,
        url: str | None = None,
        *,
        config: Config | None = None,
        require_schema: bool = True,
        migrate: bool = True,
    ) -> Database:
        """Open a database that must already exist, for commands that read or add to the
        store: a SQLite file that is there, a PostgreSQL database that answers and (with
        ``require_schema``) holds the schema. Otherwise :class:`DatabaseMissingError` (exit
        2) naming the URL, where it came from and how to point at the right one; nothing
        is created. Pending migrations are applied when ``migrate``."""
        resolved, source = resolve_url_source(url, config)
        parsed = make_url(resolved)
        shown = parsed.render_as_string(hide_password=True)
        if parsed.get_backend_name() == "sqlite":
            assert parsed.database is not None
            path = Path(parsed.database).expanduser().absolute()
            shown = str(path)
            if not path.is_file():
                raise _missing(shown, "the file does not exist", source, sqlite=True)
        db = cls(resolved)
        sqlite = db.backend == "sqlite"
        try:
            try:
                version = db.schema_version()
            except OperationalError as exc:
                first = str(exc.orig or exc).strip().splitlines()
                why = first[0] if first else type(exc).__name__
                raise _missing(shown, f"cannot connect: {why}", source, sqlite=sqlite) from None
            if require_schema and version == 0:
                raise _missing(shown, "it holds no ledger-anchor tables", source, sqlite=sqlite)
            if migrate and version:
                db.migrate()
        except BaseException:
            db.close()
            raise
        return db

    def close(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Database({make_url(self.url).render_as_string(hide_password=True)!r})"

    # -- transactions -------------------------------------------------------------------
    @contextmanager
    def session(self, *, write: bool = True) -> Iterator[Session]:
        """A SQLModel session in one transaction: committed on normal exit, rolled back on an
        exception. ``write=True`` (default) takes SQLite's write lock at BEGIN; use
        ``write=False`` for pure reads. Objects stay usable after the block
        (``expire_on_commit=False``)."""
        engine = self._write_engine if write else self.engine
        with Session(engine, expire_on_commit=False) as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    @contextmanager
    def connect(self, *, write: bool = True) -> Iterator[Connection]:
        """A Core connection inside one transaction (committed on normal exit)."""
        engine = self._write_engine if write else self.engine
        with engine.begin() as conn:
            yield conn

    def first(self, sql: str, params: Mapping[str, Any] | None = None) -> sa.Row[Any] | None:
        """The first row of the read-only query ``sql`` (None when it has none), read in a
        transaction of its own."""
        with self.connect(write=False) as conn:
            return conn.execute(sa.text(sql), params or {}).first()

    def rows(self, sql: str, params: Mapping[str, Any] | None = None) -> list[sa.Row[Any]]:
        """Every row of the read-only query ``sql``, read in a transaction of its own."""
        with self.connect(write=False) as conn:
            return list(conn.execute(sa.text(sql), params or {}).all())

    def insert_new(
        self, table: sa.Table, values: Mapping[str, Any], *, key: Sequence[str] = ()
    ) -> bool:
        """Insert the row ``values`` into ``table`` in a write transaction of its own. False,
        nothing written, when the table already holds it: a row equal on the ``key`` columns
        (looked up first, so that the usual repeat raises nothing), or a row that a unique
        constraint refuses (another process wrote it meanwhile)."""
        try:
            with self.connect(write=True) as conn:
                if key:
                    same = [table.c[k] == values[k] for k in key]
                    if conn.execute(sa.select(table.c[key[0]]).where(*same)).first():
                        return False
                conn.execute(table.insert().values(**values))
        except IntegrityError:
            return False
        return True

    def xact_lock(self, conn: Connection | Session, name: str) -> None:
        """Take the transaction-level advisory lock ``name`` (PostgreSQL); on SQLite the
        ``BEGIN IMMEDIATE`` of a write transaction already serialises writers."""
        if self.backend == "postgresql":
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": lock_key(name)})

    # -- schema -------------------------------------------------------------------------
    def migrate(self) -> int:
        """Apply every pending numbered migration; return the schema version reached.
        Safe to run twice and from several processes at once."""
        from anchor.store.migrations import migrate

        return migrate(self)

    def schema_version(self) -> int:
        """The highest applied migration (0 for an empty database)."""
        from anchor.store.migrations import current_version

        with self.connect(write=False) as conn:
            return current_version(conn)
