"""Directory targets: atomic, write-once, read back; a missing target is 'unavailable'."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from anchor.backup.targets import (
    DirectoryTarget,
    ObjectMissing,
    TargetConflict,
    TargetUnavailable,
    open_target,
)
from anchor.errors import ConfigError, StorageError


def test_put_is_write_once(tmp_path: Path) -> None:
    t = DirectoryTarget(tmp_path)
    key = "batches/000000000001/" + "aa" * 32 + ".bundle"
    assert t.put(key, b"hello") == "written"
    path = tmp_path / key
    assert path.read_bytes() == b"hello"
    assert not stat.S_IMODE(path.stat().st_mode) & 0o222  # read-only
    assert t.put(key, b"hello") == "exists"  # the same bytes again: a no-op
    with pytest.raises(TargetConflict):
        t.put(key, b"other")
    assert path.read_bytes() == b"hello"  # never overwritten
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temp file left
    assert t.list("batches") == [key]
    assert t.get(key) == b"hello"
    with pytest.raises(ObjectMissing):
        t.get("batches/000000000001/" + "bb" * 32 + ".bundle")


def test_missing_directory_is_unavailable_and_not_created(tmp_path: Path) -> None:
    t = DirectoryTarget(tmp_path / "not-mounted")
    with pytest.raises(TargetUnavailable):
        t.check()
    with pytest.raises(TargetUnavailable):
        t.put("batches/000000000001/x.bundle", b"x")
    assert not (tmp_path / "not-mounted").exists()


def test_bad_keys_and_specs(tmp_path: Path) -> None:
    t = DirectoryTarget(tmp_path)
    for key in ("../escape", "/abs", "a//b", ""):
        with pytest.raises(StorageError):
            t.put(key, b"x")
    assert isinstance(open_target(str(tmp_path)), DirectoryTarget)
    with pytest.raises(ConfigError):
        open_target("ftp://host/x")
    with pytest.raises(ConfigError):
        open_target("s3://bucket/p?colour=red")


def test_interrupted_put_leaves_no_visible_object(tmp_path: Path) -> None:
    t = DirectoryTarget(tmp_path)
    d = tmp_path / "batches" / "000000000001"
    d.mkdir(parents=True)
    # what a crash between write and link leaves behind: a hidden temp file
    (d / (".%s.bundle.0123.tmp" % ("aa" * 32))).write_bytes(b"partial")
    assert t.list("batches") == []
    os.sync()


def test_commands_module_imports_nothing_heavy() -> None:
    import subprocess
    import sys

    code = (
        "import sys, anchor.cli.backup as c, typer; c.register(typer.Typer());"
        "heavy = {'sqlmodel', 'sqlalchemy', 'web3', 'boto3', 'orjson'} & set(sys.modules);"
        "print(sorted(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
