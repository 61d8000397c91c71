"""Bundle encryption: AES-256-GCM (``cryptography``) in the ``ledger-anchor-backup/2``
envelope, and the backup keys.

Envelope (docs/backup-format.md): one JSON header line, then the ciphertext::

    {"batch_id":42,"cipher":"AES-256-GCM","format":"ledger-anchor-backup/2",
     "key_id":"k2025","nonce":"<24 hex>","plaintext":"ledger-anchor-backup/1"}\\n
    AES-256-GCM(key, nonce, plaintext = the v1 bundle bytes, aad = the header line) || tag

* The header is authenticated (it is the GCM associated data): a key id or batch id swapped
  on a target makes decryption fail.
* ``nonce = HMAC-SHA256(key, "ledger-anchor-backup/2 nonce" || sha256(plaintext))[:12]``: the
  same batch under the same key always gives the same bytes (so a re-run finds "exists"
  instead of writing a second copy), and two different plaintexts get the same nonce only
  with probability 2^-96.
* The object's name is the sha256 of these bytes, ciphertext included: anyone holding the
  object checks its integrity without the key. The root is checked after decryption.

Keys: ``keyid:base64key`` entries (32-byte keys; ids of letters, digits, ``.``, ``_``,
``-``), comma- or newline-separated, from the file ``backup_key_file`` when configured,
else from the environment variable named by ``backup_keys_env``. The FIRST key encrypts;
every key decrypts (rotation: put the new key first, keep the old ones). Key bytes never
appear in a message, a log line, the database or a bundle; only key ids do.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Final

import orjson

from anchor.backup.bundle import FORMAT as PLAIN_FORMAT
from anchor.backup.bundle import BundleFormatError, format_object
from anchor.errors import ConfigError

if TYPE_CHECKING:
    from anchor.config import Config

__all__ = [
    "CIPHER",
    "ENVELOPE_FORMAT",
    "BackupKeyError",
    "BackupKeys",
    "BundleSealer",
    "is_envelope",
    "load_backup_keys",
    "open_bundle",
    "parse_keys",
    "seal_bundle",
    "sealer_for",
]

ENVELOPE_FORMAT: Final = "ledger-anchor-backup/2"
CIPHER: Final = "AES-256-GCM"
_NONCE_LABEL: Final = b"ledger-anchor-backup/2 nonce"
_KEY_ID: Final = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_HEADER_KEYS: Final = frozenset(
    {"format", "cipher", "key_id", "key_check", "nonce", "batch_id", "plaintext"}
)
_CHECK_LABEL: Final = b"ledger-anchor-backup/2 key check"
MAX_HEADER: Final = 1024
GZIP_MAGIC: Final = b"\x1f\x8b"


class BackupKeyError(ConfigError):
    """No usable key for a bundle (unknown key id, wrong key) or an unusable key setting.
    Exit code 2, one line, never the key itself."""


@dataclass(frozen=True)
class BackupKeys:
    """Backup keys by id; ``current`` encrypts. The bytes are never shown."""

    current: str
    keys: Mapping[str, bytes] = field(repr=False)

    def __repr__(self) -> str:
        return f"BackupKeys(current={self.current!r}, ids={sorted(self.keys)})"


def parse_keys(text: str, *, source: str) -> BackupKeys:
    """``keyid:base64key`` entries, comma- or newline-separated (``#`` starts a comment)."""
    keys: dict[str, bytes] = {}
    order: list[str] = []
    for raw_line in text.splitlines():
        line = raw_line.split("#", 1)[0]
        for entry in line.split(","):
            entry = entry.strip()
            if not entry:
                continue
            kid, sep, b64 = entry.partition(":")
            kid = kid.strip()
            if not sep or not _KEY_ID.match(kid):
                raise BackupKeyError(
                    f"backup keys in {source}: expected keyid:base64key entries"
                    " (ids of letters, digits, '.', '_', '-')"
                )
            try:
                key = base64.b64decode(b64.strip(), validate=True)
            except ValueError:
                raise BackupKeyError(
                    f"backup keys in {source}: key {kid!r} is not base64"
                ) from None
            if len(key) != 32:
                raise BackupKeyError(
                    f"backup keys in {source}: key {kid!r} must be 32 bytes (AES-256),"
                    f" not {len(key)}"
                )
            if kid in keys:
                raise BackupKeyError(f"backup keys in {source}: key id {kid!r} given twice")
            keys[kid] = key
            order.append(kid)
    if not order:
        raise BackupKeyError(f"backup keys in {source}: no key")
    return BackupKeys(current=order[0], keys=keys)


def load_backup_keys(config: Config, env: Mapping[str, str] | None = None) -> BackupKeys | None:
    """The configured keys: ``backup_key_file`` when set, else ``$<backup_keys_env>``;
    None when neither is there."""
    env = os.environ if env is None else env
    if config.backup_key_file:
        path = Path(config.backup_key_file).expanduser()
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise BackupKeyError(
                f"backup key file {path}: cannot read ({exc.strerror or exc})"
            ) from None
        return parse_keys(text, source=str(path))
    value = env.get(config.backup_keys_env, "")
    if not value.strip():
        return None
    return parse_keys(value, source=f"${config.backup_keys_env}")


def key_check(key: bytes) -> str:
    """A short commitment to a key (8 bytes of an HMAC of a fixed label): tells a wrong key
    from a right one by the header alone, and says nothing about the key."""
    return hmac.new(key, _CHECK_LABEL, hashlib.sha256).digest()[:8].hex()


def _nonce(key: bytes, plaintext: bytes) -> bytes:
    digest = hashlib.sha256(plaintext).digest()
    return hmac.new(key, _NONCE_LABEL + digest, hashlib.sha256).digest()[:12]


def seal_bundle(plaintext: bytes, batch_id: int, keys: BackupKeys) -> bytes:
    """The v2 envelope of a v1 bundle's bytes, encrypted with the current key."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    key = keys.keys[keys.current]
    nonce = _nonce(key, plaintext)
    header = (
        orjson.dumps(
            {
                "batch_id": batch_id,
                "cipher": CIPHER,
                "format": ENVELOPE_FORMAT,
                "key_check": key_check(key),
                "key_id": keys.current,
                "nonce": nonce.hex(),
                "plaintext": PLAIN_FORMAT,
            },
            option=orjson.OPT_SORT_KEYS,
        )
        + b"\n"
    )
    return header + AESGCM(key).encrypt(nonce, plaintext, header)


def is_envelope(data: bytes) -> bool:
    return data[:1] == b"{"


@dataclass(frozen=True)
class EnvelopeHeader:
    batch_id: int
    key_id: str
    key_check: str
    nonce: bytes
    length: int  # bytes of the header line, newline included


def read_header(data: bytes) -> EnvelopeHeader:
    """Parse an envelope's header strictly (no key needed)."""
    end = data.find(b"\n", 0, MAX_HEADER)
    if end < 0:
        raise BundleFormatError("encrypted bundle: no header line")
    header = format_object(
        data[:end],
        ENVELOPE_FORMAT,
        _HEADER_KEYS,
        what="encrypted bundle",
        not_json="header is not JSON",
    )
    if header["cipher"] != CIPHER or header["plaintext"] != PLAIN_FORMAT:
        raise BundleFormatError("encrypted bundle: unknown cipher or plaintext format")
    kid, nonce, batch_id = header["key_id"], header["nonce"], header["batch_id"]
    if not isinstance(kid, str) or not _KEY_ID.match(kid):
        raise BundleFormatError("encrypted bundle: bad key id")
    if not isinstance(nonce, str) or not re.fullmatch(r"[0-9a-f]{24}", nonce):
        raise BundleFormatError("encrypted bundle: bad nonce")
    check = header["key_check"]
    if not isinstance(check, str) or not re.fullmatch(r"[0-9a-f]{16}", check):
        raise BundleFormatError("encrypted bundle: bad key check")
    if type(batch_id) is not int or batch_id < 1:
        raise BundleFormatError("encrypted bundle: bad batch id")
    return EnvelopeHeader(batch_id, kid, check, bytes.fromhex(nonce), end + 1)


def key_for(header: EnvelopeHeader, keys: BackupKeys | None, *, what: str) -> bytes:
    """The configured key a header names, checked against its key check; a
    :class:`BackupKeyError` (one line, key id only) when there is none or it is another."""
    if keys is None:
        raise BackupKeyError(
            f"{what} is encrypted with key {header.key_id!r} and no backup key is configured"
            " (backup_keys_env / backup_key_file)"
        )
    key = keys.keys.get(header.key_id)
    if key is None:
        raise BackupKeyError(
            f"{what} is encrypted with key {header.key_id!r}, which is not among the configured"
            f" backup keys {sorted(keys.keys)}"
        )
    if not hmac.compare_digest(key_check(key), header.key_check):
        raise BackupKeyError(
            f"{what}: the configured key {header.key_id!r} is not the key it was encrypted"
            " with (cannot decrypt)"
        )
    return key


def check_key_for(head: bytes, keys: BackupKeys | None, *, what: str) -> None:
    """From an object's first bytes: raise :class:`BackupKeyError` unless the key it needs
    is configured (plaintext bundles need none)."""
    if is_envelope(head):
        key_for(read_header(head), keys, what=what)


def open_bundle(data: bytes, keys: BackupKeys | None, *, what: str = "bundle") -> bytes:
    """The v1 bundle bytes of ``data``: decrypted when it is an envelope (the key named by
    its header must be configured and right: :class:`BackupKeyError` otherwise), as they are
    when it is a plaintext v1 bundle."""
    if not is_envelope(data):
        if data[:2] != GZIP_MAGIC:
            raise BundleFormatError(f"{what}: neither an encrypted nor a gzip bundle")
        return data
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    header = read_header(data)
    key = key_for(header, keys, what=what)
    if len(data) < header.length + 16:
        raise BundleFormatError(f"{what}: encrypted bundle truncated")
    try:
        return AESGCM(key).decrypt(header.nonce, data[header.length :], data[: header.length])
    except InvalidTag:
        # the key is the right one (its check matched): the bytes are not what was written
        raise BundleFormatError(
            f"{what}: does not decrypt (authentication tag mismatch: altered)"
        ) from None


@dataclass(frozen=True)
class BundleSealer:
    """What the backup job does with a bundle's bytes before they leave the process."""

    keys: BackupKeys | None  # None: plaintext (explicit opt-out)

    def seal(self, plaintext: bytes, batch_id: int) -> bytes:
        return plaintext if self.keys is None else seal_bundle(plaintext, batch_id, self.keys)

    @property
    def describe(self) -> str:
        return "plaintext" if self.keys is None else f"{CIPHER}, key {self.keys.current!r}"


def sealer_for(config: Config, env: Mapping[str, str] | None = None) -> BundleSealer:
    """Encrypt with the configured keys; plaintext only with ``backup_plaintext = true``
    (then keys, if any, are still used: plaintext is never chosen over a key)."""
    keys = load_backup_keys(config, env)
    if keys is None and not config.backup_plaintext:
        raise BackupKeyError(
            "backups are encrypted: give keys in $"
            f"{config.backup_keys_env} or backup_key_file (anchor backup keygen makes one),"
            " or set backup_plaintext = true to write them in the clear"
        )
    return BundleSealer(keys)


def new_key_entry(key_id: str) -> str:
    """A fresh ``keyid:base64key`` entry."""
    if not _KEY_ID.match(key_id):
        raise BackupKeyError("key id: letters, digits, '.', '_', '-' (at most 64)")
    return f"{key_id}:{base64.b64encode(os.urandom(32)).decode('ascii')}"
