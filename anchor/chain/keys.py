"""Signing keys: from an eth-account encrypted keystore file or an environment variable.

A :class:`SigningKey` shows only its address in ``repr``/``str``; the key itself never
appears in messages, logs or exceptions raised here (invalid input is reported without
echoing it).
"""

from __future__ import annotations

import getpass
import json
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from eth_account import Account
from eth_account.datastructures import SignedTransaction
from eth_account.signers.local import LocalAccount

from anchor.errors import ConfigError

DEFAULT_KEY_ENV = "ANCHOR_PRIVATE_KEY"
DEFAULT_PASSWORD_ENV = "ANCHOR_KEYSTORE_PASSWORD"

__all__ = [
    "DEFAULT_KEY_ENV",
    "DEFAULT_PASSWORD_ENV",
    "KeyLoadError",
    "SigningKey",
    "load_signing_key",
    "write_keystore",
]


class KeyLoadError(ConfigError):
    """No usable key: variable unset, malformed key, unreadable keystore, wrong password."""


class SigningKey:
    """A private key held for signing; prints as its address only."""

    __slots__ = ("_account", "_source")

    def __init__(self, account: LocalAccount, *, source: str) -> None:
        self._account = account
        self._source = source

    @classmethod
    def from_hex(cls, text: str, *, source: str = "literal") -> SigningKey:
        """From a hex private key (with or without 0x). Errors never echo the text."""
        cleaned = text.strip()
        body = cleaned.removeprefix("0x").removeprefix("0X")
        if len(body) != 64 or any(c not in "0123456789abcdefABCDEF" for c in body):
            raise KeyLoadError(f"{source}: not a 32-byte hex private key")
        try:
            account = Account.from_key(bytes.fromhex(body))
        except Exception:  # eth-keys may echo the value: say nothing about it
            raise KeyLoadError(f"{source}: not a valid secp256k1 private key") from None
        return cls(account, source=source)

    @classmethod
    def from_env(
        cls, name: str = DEFAULT_KEY_ENV, env: Mapping[str, str] | None = None
    ) -> SigningKey:
        env = os.environ if env is None else env
        value = env.get(name)
        if not value:
            raise KeyLoadError(f"environment variable {name} is not set")
        return cls.from_hex(value, source=f"env {name}")

    @classmethod
    def from_keystore(cls, path: str | Path, password: str) -> SigningKey:
        """From an eth-account (Web3 Secret Storage) keystore file."""
        path = Path(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise KeyLoadError(f"keystore {path}: {exc.strerror}") from None
        except ValueError:
            raise KeyLoadError(f"keystore {path}: not JSON") from None
        try:
            raw = Account.decrypt(data, password)
        except ValueError:
            raise KeyLoadError(f"keystore {path}: wrong password or damaged file") from None
        except Exception as exc:
            raise KeyLoadError(f"keystore {path}: cannot decrypt ({type(exc).__name__})") from None
        return cls(Account.from_key(raw), source=f"keystore {path}")

    @property
    def address(self) -> str:
        """EIP-55 checksummed address."""
        return str(self._account.address)

    @property
    def source(self) -> str:
        return self._source

    def sign_transaction(self, tx: Mapping[str, Any]) -> SignedTransaction:
        return self._account.sign_transaction(dict(tx))

    def sign_message_hash(self, message_hash: bytes) -> Any:
        from eth_typing import Hash32

        return self._account.unsafe_sign_hash(Hash32(message_hash))

    def __repr__(self) -> str:
        return f"SigningKey(address={self.address}, source={self._source!r})"

    __str__ = __repr__

    def __reduce__(self) -> Any:
        raise TypeError("SigningKey cannot be pickled")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SigningKey) and other.address == self.address

    def __hash__(self) -> int:
        return hash(self.address)


def load_signing_key(
    *,
    keystore: str | Path | None = None,
    password: str | None = None,
    password_env: str = DEFAULT_PASSWORD_ENV,
    key_env: str = DEFAULT_KEY_ENV,
    env: Mapping[str, str] | None = None,
    prompt: Callable[[str], str] | None = None,
) -> SigningKey:
    """A keystore file (password given, else from ``password_env``, else prompted) or, with no
    keystore, the hex key in ``key_env``."""
    env = os.environ if env is None else env
    if keystore is not None:
        if password is None:
            password = env.get(password_env)
        if password is None:
            ask = prompt or getpass.getpass
            password = ask(f"password for {keystore}: ")
        return SigningKey.from_keystore(keystore, password)
    return SigningKey.from_env(key_env, env)


def write_keystore(
    key: SigningKey, path: str | Path, password: str, *, iterations: int | None = None
) -> Path:
    """Encrypt ``key`` into a keystore file (mode 0600). ``iterations`` lowers the KDF cost
    (scrypt n) for tests; leave it None for real keys."""
    kwargs: dict[str, Any] = {}
    if iterations is not None:
        kwargs["iterations"] = iterations
    data = Account.encrypt(key._account.key, password, **kwargs)
    path = Path(path)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(data, handle)
    return path
