"""Pinned registries: the user's own list of the registry addresses they trust, per chain.

Kept like SSH's ``known_hosts``: a small TOML file in the user's config directory that only
the user edits (``anchor trust add/list/remove``). The verifier never takes a registry
address from a bundle; it takes it from ``--contract`` or from this file, and without
either it refuses to judge (:class:`anchor.errors.RegistryNotPinned`, exit 3).

Where the file is, first match wins: an explicit path (``--trust-file``), the variable
``ANCHOR_TRUST_FILE``, ``$XDG_CONFIG_HOME/ledger-anchor/trusted-registries.toml``,
``~/.config/ledger-anchor/trusted-registries.toml``. A missing file is an empty list; a
malformed one is an :class:`anchor.errors.InputError` naming the problem (exit 2).

Format (``version = 1``, one ``[[registry]]`` table per pin; several pins per chain are
allowed, e.g. an exchange that moved to a new registry)::

    version = 1

    [[registry]]
    chain_id = 1
    contract = "0x5fbdb2315678afecb367f032d93f642f64180aa3"
    name = "EXCHANGE"
    added = "2025-01-02T03:04:05Z"
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from anchor.errors import InputError

__all__ = [
    "TRUST_FILE_ENV",
    "TRUST_FILE_VERSION",
    "TrustEntry",
    "TrustStore",
    "default_trust_path",
    "normalize_address",
]

TRUST_FILE_ENV: Final = "ANCHOR_TRUST_FILE"
TRUST_FILE_VERSION: Final = 1
_ADDR: Final = re.compile(r"0x[0-9a-fA-F]{40}\Z")
_NAME: Final = re.compile(r"[\x20-\x7e]{1,64}\Z")
_KEYS: Final = frozenset({"chain_id", "contract", "name", "added"})
_U64: Final = (1 << 64) - 1


def normalize_address(value: str, what: str = "contract") -> str:
    """A 0x address in lowercase; InputError if it is not 0x and 40 hex digits."""
    if not isinstance(value, str) or not _ADDR.match(value):
        raise InputError(f"{what} must be 0x followed by 40 hex digits")
    return value.lower()


def default_trust_path() -> Path:
    """``$ANCHOR_TRUST_FILE``, else the file in the user's config directory."""
    env = os.environ.get(TRUST_FILE_ENV)
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "ledger-anchor" / "trusted-registries.toml"


@dataclass(frozen=True)
class TrustEntry:
    """One pinned registry."""

    chain_id: int
    contract: str  # lowercase 0x address
    name: str
    added: str = ""


def _fail(path: Path, msg: str) -> InputError:
    return InputError(f"trust file {path}: {msg}")


def _entry(path: Path, i: int, raw: Any) -> TrustEntry:
    where = f"registry #{i + 1}"
    if not isinstance(raw, dict):
        raise _fail(path, f"{where} is not a table")
    unknown = sorted(set(raw) - _KEYS)
    if unknown:
        raise _fail(path, f"{where}: unknown key {unknown[0]!r}")
    chain_id = raw.get("chain_id")
    if isinstance(chain_id, bool) or not isinstance(chain_id, int) or not 0 < chain_id <= _U64:
        raise _fail(path, f"{where}: chain_id must be a positive integer")
    contract = raw.get("contract")
    if not isinstance(contract, str) or not _ADDR.match(contract):
        raise _fail(path, f"{where}: contract must be 0x followed by 40 hex digits")
    name = raw.get("name")
    if not isinstance(name, str) or not _NAME.match(name):
        raise _fail(path, f"{where}: name must be 1 to 64 printable ASCII characters")
    added = raw.get("added", "")
    if not isinstance(added, str):
        raise _fail(path, f"{where}: added must be a string")
    return TrustEntry(chain_id, contract.lower(), name, added)


@dataclass(frozen=True)
class TrustStore:
    """The pinned registries of one trust file (immutable; ``add``/``remove`` return a new
    store, ``save`` writes it)."""

    path: Path
    entries: tuple[TrustEntry, ...] = ()

    @classmethod
    def load(cls, path: str | Path | None = None) -> TrustStore:
        """The store at ``path`` (default :func:`default_trust_path`); empty if absent."""
        p = Path(path).expanduser() if path is not None else default_trust_path()
        try:
            raw = p.read_bytes()
        except FileNotFoundError:
            return cls(p)
        except OSError as exc:
            raise _fail(p, f"cannot read it ({exc.strerror or exc})") from None
        try:
            data = tomllib.loads(raw.decode("utf-8"))
        except UnicodeDecodeError:
            raise _fail(p, "not UTF-8 text") from None
        except tomllib.TOMLDecodeError as exc:
            raise _fail(p, f"not valid TOML ({exc})") from None
        version = data.get("version")
        if version != TRUST_FILE_VERSION:
            raise _fail(p, f"unknown version {version!r} (this verifier reads version 1)")
        unknown = sorted(set(data) - {"version", "registry"})
        if unknown:
            raise _fail(p, f"unknown key {unknown[0]!r}")
        regs = data.get("registry", [])
        if not isinstance(regs, list):
            raise _fail(p, "registry must be an array of tables ([[registry]])")
        return cls(p, tuple(_entry(p, i, r) for i, r in enumerate(regs)))

    def for_chain(self, chain_id: int) -> tuple[TrustEntry, ...]:
        """The registries pinned for ``chain_id`` (possibly none)."""
        return tuple(e for e in self.entries if e.chain_id == chain_id)

    def add(self, chain_id: int, contract: str, name: str) -> TrustStore:
        """Pin ``contract`` on ``chain_id`` under ``name`` (renames an existing pin)."""
        address = normalize_address(contract)
        if isinstance(chain_id, bool) or not 0 < chain_id <= _U64:
            raise InputError("--chain-id must be a positive integer")
        if not _NAME.match(name):
            raise InputError("--name must be 1 to 64 printable ASCII characters")
        added = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        kept = [e for e in self.entries if (e.chain_id, e.contract) != (chain_id, address)]
        return TrustStore(self.path, (*kept, TrustEntry(chain_id, address, name, added)))

    def remove(
        self, *, chain_id: int | None = None, contract: str | None = None, name: str | None = None
    ) -> tuple[TrustStore, tuple[TrustEntry, ...]]:
        """Drop the pins matching every criterion given; return the new store and the
        dropped entries. At least one criterion is required."""
        if chain_id is None and contract is None and name is None:
            raise InputError("say which pin to remove: --chain-id, --contract and/or --name")
        address = None if contract is None else normalize_address(contract)

        def hit(e: TrustEntry) -> bool:
            return (
                (chain_id is None or e.chain_id == chain_id)
                and (address is None or e.contract == address)
                and (name is None or e.name == name)
            )

        dropped = tuple(e for e in self.entries if hit(e))
        return TrustStore(self.path, tuple(e for e in self.entries if not hit(e))), dropped

    def render(self) -> str:
        return render_entries(self.entries)

    def save(self) -> None:
        """Write the file atomically (0600: it is the user's own trust decision)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(self.path.name + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(self.render())
        os.replace(tmp, self.path)


def _toml_str(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def render_entries(entries: Iterable[TrustEntry]) -> str:
    out = [
        "# ledger-anchor: registries you trust, per chain (like SSH's known_hosts).",
        "# Pin an exchange's registry only from an address it publishes itself (its",
        "# website, an ENS text record, a signed statement). Edit with `anchor trust`.",
        f"version = {TRUST_FILE_VERSION}",
    ]
    for e in entries:
        out += [
            "",
            "[[registry]]",
            f"chain_id = {e.chain_id}",
            f"contract = {_toml_str(e.contract)}",
            f"name = {_toml_str(e.name)}",
            f"added = {_toml_str(e.added)}",
        ]
    return "\n".join(out) + "\n"
