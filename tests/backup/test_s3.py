"""The S3 target against a real S3-compatible server on loopback (moto's server mode)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from anchor.backup.bundle import decode_bundle, rebuild
from anchor.backup.jobs import run_backups
from anchor.backup.targets import TargetConflict, TargetUnavailable, open_target
from anchor.config import Config
from tests.backup.helpers import bundle_files, fill

moto_server = pytest.importorskip("moto.server", reason="moto[server] is a dev dependency")

BUCKET = "ledger-anchor-backups"


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
def s3(s3_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    import boto3

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1")
    if BUCKET not in [b["Name"] for b in client.list_buckets()["Buckets"]]:
        client.create_bucket(Bucket=BUCKET, ObjectLockEnabledForBucket=True)
    return client


def test_s3_put_is_write_once_and_object_locked(s3: Any, s3_endpoint: str) -> None:
    t = open_target(f"s3://{BUCKET}/write-once?endpoint={s3_endpoint}&lock_days=1")
    key = "batches/000000000001/" + "cd" * 32 + ".bundle"
    assert t.put(key, b"bundle bytes") == "written"
    assert t.put(key, b"bundle bytes") == "exists"
    with pytest.raises(TargetConflict):
        t.put(key, b"other bytes")  # If-None-Match: * refused the overwrite
    assert t.get(key) == b"bundle bytes"
    head = s3.head_object(Bucket=BUCKET, Key=f"write-once/{key}")
    assert head["ObjectLockMode"] == "COMPLIANCE" and head["ObjectLockRetainUntilDate"]
    with pytest.raises(Exception, match="AccessDenied"):
        s3.delete_object(Bucket=BUCKET, Key=f"write-once/{key}", VersionId=head["VersionId"])
    assert t.list("batches") == [key]


def test_s3_if_none_match_refuses_an_overwrite_in_a_race(
    s3: Any, s3_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from anchor.backup.targets import ObjectMissing, S3Target

    t = open_target(f"s3://{BUCKET}/race?endpoint={s3_endpoint}")
    assert isinstance(t, S3Target)
    key = "batches/000000000001/" + "ef" * 32 + ".bundle"
    assert t.put(key, b"first") == "written"
    real_get = t.get
    calls = []

    def racing_get(k: str) -> bytes:
        calls.append(k)
        if len(calls) == 1:  # the look before the put misses the object (another writer)
            raise ObjectMissing("not yet")
        return real_get(k)

    monkeypatch.setattr(t, "get", racing_get)
    with pytest.raises(TargetConflict):
        t.put(key, b"second")  # the store's If-None-Match: * refuses it
    assert real_get(key) == b"first"


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_backups_to_a_directory_and_s3_and_an_s3_outage(
    db: Any, s3: Any, s3_endpoint: str, two_targets: Any
) -> None:
    a, _ = two_targets
    batches = fill(db, [25])
    spec = f"s3://{BUCKET}/run?endpoint={s3_endpoint}"
    report = run_backups(db, Config(backup_targets=(str(a.root), spec), backup_plaintext=True))
    assert report.ok and {w.target for w in report.written} == {str(a.root), f"s3://{BUCKET}/run"}
    t = open_target(spec)
    [key] = t.list("batches")
    data = t.get(key)
    assert data == bundle_files(a.root)[0].read_bytes()
    assert rebuild(decode_bundle(data)).root == batches[0].root
    # an S3 endpoint that is down: reported, retried later
    fill(db, [3], start=25)
    down = f"s3://{BUCKET}/run?endpoint=http://127.0.0.1:9"
    with pytest.raises(TargetUnavailable):
        open_target(down).check()
    report = run_backups(db, Config(backup_targets=(str(a.root), down), backup_plaintext=True))
    assert not report.ok and any(f.kind == "unavailable" for f in report.failures)
    report = run_backups(db, Config(backup_targets=(str(a.root), spec), backup_plaintext=True))
    assert report.ok and [w.batch_id for w in report.written] == [2]


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_encrypted_bundles_on_s3(
    db: Any, s3: Any, s3_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the store holds is the ciphertext: the name still checks it without the key,
    the header is read with a ranged GET, the bundle opens only with the key."""
    import base64

    from anchor.backup.bundle import content_name
    from anchor.backup.catalog import list_target, read_bundle
    from anchor.backup.crypto import MAX_HEADER, BackupKeyError, parse_keys, read_header

    batches = fill(db, [20])
    entry = "s3k:" + base64.b64encode(b"\x11" * 32).decode()
    monkeypatch.setenv("ANCHOR_BACKUP_KEYS", entry)
    spec = f"s3://{BUCKET}/enc?endpoint={s3_endpoint}"
    assert run_backups(db, Config(backup_targets=(spec,))).ok
    t = open_target(spec)
    [key] = t.list("batches")
    raw = s3.get_object(Bucket=BUCKET, Key=f"enc/{key}")["Body"].read()
    assert key.endswith(content_name(raw) + ".bundle")
    assert b"acct-" not in raw and read_header(t.head(key, MAX_HEADER)).key_id == "s3k"
    listing = list_target(t)
    [obj] = listing.bundles[1]
    read = read_bundle(t, obj, keys=parse_keys(entry, source="test"))
    assert read.status == "ok" and read.bundle is not None
    assert rebuild(read.bundle).root == batches[0].root
    with pytest.raises(BackupKeyError):
        read_bundle(t, obj)
