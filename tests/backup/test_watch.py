"""Backups never fail silently: target states logged once per change, alarms raised when a
final batch is not on enough targets in time (and resolved when caught up), the same
verdict in ``anchor backup status`` and ``GET /readyz``."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from anchor.api.app import create_app
from anchor.backup.jobs import run_backups
from anchor.backup.watch import backup_health
from anchor.chain.alarms import open_alarms
from anchor.config import Config
from anchor.store.backup_status import (
    ALARM_BACKUP_BEHIND,
    ALARM_BACKUP_MISMATCH,
    ALARM_BACKUP_UNREACHABLE,
)
from tests.api.server import serve
from tests.backup.helpers import exec_sql, fill


def _config(*roots: Path, **extra: Any) -> Config:
    values: dict[str, Any] = {
        "backup_targets": tuple(str(r) for r in roots),
        "backup_alarm_seconds": 60.0,
        "backup_plaintext": True,
        "chain_id": 31337,
        "contract_address": "0x" + "12" * 20,
    }
    values.update(extra)
    return Config(**values)


def _final(db: Any, batch_id: int, *, ago: float) -> None:
    exec_sql(
        db,
        "UPDATE batches SET state = 'final', final_at = :at WHERE id = :id",
        at=datetime.now(UTC) - timedelta(seconds=ago),
        id=batch_id,
    )


def _open_kinds(db: Any) -> set[str]:
    return {a.kind for a in open_alarms(db)}


def test_a_target_down_is_logged_once_alarmed_when_late_and_resolved_when_caught_up(
    db: Any, two_targets: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    a, b = two_targets
    cfg = _config(a.root, b.root)
    fill(db, [6])
    away = tmp_path / "unmounted"
    b.root.rename(away)
    caplog.set_level(logging.DEBUG, logger="anchor.backup")
    for _ in range(5):
        run_backups(db, cfg)
    down = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(down) == 1 and "unavailable" in down[0].getMessage(), down
    # sealed, not final yet: nothing to alarm about
    assert not _open_kinds(db) & {ALARM_BACKUP_UNREACHABLE, ALARM_BACKUP_BEHIND}
    _final(db, 1, ago=30)  # final, but within the delay
    run_backups(db, cfg)
    assert ALARM_BACKUP_UNREACHABLE not in _open_kinds(db)
    _final(db, 1, ago=120)  # final for longer than the delay, still on one target of two
    run_backups(db, cfg)
    run_backups(db, cfg)
    assert ALARM_BACKUP_UNREACHABLE in _open_kinds(db)
    (alarm,) = [x for x in open_alarms(db) if x.kind == ALARM_BACKUP_UNREACHABLE]
    assert b.name in alarm.message and alarm.count == 2
    health = backup_health(db, cfg)
    assert not health.ok and health.late.batch_ids == (1,)
    (tb,) = [t for t in health.targets if t.target == b.name]
    assert tb.state == "unavailable" and tb.behind_final == 1 and tb.lag_seconds >= 120
    assert tb.last_error and "not there" in tb.last_error
    # one target of two is enough when configured so
    assert backup_health(db, _config(a.root, b.root, backup_min_targets=1)).ok
    caplog.clear()
    away.rename(b.root)
    run_backups(db, cfg)
    run_backups(db, cfg)
    assert not _open_kinds(db) & {ALARM_BACKUP_UNREACHABLE, ALARM_BACKUP_BEHIND}
    back = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert any("ok again" in m for m in back) and any("resolved" in m for m in back)
    assert sum("ok again" in m for m in back) == 1
    health = backup_health(db, cfg)
    assert health.ok and all(t.behind == 0 and t.state == "ok" for t in health.targets)
    (tb,) = [t for t in health.targets if t.target == b.name]
    assert tb.last_batch == 1 and tb.last_error  # the last error stays on record


def test_a_new_empty_target_is_behind_and_a_tampered_batch_alarms_at_once(
    db: Any, two_targets: Any, tmp_path: Path
) -> None:
    a, b = two_targets
    fill(db, [5, 5])
    run_backups(db, _config(a.root))
    _final(db, 1, ago=600)
    assert backup_health(db, _config(a.root)).ok
    # a second target added to the configuration: behind by one final batch until a run
    health = backup_health(db, _config(a.root, b.root))
    (tb,) = [t for t in health.targets if t.target == b.name]
    assert not health.ok and tb.state == "unknown" and tb.behind_final == 1 and tb.behind == 2
    # batch 2 altered in the database after sealing: never backed up, alarm at once
    exec_sql(
        db,
        "UPDATE records SET canonical = replace(canonical, '\"USDT\"', '\"USDC\"') WHERE seq = 7",
    )
    report = run_backups(db, _config(a.root, b.root))
    assert [f.kind for f in report.failures] == ["mismatch"]
    kinds = _open_kinds(db)
    assert ALARM_BACKUP_MISMATCH in kinds and ALARM_BACKUP_BEHIND not in kinds
    assert backup_health(db, _config(a.root, b.root)).ok  # batch 1 caught up on both


def test_backup_status_command_and_readyz(sqlite_url: str, tmp_path: Path) -> None:
    from anchor.store.db import Database

    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    cfg = _config(a, b)
    config_file = tmp_path / "anchor.toml"
    config_file.write_text(
        f'database_url = "{sqlite_url}"\nbackup_targets = ["{a}", "{b}"]\n'
        "backup_alarm_seconds = 60\nbackup_plaintext = true\n",
        encoding="utf-8",
    )

    def status() -> tuple[int, dict[str, Any]]:
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "anchor.cli",
                "backup",
                "status",
                "-c",
                str(config_file),
                "--json",
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode in (0, 1), done.stderr
        return done.returncode, json.loads(done.stdout)

    with Database.open(sqlite_url) as db:
        fill(db, [4])
        run_backups(db, cfg)  # b is not there
        _final(db, 1, ago=300)
        app = create_app(cfg, db)
        with serve(app) as url:
            assert httpx.get(f"{url}/healthz").status_code == 200  # liveness only
            r = httpx.get(f"{url}/readyz")
            assert r.status_code == 503
            assert r.headers["content-type"].startswith("application/problem+json")
            assert "backups lag" in r.json()["detail"] and r.json()["checks"] == ["backups"]
            assert str(b) not in r.text  # target names are not disclosed
            code, js = status()
            assert code == 1 and js["late_batch_ids"] == [1]
            by = {t["target"]: t for t in js["targets"]}
            assert by[str(b)]["state"] == "unavailable" and by[str(b)]["behind_final"] == 1
            assert by[str(a)]["last_batch"] == 1 and by[str(a)]["lag_seconds"] == 0
            b.mkdir()
            run_backups(db, cfg)
            r = httpx.get(f"{url}/readyz")
            assert r.status_code == 200 and r.json()["backups"] == "ok"
            code, js = status()
            assert code == 0 and all(t["state"] == "ok" for t in js["targets"])
