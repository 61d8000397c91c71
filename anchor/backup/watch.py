"""Backups never fail silently: per-target state, alarms, and the health others read.

After every backup run (:func:`anchor.backup.jobs.run_backups`) :func:`observe`:

* records each target's state (``ok`` / ``unavailable`` / ``conflict``) in the database when
  it CHANGES, and logs one line per change (a target that stays down for a day is one
  warning, and one "back" line when it returns — not one line per tick);
* raises an alarm when a final batch has been final for longer than
  ``backup_alarm_seconds`` and its bundle is on fewer than ``backup_min_targets`` targets
  (default: all configured), of the kind that says why: ``backup_target_unreachable`` (a
  target lacking it is down), ``backup_bundle_mismatch`` (the database no longer rebuilds
  the sealed root, or a target holds other bytes under the bundle's name: raised at once,
  whatever the delay) or ``backup_target_behind`` (the target is up but has not caught up);
* resolves each of those kinds once nothing calls for it any more.

:func:`backup_health` computes the same verdict from the database alone, so ``/readyz``,
``/metrics`` and ``anchor backup status`` agree whichever process asks.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from anchor.core.json_fields import json_fields
from anchor.store.alarms import sync_alarms
from anchor.store.backup_status import (
    ALARM_BACKUP_BEHIND,
    ALARM_BACKUP_KINDS,
    ALARM_BACKUP_MISMATCH,
    ALARM_BACKUP_UNREACHABLE,
    STATE_CONFLICT,
    STATE_OK,
    STATE_UNAVAILABLE,
    LateBatches,
    TargetCoverage,
    late_batches,
    set_target_state,
    target_coverage,
    target_states,
)

if TYPE_CHECKING:
    from anchor.backup.jobs import BackupReport
    from anchor.config import Config
    from anchor.store.db import Database

__all__ = ["BackupHealth", "TargetHealth", "backup_health", "observe", "target_names"]

log = logging.getLogger("anchor.backup")


@dataclass(frozen=True)
class TargetHealth:
    """One target: what it holds, what it lacks, its state and last error."""

    target: str
    state: str  # ok | unavailable | conflict | unknown (never seen by the backup job)
    last_batch: int | None
    bundles: int
    behind: int  # sealed batches not on it
    behind_final: int  # final batches not on it
    lag_seconds: float  # how long the oldest final batch it lacks has been final
    last_error: str | None
    last_error_at: datetime | None
    since: datetime | None  # when the state last changed

    def to_json(self) -> dict[str, Any]:
        def iso(v: datetime | None) -> str | None:
            return v.isoformat() if v is not None else None

        return {
            "target": self.target,
            "state": self.state,
            "last_batch": self.last_batch,
            "bundles": self.bundles,
            "behind": self.behind,
            "behind_final": self.behind_final,
            "lag_seconds": round(self.lag_seconds, 3),
            "last_error": self.last_error,
            "last_error_at": iso(self.last_error_at),
            "since": iso(self.since),
        }


@dataclass(frozen=True)
class BackupHealth:
    """The verdict: ``late`` final batches are on fewer than ``minimum`` targets for longer
    than ``alarm_seconds``."""

    targets: tuple[TargetHealth, ...]
    minimum: int
    alarm_seconds: float
    late: LateBatches

    @property
    def ok(self) -> bool:
        return self.late.count == 0

    @property
    def reason(self) -> str | None:
        if self.ok:
            return None
        ids = ", ".join(str(b) for b in self.late.batch_ids[:5])
        more = "…" if self.late.count > 5 else ""
        return (
            f"{self.late.count} final batch(es) on fewer than {self.minimum} backup target(s)"
            f" for more than {self.alarm_seconds:g} s (batches {ids}{more})"
        )

    def to_json(self) -> dict[str, Any]:
        late = {"late_batches": "late.count", "late_batch_ids": "late.batch_ids"}
        keys = "ok reason min_targets alarm_seconds late_batches late_batch_ids targets"
        return json_fields(self, keys, rename={"min_targets": "minimum", **late})


def target_names(config: Config) -> list[str]:
    """The configured targets' names (as the backup job records them)."""
    from anchor.backup.targets import open_target

    return [open_target(spec).name for spec in config.backup_targets]


def _minimum(config: Config, n_targets: int) -> int:
    wanted = config.backup_min_targets
    if wanted is None:
        return n_targets
    return max(0, min(int(wanted), n_targets))


def backup_health(
    db: Database, config: Config, *, names: Sequence[str] | None = None, now: datetime | None = None
) -> BackupHealth:
    """Backup health from the database alone (no target is touched)."""
    names = list(names) if names is not None else target_names(config)
    now = now or datetime.now(UTC)
    minimum = _minimum(config, len(names))
    delay = float(config.backup_alarm_seconds)
    coverage = target_coverage(db, names)
    states = target_states(db)
    out = []
    for c in coverage:
        st = states.get(c.target)
        out.append(_health(c, st, now))
    late = late_batches(db, names, minimum=minimum, final_before=now - timedelta(seconds=delay))
    return BackupHealth(tuple(out), minimum, delay, late)


def _health(c: TargetCoverage, st: Any, now: datetime) -> TargetHealth:
    lag = (now - c.oldest_missing_final_at).total_seconds() if c.oldest_missing_final_at else 0.0
    return TargetHealth(
        target=c.target,
        state=st.state if st is not None else "unknown",
        last_batch=c.last_batch,
        bundles=c.bundles,
        behind=c.missing,
        behind_final=c.missing_final,
        lag_seconds=max(0.0, lag),
        last_error=st.last_error if st is not None else None,
        last_error_at=st.last_error_at if st is not None else None,
        since=st.changed_at if st is not None else None,
    )


def _record_states(db: Database, report: BackupReport) -> dict[str, str]:
    """Each target's state after this run; written (and logged) only when it changed."""
    seen = target_states(db)
    now_state: dict[str, tuple[str, str | None]] = {t: (STATE_OK, None) for t in report.targets}
    for f in report.failures:
        if f.target is None:
            continue
        state = STATE_UNAVAILABLE if f.kind == "unavailable" else STATE_CONFLICT
        if now_state[f.target][0] != STATE_UNAVAILABLE:  # down trumps a conflict
            now_state[f.target] = (state, f.problem)
    for target, (state, error) in now_state.items():
        before = seen.get(target)
        if before is not None and before.state == state:
            continue
        set_target_state(db, target, state, error)
        if state == STATE_OK:
            if before is not None:
                log.warning("backup target %s: ok again (was %s)", target, before.state)
        elif state == STATE_UNAVAILABLE:
            log.warning("backup target %s: unavailable: %s", target, error)
        else:
            log.error("backup target %s: conflict: %s", target, error)
    return {t: s for t, (s, _e) in now_state.items()}


def observe(db: Database, config: Config, report: BackupReport) -> BackupHealth:
    """After a backup run: record target states, raise and resolve the backup alarms."""
    states = _record_states(db, report)
    health = backup_health(db, config, names=report.targets)
    mismatched = sorted(
        {f.batch_id for f in report.failures if f.kind == "mismatch" and f.batch_id}
    )
    conflicts = sorted(t for t, s in states.items() if s == STATE_CONFLICT)
    wanted: dict[str, str] = {}
    if mismatched or conflicts:
        parts = []
        if mismatched:
            parts.append(
                f"batches {mismatched[:10]} no longer rebuild their sealed root from the"
                " database: not backed up"
            )
        if conflicts:
            parts.append(f"targets {conflicts} hold other bytes under a bundle's name")
        wanted[ALARM_BACKUP_MISMATCH] = "; ".join(parts)
    if not health.ok:
        lacking = [t for t in health.targets if t.behind_final]
        down = [t.target for t in lacking if states.get(t.target) == STATE_UNAVAILABLE]
        behind = [
            f"{t.target} behind by {t.behind_final} final batch(es)"
            for t in lacking
            if states.get(t.target) == STATE_OK
        ]
        if down:
            wanted[ALARM_BACKUP_UNREACHABLE] = f"{health.reason}; unreachable: {', '.join(down)}"
        if behind or not down:
            wanted[ALARM_BACKUP_BEHIND] = f"{health.reason}; {'; '.join(behind) or 'behind'}"
    sync_alarms(db, ALARM_BACKUP_KINDS, wanted)  # no write transaction when nothing changes
    return health
