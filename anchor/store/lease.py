"""The leader lease: who may anchor, until when, under which fencing epoch.

One row per lease name in ``leases`` (migration 0006): the holder (``host:pid:random``), an
``epoch`` that goes up by one on every acquisition (the fencing token), and an expiry computed
from the DATABASE's clock (PostgreSQL ``clock_timestamp()``; SQLite ``strftime('now')``, one
clock since every process shares the host), so the processes' own clocks never matter.

* :func:`acquire` takes the row when it is free or expired (one conditional ``UPDATE``: two
  contenders cannot both win) and starts a new epoch, recorded in ``lease_changes``.
* :func:`renew` extends it while holder and epoch are still ours: nobody can have acted under
  the lease in between, since any other acquisition changes both.
* :func:`holds` is the fence: ours, same epoch, and not expiring within ``margin`` seconds.
* :func:`release` frees it (clean shutdown); :func:`read_lease` and :func:`lease_changes`
  are for watchdogs, the CLI and tests (state, not log lines).

All SQL of the lease lives here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlmodel import Field, SQLModel

from anchor.store.tx_models import as_utc

if TYPE_CHECKING:
    from anchor.store.db import Database

ANCHORER_LEASE = "anchorer"
CHANGES_KEPT = timedelta(days=7)  # lease_changes older than this are pruned on acquisition

_Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _ts(nullable: bool = False) -> sa.Column[datetime]:
    return sa.Column(sa.DateTime(timezone=True), nullable=nullable)


class LeaseRow(SQLModel, table=True):
    """The table behind :class:`Lease` (created by migration 0006)."""

    __tablename__ = "leases"

    name: str = Field(sa_column=sa.Column(sa.String(64), primary_key=True))
    holder: str | None = Field(default=None, sa_column=sa.Column(sa.String(255), nullable=True))
    epoch: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))
    acquired_at: datetime | None = Field(default=None, sa_column=_ts(True))
    renewed_at: datetime | None = Field(default=None, sa_column=_ts(True))
    expires_at: datetime = Field(sa_column=_ts())


class LeaseChangeRow(SQLModel, table=True):
    """One acquisition: a new epoch and its holder (created by migration 0006)."""

    __tablename__ = "lease_changes"
    __table_args__ = (
        sa.UniqueConstraint("name", "epoch", name="uq_lease_changes_name_epoch"),
        sa.Index("ix_lease_changes_name_changed_at", "name", "changed_at"),
    )

    id: int | None = Field(
        default=None, sa_column=sa.Column(_Id, primary_key=True, autoincrement=True)
    )
    name: str = Field(sa_column=sa.Column(sa.String(64), nullable=False))
    epoch: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))
    holder: str = Field(sa_column=sa.Column(sa.String(255), nullable=False))
    changed_at: datetime = Field(sa_column=_ts())


def holder_pid(holder: str | None) -> int | None:
    """The pid in a ``host:pid:random`` holder id."""
    if not holder:
        return None
    parts = holder.rsplit(":", 2)
    try:
        return int(parts[-2]) if len(parts) == 3 else None
    except ValueError:
        return None


@dataclass(frozen=True)
class Lease:
    """A lease row as read, with the database's clock at the time of reading."""

    name: str
    holder: str | None
    epoch: int
    acquired_at: datetime | None
    renewed_at: datetime | None
    expires_at: datetime
    db_now: datetime

    @property
    def expired(self) -> bool:
        return self.holder is None or self.expires_at <= self.db_now

    @property
    def current_holder(self) -> str | None:
        """The holder while the lease is live, else None."""
        return None if self.expired else self.holder

    @property
    def pid(self) -> int | None:
        """The pid of the live holder (None when free or expired)."""
        return holder_pid(self.current_holder)

    @property
    def remaining(self) -> float:
        """Seconds left (database clock); <= 0 when expired."""
        return 0.0 if self.holder is None else (self.expires_at - self.db_now).total_seconds()


@dataclass(frozen=True)
class LeaseChange:
    epoch: int
    holder: str
    changed_at: datetime

    @property
    def pid(self) -> int | None:
        return holder_pid(self.holder)


# --------------------------------------------------------------------------------------------
# the database's clock, per dialect


def _now(conn: Connection, offset_param: str | None = None) -> str:
    """SQL for the database's current time, plus ``:offset_param`` seconds when given."""
    if conn.dialect.name == "postgresql":
        if offset_param is None:
            return "clock_timestamp()"
        return f"(clock_timestamp() + make_interval(secs => CAST(:{offset_param} AS double precision)))"
    if offset_param is None:
        return "strftime('%Y-%m-%d %H:%M:%f', 'now')"
    # SQLite modifier text: '+15.0 seconds'; built by _offset() below
    return f"strftime('%Y-%m-%d %H:%M:%f', 'now', :{offset_param})"


def _offset(conn: Connection, seconds: float) -> Any:
    """The bound value for an offset placeholder of :func:`_now`."""
    if conn.dialect.name == "postgresql":
        return float(seconds)
    return f"{float(seconds):+.3f} seconds"


_LEASE_COLUMNS: dict[str, sa.types.TypeEngine[Any]] = {
    "name": sa.String(),
    "holder": sa.String(),
    "epoch": sa.BigInteger(),
    "acquired_at": sa.DateTime(timezone=True),
    "renewed_at": sa.DateTime(timezone=True),
    "expires_at": sa.DateTime(timezone=True),
    "db_now": sa.DateTime(timezone=True),
}


def _read(conn: Connection, name: str) -> Lease | None:
    query = sa.text(
        "SELECT name, holder, epoch, acquired_at, renewed_at, expires_at, "
        f"{_now(conn)} AS db_now FROM leases WHERE name = :name"
    ).columns(**_LEASE_COLUMNS)
    row = conn.execute(query, {"name": name}).mappings().first()
    if row is None:
        return None
    expires, now = as_utc(row["expires_at"]), as_utc(row["db_now"])
    assert expires is not None and now is not None
    return Lease(
        name=str(row["name"]),
        holder=row["holder"],
        epoch=int(row["epoch"]),
        acquired_at=as_utc(row["acquired_at"]),
        renewed_at=as_utc(row["renewed_at"]),
        expires_at=expires,
        db_now=now,
    )


# --------------------------------------------------------------------------------------------
# the repository


def read_lease(db: Database, name: str = ANCHORER_LEASE) -> Lease | None:
    """The lease row (None before anyone ever tried to take it)."""
    with db.connect(write=False) as conn:
        return _read(conn, name)


def acquire(
    db: Database, holder: str, lease_seconds: float, name: str = ANCHORER_LEASE
) -> Lease | None:
    """Take the lease when it is free or expired: a new epoch, held by ``holder`` for
    ``lease_seconds`` of database time. None when someone else holds it."""
    with db.connect(write=True) as conn:
        conn.execute(
            sa.text(
                "INSERT INTO leases (name, holder, epoch, expires_at) "
                f"VALUES (:name, NULL, 0, {_now(conn)}) ON CONFLICT (name) DO NOTHING"
            ),
            {"name": name},
        )
        taken = conn.execute(
            sa.text(
                f"UPDATE leases SET holder = :holder, epoch = epoch + 1, "
                f"acquired_at = {_now(conn)}, renewed_at = {_now(conn)}, "
                f"expires_at = {_now(conn, 'lease')} "
                f"WHERE name = :name AND (holder IS NULL OR expires_at <= {_now(conn)})"
            ),
            {"name": name, "holder": holder, "lease": _offset(conn, lease_seconds)},
        )
        if taken.rowcount != 1:
            return None
        lease = _read(conn, name)
        assert lease is not None and lease.holder == holder
        conn.execute(
            sa.text(
                "INSERT INTO lease_changes (name, epoch, holder, changed_at) "
                f"VALUES (:name, :epoch, :holder, {_now(conn)})"
            ),
            {"name": name, "epoch": lease.epoch, "holder": holder},
        )
        conn.execute(
            sa.text(
                f"DELETE FROM lease_changes WHERE name = :name AND changed_at < {_now(conn, 'keep')}"
            ),
            {"name": name, "keep": _offset(conn, -CHANGES_KEPT.total_seconds())},
        )
        return lease


def renew(
    db: Database, holder: str, epoch: int, lease_seconds: float, name: str = ANCHORER_LEASE
) -> Lease | None:
    """Extend the lease by ``lease_seconds`` from now while ``holder`` still has ``epoch``
    (even if it lapsed meanwhile: nobody else took it). None when it was lost."""
    with db.connect(write=True) as conn:
        done = conn.execute(
            sa.text(
                f"UPDATE leases SET renewed_at = {_now(conn)}, expires_at = {_now(conn, 'lease')} "
                "WHERE name = :name AND holder = :holder AND epoch = :epoch"
            ),
            {"name": name, "holder": holder, "epoch": epoch, "lease": _offset(conn, lease_seconds)},
        )
        return _read(conn, name) if done.rowcount == 1 else None


def holds(
    db: Database, holder: str, epoch: int, margin_seconds: float, name: str = ANCHORER_LEASE
) -> bool:
    """The fence: ``holder`` has the lease at ``epoch`` and it does not expire within
    ``margin_seconds`` (database clock)."""
    with db.connect(write=False) as conn:
        found = conn.execute(
            sa.text(
                "SELECT COUNT(*) FROM leases WHERE name = :name AND holder = :holder "
                f"AND epoch = :epoch AND expires_at > {_now(conn, 'margin')}"
            ),
            {
                "name": name,
                "holder": holder,
                "epoch": epoch,
                "margin": _offset(conn, margin_seconds),
            },
        ).scalar()
    return bool(found)


def release(db: Database, holder: str, epoch: int, name: str = ANCHORER_LEASE) -> bool:
    """Give the lease up (clean shutdown): free at once for the next acquirer."""
    with db.connect(write=True) as conn:
        done = conn.execute(
            sa.text(
                f"UPDATE leases SET holder = NULL, expires_at = {_now(conn)} "
                "WHERE name = :name AND holder = :holder AND epoch = :epoch"
            ),
            {"name": name, "holder": holder, "epoch": epoch},
        )
        return done.rowcount == 1


def lease_changes(
    db: Database, within_seconds: float | None = None, name: str = ANCHORER_LEASE
) -> list[LeaseChange]:
    """Acquisitions of the lease, oldest first (only those of the last ``within_seconds`` of
    database time when given)."""
    with db.connect(write=False) as conn:
        sql = "SELECT epoch, holder, changed_at FROM lease_changes WHERE name = :name"
        params: dict[str, Any] = {"name": name}
        if within_seconds is not None:
            sql += f" AND changed_at > {_now(conn, 'window')}"
            params["window"] = _offset(conn, -within_seconds)
        query = sa.text(sql + " ORDER BY epoch").columns(
            epoch=sa.BigInteger(), holder=sa.String(), changed_at=sa.DateTime(timezone=True)
        )
        rows = conn.execute(query, params).mappings().all()
    return [
        LeaseChange(
            epoch=int(r["epoch"]), holder=str(r["holder"]), changed_at=_utc(r["changed_at"])
        )
        for r in rows
    ]


def _utc(value: datetime | None) -> datetime:
    found = as_utc(value)
    assert found is not None
    return found


__all__ = [
    "ANCHORER_LEASE",
    "Lease",
    "LeaseChange",
    "LeaseChangeRow",
    "LeaseRow",
    "acquire",
    "holder_pid",
    "holds",
    "lease_changes",
    "read_lease",
    "release",
    "renew",
]
