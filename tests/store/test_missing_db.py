"""No command silently invents an empty database: every command that reads (or adds to)
the store refuses a database that is not there, naming it, with exit 2; only ``anchor db
init`` (and serve / demo) create one."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from anchor.cli import app
from anchor.errors import AnchorError
from tests.fixtures.paths import ROOT

ADDRESS = "0x" + "11" * 20


def _commands(tmp_path: Path) -> list[list[str]]:
    """Every command that opens the store, with what it needs to get that far."""
    records = tmp_path / "in.ndjson"
    records.write_text("")
    target = tmp_path / "target"
    target.mkdir(exist_ok=True)
    chain = ["--rpc", "http://127.0.0.1:9", "--contract", ADDRESS]
    return [
        ["batches"],
        ["alarms"],
        ["seal"],
        ["anchor-now", "--wait", "none"],
        ["ingest", str(records)],
        ["prove", "some-record", "-o", str(tmp_path / "p.json")],
        ["anchors", "export", "--csv", *chain],
        ["accounts", "token", "alice"],
        ["accounts", "link", "alice", "none"],
        ["backup", "run", "--target", str(target)],
        ["reconcile", "--target", str(target), *chain],
        ["db", "info"],
        ["db", "migrate"],
    ]


def _run(args: list[str], url: str) -> tuple[int, str]:
    """As ``anchor.cli.main`` runs it: a project error is one line and its exit code."""
    env = {"ANCHOR_DATABASE_URL": url, "ANCHOR_CONFIG": ""}
    res = CliRunner().invoke(app, args, env=env)
    if isinstance(res.exception, AnchorError):
        return res.exception.exit_code, f"error: {res.exception.diagnostics()}"
    return res.exit_code, res.output


def test_a_missing_sqlite_file_is_named_never_created(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "anchor.sqlite"
    url = f"sqlite:///{missing}"
    for args in _commands(tmp_path):
        code, out = _run(args, url)
        assert code == 2, (args, out)
        assert f"no database at {missing} (the file does not exist)" in out, (args, out)
        assert "anchor db init" in out and "ANCHOR_DATABASE_URL" in out, out
        assert not missing.exists() and not missing.parent.exists(), args
    # the same through the console script: one line on stderr, exit 2
    env = {**os.environ, "PYTHONPATH": str(ROOT), "ANCHOR_DATABASE_URL": url}
    env.pop("ANCHOR_CONFIG", None)
    done = subprocess.run(
        [sys.executable, "-m", "anchor.cli", "batches"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2 and done.stdout == "", done
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("error: no database at ")
    # db init creates it; then the same commands work on it
    init = _run(["db", "init"], url)
    assert init[0] == 0 and "initialised" in init[1] and "schema version" in init[1], init
    assert missing.is_file()
    again = _run(["db", "init"], url)
    assert again[0] == 0 and "already initialised" in again[1], again
    code, out = _run(["batches", "--json"], url)
    assert code == 0 and out == "", out
    code, out = _run(["alarms"], url)
    assert code == 0 and "no open alarms" in out, out


def test_the_default_database_names_where_its_url_came_from(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ANCHOR_DATABASE_URL", raising=False)
    monkeypatch.delenv("ANCHOR_CONFIG", raising=False)
    res = CliRunner().invoke(app, ["batches"])
    assert isinstance(res.exception, AnchorError) and res.exception.exit_code == 2
    text = res.exception.diagnostics()
    assert str(tmp_path / ".anchor" / "anchor.sqlite") in text
    assert "the default" in text and "ANCHOR_CONFIG" in text, text
    assert not (tmp_path / ".anchor").exists()


def test_a_database_without_the_schema_is_refused(db_url: str, tmp_path: Path) -> None:
    """An existing but empty SQLite file, or a PostgreSQL database with no tables."""
    if db_url.startswith("sqlite"):
        Path(db_url.removeprefix("sqlite:///")).write_bytes(b"")
    for args in _commands(tmp_path):
        code, out = _run(args, db_url)
        if args[0] == "db":  # they work on an unmigrated database: that is their job
            assert code == 0, (args, out)
            continue
        assert code == 2, (args, out)
        assert "it holds no ledger-anchor tables" in out, (args, out)
        assert "anchor db init" in out, out
    code, out = _run(["db", "init"], db_url)
    assert code == 0 and "already initialised" in out, out  # db migrate above made the schema
    code, out = _run(["batches", "--json"], db_url)
    assert code == 0, out
