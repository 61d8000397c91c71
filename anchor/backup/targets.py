"""Backup targets: write-once object stores for bundles and receipts.

A target holds objects under keys like ``batches/000000000042/<sha256>.bundle``. Every
target promises the same four things:

* :meth:`put` never replaces an existing object. Writing the same bytes again is a no-op
  (``"exists"``); different bytes under an existing key raise :class:`TargetConflict`.
* a put is atomic (a reader sees the whole object or none) and durable when it returns;
* a put reads the object back and checks its bytes before it returns;
* an unreachable target raises :class:`TargetUnavailable` (a :class:`StorageError`), so
  the caller records the failure and retries on its next run.

:class:`DirectoryTarget` is a local or mounted directory (which must exist: an unmounted
mount point must not silently fill the disk underneath). :class:`S3Target` is any
S3-compatible store via boto3, configured as ``s3://bucket/prefix?endpoint=URL&region=R
&lock_days=N&lock_mode=COMPLIANCE``; credentials come from boto3's usual chain
(``AWS_ACCESS_KEY_ID`` ...), never from the URL.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal, Protocol
from urllib.parse import parse_qs, urlsplit

from anchor.errors import ConfigError, StorageError

__all__ = [
    "DirectoryTarget",
    "PutResult",
    "S3Target",
    "Target",
    "TargetConflict",
    "TargetUnavailable",
    "open_target",
]

PutResult = Literal["written", "exists"]


class TargetUnavailable(StorageError):
    """The target cannot be reached or written right now (retry later)."""


class TargetConflict(StorageError):
    """An object already exists under the key with different bytes: never overwritten."""


class ObjectMissing(StorageError):
    """No object under that key."""


class Target(Protocol):
    """A write-once object store."""

    @property
    def name(self) -> str: ...

    def put(self, key: str, data: bytes) -> PutResult: ...

    def get(self, key: str) -> bytes: ...

    def head(self, key: str, size: int) -> bytes: ...

    def list(self, prefix: str = "") -> list[str]: ...

    def check(self) -> None: ...


def _check_key(key: str) -> None:
    parts = key.split("/")
    if not key or key.startswith("/") or any(p in ("", ".", "..") for p in parts):
        raise StorageError(f"bad object key {key!r}")


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _same_or_conflict(target: str, key: str, existing: bytes, data: bytes) -> PutResult:
    """A put that found ``existing`` under ``key``: ``"exists"`` when it holds the same bytes,
    else :class:`TargetConflict` (never overwritten)."""
    if existing != data:
        raise TargetConflict(
            f"backup target {target}: {key} exists with different bytes; not overwritten"
        ) from None
    return "exists"


# --------------------------------------------------------------------------- directory
def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@dataclass(frozen=True)
class DirectoryTarget:
    """A directory (local disk or a mount). Objects are files, made read-only."""

    root: Path

    @property
    def name(self) -> str:
        return str(self.root)

    def _require_root(self) -> None:
        if not self.root.is_dir():
            raise TargetUnavailable(f"backup target {self.root} is not there (not mounted?)")

    def check(self) -> None:
        self._require_root()
        if not os.access(self.root, os.W_OK | os.X_OK):
            raise TargetUnavailable(f"backup target {self.root} is not writable")

    def _mkdirs(self, parent: Path) -> None:
        """Create ``parent`` below the root, fsyncing each new directory's parent."""
        missing: list[Path] = []
        p = parent
        while p != self.root and not p.is_dir():
            missing.append(p)
            p = p.parent
        for d in reversed(missing):
            with contextlib.suppress(FileExistsError):
                d.mkdir()
            _fsync_dir(d.parent)

    def put(self, key: str, data: bytes) -> PutResult:
        _check_key(key)
        self.check()
        final = self.root / key
        try:
            self._mkdirs(final.parent)
            if final.exists():
                return _same_or_conflict(self.name, key, self.get(key), data)
            tmp = final.parent / f".{final.name}.{secrets.token_hex(8)}.tmp"
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o444)
            try:
                view = memoryview(data)
                while view:
                    n = os.write(fd, view)
                    view = view[n:]
                os.fsync(fd)
            finally:
                os.close(fd)
            try:
                try:
                    os.link(tmp, final)  # fails if ``final`` exists: never overwrites
                except FileExistsError:
                    return _same_or_conflict(self.name, key, self.get(key), data)
                except OSError as exc:
                    if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV):
                        raise
                    # file systems without hard links: rename only if nothing is there
                    # (a small race with another writer of the same key; the read-back
                    # below still catches different bytes)
                    if final.exists():
                        return _same_or_conflict(self.name, key, self.get(key), data)
                    os.rename(tmp, final)
            finally:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(tmp)
            _fsync_dir(final.parent)
        except (TargetConflict, TargetUnavailable):
            raise
        except OSError as exc:
            raise TargetUnavailable(
                f"backup target {self.root}: cannot write {key} ({exc.strerror or exc})"
            ) from None
        back = self.get(key)
        if _sha(back) != _sha(data):
            raise TargetUnavailable(f"backup target {self.root}: {key} read back different bytes")
        return "written"

    def _read(self, key: str, size: int = -1) -> bytes:
        """The first ``size`` bytes of the object under ``key`` (all of it: -1)."""
        try:
            with (self.root / key).open("rb") as f:
                return f.read(size)
        except FileNotFoundError:
            raise ObjectMissing(f"backup target {self.root}: no object {key}") from None
        except OSError as exc:
            raise TargetUnavailable(
                f"backup target {self.root}: cannot read {key} ({exc.strerror or exc})"
            ) from None

    def get(self, key: str) -> bytes:
        _check_key(key)
        self._require_root()
        return self._read(key)

    def head(self, key: str, size: int) -> bytes:
        """The first ``size`` bytes of an object (an encrypted bundle's header)."""
        _check_key(key)
        return self._read(key, size)

    def list(self, prefix: str = "") -> list[str]:
        self._require_root()
        base = self.root / prefix if prefix else self.root
        out: list[str] = []
        try:
            for dirpath, _dirs, files in os.walk(base):
                rel = Path(dirpath).relative_to(self.root)
                for f in files:
                    if f.startswith("."):
                        continue  # temp files of an interrupted put
                    out.append(str(rel / f) if str(rel) != "." else f)
        except OSError as exc:
            raise TargetUnavailable(f"backup target {self.root}: cannot list ({exc})") from None
        out.sort()
        return out


# --------------------------------------------------------------------------- S3
class S3Target:
    """An S3-compatible bucket (boto3). Puts use ``If-None-Match: *`` (a store that honours
    it refuses to replace an object); where the bucket has object lock, each object gets a
    retention (``lock_mode`` until now + ``lock_days``). Every put is read back and checked."""

    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        *,
        endpoint_url: str | None = None,
        region: str | None = None,
        lock_days: int | None = None,
        lock_mode: str = "COMPLIANCE",
        spec: str | None = None,
        client: Any = None,
    ) -> None:
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.lock_days = lock_days
        self.lock_mode = lock_mode
        self._spec = spec or f"s3://{bucket}/{self.prefix}"
        if client is None:
            import boto3
            from botocore.config import Config as BotoConfig

            client = boto3.client(
                "s3",
                endpoint_url=endpoint_url,
                region_name=region or "us-east-1",
                config=BotoConfig(connect_timeout=5, read_timeout=30, retries={"max_attempts": 2}),
            )
        self._s3 = client

    @property
    def name(self) -> str:
        return self._spec

    def _key(self, key: str) -> str:
        return f"{self.prefix}/{key}" if self.prefix else key

    def _unavailable(self, what: str, exc: Exception) -> TargetUnavailable:
        return TargetUnavailable(f"backup target {self._spec}: {what} ({exc.__class__.__name__})")

    def check(self) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self._s3.head_bucket(Bucket=self.bucket)
        except (BotoCoreError, ClientError) as exc:
            raise self._unavailable("bucket not reachable", exc) from None

    def _code(self, exc: Exception) -> str:
        return str(getattr(exc, "response", {}).get("Error", {}).get("Code", ""))

    def put(self, key: str, data: bytes) -> PutResult:
        from botocore.exceptions import BotoCoreError, ClientError

        _check_key(key)
        full = self._key(key)
        # look first too: a store that ignores If-None-Match would otherwise overwrite
        try:
            existing = self.get(key)
        except ObjectMissing:
            pass
        else:
            return _same_or_conflict(self.name, key, existing, data)
        kwargs: dict[str, Any] = {
            "Bucket": self.bucket,
            "Key": full,
            "Body": data,
            "IfNoneMatch": "*",
            "ContentType": "application/octet-stream",
        }
        if self.lock_days:
            kwargs["ObjectLockMode"] = self.lock_mode
            kwargs["ObjectLockRetainUntilDate"] = datetime.now(UTC) + timedelta(days=self.lock_days)
        try:
            self._s3.put_object(**kwargs)
        except ClientError as exc:
            code = self._code(exc)
            if code in ("PreconditionFailed", "412", "ConditionalRequestConflict"):
                return _same_or_conflict(self.name, key, self.get(key), data)
            raise self._unavailable(f"cannot write {key}", exc) from None
        except BotoCoreError as exc:
            raise self._unavailable(f"cannot write {key}", exc) from None
        back = self.get(key)
        if _sha(back) != _sha(data):
            raise TargetUnavailable(f"backup target {self._spec}: {key} read back different bytes")
        return "written"

    def _get_object(self, key: str, **options: str) -> bytes:
        """The body of a GET of ``key`` (``options``: e.g. its ``Range``)."""
        from botocore.exceptions import BotoCoreError, ClientError

        _check_key(key)
        try:
            resp = self._s3.get_object(Bucket=self.bucket, Key=self._key(key), **options)
            return bytes(resp["Body"].read())
        except ClientError as exc:
            if self._code(exc) in ("NoSuchKey", "404"):
                raise ObjectMissing(f"backup target {self._spec}: no object {key}") from None
            raise self._unavailable(f"cannot read {key}", exc) from None
        except BotoCoreError as exc:
            raise self._unavailable(f"cannot read {key}", exc) from None

    def get(self, key: str) -> bytes:
        return self._get_object(key)

    def head(self, key: str, size: int) -> bytes:
        """The first ``size`` bytes of an object (a ranged GET)."""
        return self._get_object(key, Range=f"bytes=0-{max(0, size - 1)}")[:size]

    def list(self, prefix: str = "") -> list[str]:
        from botocore.exceptions import BotoCoreError, ClientError

        base = self._key(prefix) if prefix else (self.prefix + "/" if self.prefix else "")
        strip = len(self.prefix) + 1 if self.prefix else 0
        out: list[str] = []
        try:
            pages = self._s3.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=base
            )
            for page in pages:
                for obj in page.get("Contents", []):
                    out.append(str(obj["Key"])[strip:])
        except (BotoCoreError, ClientError) as exc:
            raise self._unavailable("cannot list", exc) from None
        out.sort()
        return out


def open_target(spec: str) -> Target:
    """A target from its configured form: a directory path, or
    ``s3://bucket/prefix?endpoint=URL&region=R&lock_days=N&lock_mode=MODE``."""
    spec = spec.strip()
    if not spec:
        raise ConfigError("empty backup target")
    if spec.startswith("s3://"):
        parts = urlsplit(spec)
        if not parts.netloc:
            raise ConfigError("backup target s3:// URL needs a bucket")
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        unknown = set(query) - {"endpoint", "region", "lock_days", "lock_mode"}
        if unknown:
            raise ConfigError(f"backup target {parts.netloc}: unknown options {sorted(unknown)}")
        try:
            lock_days = int(query["lock_days"]) if "lock_days" in query else None
        except ValueError:
            raise ConfigError("backup target: lock_days must be an integer") from None
        return S3Target(
            parts.netloc,
            parts.path,
            endpoint_url=query.get("endpoint"),
            region=query.get("region"),
            lock_days=lock_days,
            lock_mode=query.get("lock_mode", "COMPLIANCE"),
            spec=f"s3://{parts.netloc}{parts.path}",
        )
    if "://" in spec:
        raise ConfigError(f"unsupported backup target scheme in {spec.split('://')[0]!r}")
    return DirectoryTarget(Path(spec).expanduser().absolute())
