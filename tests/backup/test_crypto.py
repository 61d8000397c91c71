"""Encrypted bundles (ledger-anchor-backup/2): nothing readable leaves the process, anyone
checks integrity by the name, only the key decrypts, rotation keeps old bundles readable,
and a missing or wrong key is a one-line error (exit 2) that changes nothing."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import zlib
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from anchor.backup.bundle import BundleFormatError, content_name, decode_bundle, rebuild
from anchor.backup.crypto import (
    BackupKeyError,
    is_envelope,
    open_bundle,
    parse_keys,
    read_header,
)
from anchor.backup.jobs import run_backups
from anchor.backup.restore import restore
from anchor.backup.verify import verify_targets
from anchor.config import Config
from anchor.store.db import Database
from tests.backup.helpers import anchor, bundle_files, fill, view

K1 = base64.b64encode(bytes(range(32))).decode()
K2 = base64.b64encode(bytes(range(100, 132))).decode()
WRONG = base64.b64encode(b"\x07" * 32).decode()


def _config(*roots: Path, keys: str | None, **extra: Any) -> tuple[Config, dict[str, str]]:
    env = {"TEST_BACKUP_KEYS": keys} if keys else {}
    cfg = Config(
        backup_targets=tuple(str(r) for r in roots),
        backup_keys_env="TEST_BACKUP_KEYS",
        chain_id=31337,
        contract_address="0x" + "12" * 20,
        **extra,
    )
    return cfg, env


def test_keys_are_parsed_strictly_and_never_shown() -> None:
    keys = parse_keys(f"k2:{K2}, k1:{K1}\n# old\n", source="test")
    assert keys.current == "k2" and set(keys.keys) == {"k1", "k2"}
    assert K1 not in repr(keys) and K2 not in repr(keys)
    for bad, why in (
        ("k1", "keyid:base64key"),
        (f"k1:{K1[:-4]}", "32 bytes"),
        ("k1:!!!!", "not base64"),
        (f"k1:{K1},k1:{K2}", "twice"),
        (f"bad id:{K1}", "keyid:base64key"),
        ("", "no key"),
    ):
        with pytest.raises(BackupKeyError, match=why) as info:
            parse_keys(bad, source="test")
        assert K1 not in str(info.value) and K1[:-4] not in str(info.value)


def test_no_key_and_no_opt_out_writes_nothing(db: Any, two_targets: Any) -> None:
    a, b = two_targets
    fill(db, [3])
    cfg, _env = _config(a.root, b.root, keys=None)
    with pytest.raises(BackupKeyError, match="backup_plaintext = true"):
        run_backups(db, cfg)
    assert not bundle_files(a.root) and not bundle_files(b.root)


def test_bundles_are_encrypted_named_by_their_ciphertext_and_rotate(
    db: Any, two_targets: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b = two_targets
    batches = fill(db, [12, 5])
    cfg, env = _config(a.root, b.root, keys=f"k1:{K1}")
    monkeypatch.setenv("TEST_BACKUP_KEYS", env["TEST_BACKUP_KEYS"])
    assert run_backups(db, cfg).ok
    with db.connect(write=False) as conn:
        salts = [bytes(r[0]) for r in conn.execute(sa.text("SELECT salt FROM accounts"))]
    for f in bundle_files(a.root):
        data = f.read_bytes()
        assert f.name == content_name(data) + ".bundle"  # integrity without the key
        assert is_envelope(data) and read_header(data).key_id == "k1"
        assert b"acct-" not in data and not any(s in data for s in salts)
        assert b"acct-" not in data[:200] and data[:2] != b"\x1f\x8b"
        with pytest.raises(zlib.error):
            zlib.decompress(data[read_header(data).length :], 31)
    # the same batch under the same key gives the same bytes: a second run writes nothing
    assert run_backups(db, cfg).written == ()
    assert sorted(p.name for p in bundle_files(a.root)) == sorted(
        p.name for p in bundle_files(b.root)
    )
    # rotation: k2 first encrypts the new batches, k1 still opens the old ones
    fill(db, [4], start=17)
    rotated = f"k2:{K2},k1:{K1}"
    monkeypatch.setenv("TEST_BACKUP_KEYS", rotated)
    assert run_backups(db, cfg).ok
    by_batch = {int(p.parent.name): p.read_bytes() for p in bundle_files(a.root)}
    assert [read_header(by_batch[i]).key_id for i in (1, 2, 3)] == ["k1", "k1", "k2"]
    keys = parse_keys(rotated, source="test")
    for i, batch in zip((1, 2), batches, strict=True):
        assert rebuild(decode_bundle(open_bundle(by_batch[i], keys))).root == batch.root
    # without k1, or with another key under its id: a key error, not "unreadable"
    with pytest.raises(BackupKeyError, match="'k1', which is not among"):
        open_bundle(by_batch[1], parse_keys(f"k2:{K2}", source="test"))
    with pytest.raises(BackupKeyError, match="cannot decrypt"):
        open_bundle(by_batch[1], parse_keys(f"k1:{WRONG}", source="test"))
    with pytest.raises(BackupKeyError, match="no backup key is configured"):
        open_bundle(by_batch[1], None)
    # the header is authenticated: another batch id in it does not decrypt
    forged = by_batch[1].replace(b'"batch_id":1,', b'"batch_id":2,', 1)
    with pytest.raises(BundleFormatError, match="altered"):
        open_bundle(forged, keys)


@pytest.mark.chain
def test_restore_verify_and_reconcile_need_the_right_key(
    deployed_registry: Any, two_targets: Any, make_db_url: Any, tmp_path: Path
) -> None:
    reg = deployed_registry
    a, b = two_targets
    live_url = make_db_url("sqlite")
    with Database.open(live_url) as live:
        # an old plaintext v1 bundle (batch 1), then encrypted ones under k1 and k2
        batches = fill(live, [9])
        cfg_plain, _ = _config(a.root, b.root, keys=None, backup_plaintext=True)
        assert run_backups(live, cfg_plain).ok
        batches += fill(live, [7], start=9)
        cfg, env = _config(a.root, b.root, keys=f"k1:{K1}")
        os.environ["TEST_BACKUP_KEYS"] = env["TEST_BACKUP_KEYS"]
        try:
            assert run_backups(live, cfg).ok
            batches += fill(live, [5], start=16)
            os.environ["TEST_BACKUP_KEYS"] = f"k2:{K2},k1:{K1}"
            assert run_backups(live, cfg).ok
        finally:
            os.environ.pop("TEST_BACKUP_KEYS", None)
        anchor(reg, live, batches)
    keys = parse_keys(f"k2:{K2},k1:{K1}", source="test")
    report = verify_targets([a, b], view(reg), keys=keys)
    assert report.ok, report.failures()
    with Database.open(make_db_url("sqlite")) as fresh:
        done = restore(fresh, [a], view(reg), keys=keys)
        assert done.batches == (1, 2, 3) and done.records == 21

    base_env = {k: v for k, v in os.environ.items() if not k.startswith(("ANCHOR_", "TEST_BACKUP"))}
    base_env.update(
        ANCHOR_RPC_URL=reg.rpc_url,
        ANCHOR_CHAIN_ID=str(reg.chain_id),
        ANCHOR_CONTRACT_ADDRESS=reg.address,
        ANCHOR_BACKUP_TARGETS=f"{a.root},{b.root}",
        ANCHOR_DATABASE_URL=live_url,
    )
    empty_url = make_db_url("sqlite")

    def cli(*args: str, keys_value: str | None) -> subprocess.CompletedProcess[str]:
        env = dict(base_env)
        if keys_value is not None:
            env["ANCHOR_BACKUP_KEYS"] = keys_value
        return subprocess.run(
            [sys.executable, "-m", "anchor.cli", *args, "--workers", "1", "--json"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    commands = (
        ("backup", "verify"),
        ("reconcile",),
        ("restore", "--from", str(a.root), "--into", empty_url),
    )
    for keys_value, why in (
        (None, "no backup key is configured"),
        (f"k2:{K2}", "'k1', which is not among"),
        (f"k2:{K2},k1:{WRONG}", "cannot decrypt"),
    ):
        for args in commands:
            done = cli(*args, keys_value=keys_value)
            assert done.returncode == 2, (args, done.stdout, done.stderr)
            lines = done.stderr.strip().splitlines()
            assert len(lines) == 1 and lines[0].startswith("error: ") and why in lines[0], lines
            assert K1 not in done.stderr and K2 not in done.stderr and WRONG not in done.stderr
    with Database.open(empty_url) as still_empty, still_empty.connect(write=False) as conn:
        assert conn.execute(sa.text("SELECT COUNT(*) FROM records")).scalar() == 0
    for args in commands[:2]:
        ok = cli(*args, keys_value=f"k2:{K2},k1:{K1}")
        assert ok.returncode == 0, (args, ok.stdout, ok.stderr)
        assert json.loads(ok.stdout)["ok"] is True


def test_keygen_prints_an_entry_the_key_parser_takes() -> None:
    """``anchor backup keygen ID`` prints one ``ID:base64`` entry for the key list; the first
    entry of the list encrypts."""

    def keygen(key_id: str) -> str:
        run = [sys.executable, "-m", "anchor.cli", "backup", "keygen", key_id]
        return subprocess.run(
            run, capture_output=True, text=True, check=True, timeout=120
        ).stdout.strip()

    new, old = keygen("k2026-11"), keygen("k2026-10")
    assert new.startswith("k2026-11:") and old.startswith("k2026-10:")
    assert new.split(":", 1)[1] != old.split(":", 1)[1]
    keys = parse_keys(f"{new},{old}", source="test")
    assert keys.current == "k2026-11" and sorted(keys.keys) == ["k2026-10", "k2026-11"]
