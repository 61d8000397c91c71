"""Exactly one anchorer at a time.

* PostgreSQL: a session-level ``pg_try_advisory_lock`` on a dedicated connection held for the
  process lifetime. When the leader dies (even by SIGKILL) its connection closes and the server
  releases the lock; a standby that retries every few seconds takes over. The leader checks
  its connection before each job and steps down the moment it is gone.
* SQLite: one process per database file: an exclusive ``flock`` on ``<db file>.anchorer.lock``
  (released by the kernel when the process dies).
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy.engine import make_url

from anchor.store.db import lock_key

if TYPE_CHECKING:
    from anchor.store.db import Database

log = logging.getLogger("anchor.leader")

LEADER_LOCK = "anchor.anchorer"


class Leadership(Protocol):
    def try_acquire(self) -> bool:
        """Become the leader if nobody is; True when this process leads (now or already)."""
        ...

    def is_leader(self) -> bool:
        """Still the leader? (Checks the lock's connection.)"""
        ...

    def release(self) -> None: ...


class PostgresLeader:
    """``pg_try_advisory_lock`` held on a dedicated autocommit connection."""

    def __init__(self, url: str, *, name: str = LEADER_LOCK, connect_timeout: int = 5) -> None:
        parsed = make_url(url).set(drivername="postgresql")
        self._conninfo = parsed.render_as_string(hide_password=False)
        self._key = lock_key(name)
        self._timeout = connect_timeout
        self._conn: Any = None
        self._leading = False

    def _connect(self) -> Any:
        import psycopg

        return psycopg.connect(
            self._conninfo,
            autocommit=True,
            connect_timeout=self._timeout,
            application_name="anchor-anchorer",
            keepalives=1,
            keepalives_idle=5,
            keepalives_interval=2,
            keepalives_count=3,
        )

    def try_acquire(self) -> bool:
        if self._leading and self.is_leader():
            return True
        try:
            if self._conn is None or self._conn.closed:
                self._conn = self._connect()
            row = self._conn.execute("SELECT pg_try_advisory_lock(%s)", (self._key,)).fetchone()
        except Exception as exc:
            log.warning("leader lock: %s", type(exc).__name__)
            self._drop()
            return False
        self._leading = bool(row and row[0])
        if self._leading:
            log.warning("this process is now the anchorer (pid %s)", os.getpid())
        return self._leading

    def is_leader(self) -> bool:
        if not self._leading or self._conn is None:
            return False
        try:
            self._conn.execute("SELECT 1").fetchone()
        except Exception:
            log.error("lost the anchorer lock (its connection failed): stepping down")
            self._drop()
            return False
        return True

    def _drop(self) -> None:
        self._leading = False
        if self._conn is not None:
            with contextlib.suppress(Exception):
                self._conn.close()
        self._conn = None

    def release(self) -> None:
        if self._conn is not None and self._leading:
            with contextlib.suppress(Exception):
                self._conn.execute("SELECT pg_advisory_unlock(%s)", (self._key,))
        self._drop()


class FileLeader:
    """An exclusive, non-blocking ``flock`` on a file next to the SQLite database."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._fd: int | None = None

    def try_acquire(self) -> bool:
        if self._fd is not None:
            return True
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd
        log.warning("this process is now the anchorer (pid %s)", os.getpid())
        return True

    def is_leader(self) -> bool:
        return self._fd is not None

    def release(self) -> None:
        if self._fd is not None:
            try:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
            finally:
                os.close(self._fd)
                self._fd = None


def make_leadership(db: Database) -> Leadership:
    """The right kind of leadership for the database's backend."""
    if db.backend == "postgresql":
        return PostgresLeader(db.url)
    database = make_url(db.url).database
    assert database is not None
    return FileLeader(
        Path(database).expanduser().resolve().with_name(Path(database).name + ".anchorer.lock")
    )
