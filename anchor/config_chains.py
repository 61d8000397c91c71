"""The chains a batch is anchored on (issue 18): a list of :class:`ChainConfig`, one
transaction manager each.

Written in the TOML file as ``[[chains]]`` tables; a key a table does not set comes from the
table's chain profile when it names one (chain id, explorer, finality), else from the top-level
value of the same name, so the single-chain configuration of before (``rpc_url``,
``chain_id``, ``contract_address``, ... at the top level, no ``[[chains]]``) is a list of one
chain, unchanged::

    [[chains]]
    name = "l2"
    chain = "base"                         # a profile (anchor.chain_profiles), or chain_id
    rpc_url = "https://..."
    contract_address = "0x..."
    private_key_env = "ANCHOR_L2_KEY"      # or keystore_path / keystore_password_env
    max_fee_gwei_cap = 5

    [[chains]]
    name = "l1"
    chain = "mainnet"
    rpc_url = "https://..."
    contract_address = "0x..."
    every = 6                              # cadence: anchored in groups of 6 batches

The first chain is the primary one: its anchor fills the batch's own columns while it is the
most advanced, and it is the one the single-chain commands name. Names and chain ids are
unique. ``every = N`` (cadence) makes a chain anchor only once N batches wait for it (then all
of them, in order: the registry takes batch ids one after the other, so every batch's root is
on every chain, later on a chain with a longer cadence); see README "Several chains".
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import TYPE_CHECKING, Any

from anchor.errors import ConfigError

if TYPE_CHECKING:
    from anchor.config import Config

__all__ = ["CHAIN_KEYS", "ChainConfig", "chains_of", "parse_chain_tables", "profile_fill"]

_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,31}\Z")


@dataclass(frozen=True, kw_only=True)
class ChainConfig:
    """One chain a batch is anchored on: where, with which key, under which rules. Each
    setting but ``name`` and ``every`` is the top-level setting of the same name
    (:class:`anchor.config.Config`: its meaning and default), given by :func:`chains_of`."""

    name: str = "primary"
    chain: str | None  # a profile name (anchor.chain_profiles)
    rpc_url: str | None
    chain_id: int | None
    contract_address: str | None
    contract_start_block: int
    private_key_env: str
    keystore_path: str | None
    keystore_password_env: str
    finality_depth: int | None
    confirmations: int
    stuck_after_seconds: float
    stuck_after_blocks: int
    fee_bump_percent: int
    rebroadcast_seconds: float
    max_fee_gwei_cap: float
    max_tx_fee_eth: float | None
    explorer_kind: str
    explorer_base_url: str | None
    every: int = 1  # cadence: anchor once this many batches wait (1: every batch)

    @property
    def poa(self) -> bool:
        """Whether this chain needs web3's proof-of-authority middleware."""
        from anchor.config import uses_poa

        return uses_poa(self)

    def explorer_url(self, what: str, **values: str | int) -> str | None:
        """A link to this chain's block explorer for a tx, address or block."""
        from anchor.config import explorer_link

        return explorer_link(self.explorer_kind, self.explorer_base_url, what, **values)


CHAIN_KEYS = frozenset(f.name for f in fields(ChainConfig))
_TYPES = {f.name: str(f.type) for f in fields(ChainConfig)}


def _value(where: str, key: str, raw: Any) -> Any:
    text = _TYPES[key]
    if raw is None:
        return None
    try:
        if text.startswith("int"):
            if isinstance(raw, bool):
                raise ValueError("expected an integer")
            return int(raw)
        if text.startswith("float"):
            if isinstance(raw, bool):
                raise ValueError("expected a number")
            return float(raw)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"config {where}.{key}: cannot use {raw!r} ({exc})") from None
    if not isinstance(raw, str):
        raise ConfigError(f"config {where}.{key}: must be a string")
    return raw


def parse_chain_tables(raw: Any) -> tuple[dict[str, Any], ...]:
    """The ``[[chains]]`` tables as given (keys checked, values typed; defaults later)."""
    if not isinstance(raw, list | tuple) or not all(isinstance(t, Mapping) for t in raw):
        raise ConfigError("config chains: must be a list of tables ([[chains]])")
    out = []
    for i, table in enumerate(raw):
        where = f"chains[{i}]"
        unknown = sorted(set(table) - CHAIN_KEYS)
        if unknown:
            raise ConfigError(f"config {where}: unknown keys {unknown}")
        out.append({k: _value(where, k, v) for k, v in table.items()})
    return tuple(out)


def _inherited(config: Config) -> dict[str, Any]:
    """The top-level values a chain table does not set."""
    return {k: getattr(config, k) for k in CHAIN_KEYS if hasattr(config, k) and k != "chain"}


def profile_fill(name: str, chain_id: int | None, explicit: set[str], where: str) -> dict[str, Any]:
    """The values the chain profile ``name`` fills in (chain id, explorer, finality), those in
    ``explicit`` excepted; a ``chain_id`` that contradicts the profile is refused (``where``
    names the setting in the error)."""
    from anchor.chain_profiles import profile

    p = profile(name)
    if chain_id is not None and int(chain_id) != p.chain_id:
        raise ConfigError(
            f"{where}chain_id {chain_id} contradicts chain profile {p.name!r} ({p.chain_id})"
        )
    fill: dict[str, Any] = {"chain_id": p.chain_id, "chain": p.name}
    if "explorer_base_url" not in explicit and p.explorer_base_url:
        fill["explorer_base_url"] = p.explorer_base_url
        fill["explorer_kind"] = p.explorer_kind
    if "finality_depth" not in explicit:
        fill["finality_depth"] = p.finality_depth
    return fill


def _complete(chain: ChainConfig, explicit: set[str]) -> ChainConfig:
    """``chain`` filled in from its profile (explicit values win)."""
    if not chain.chain:
        return chain
    where = f"config chains.{chain.name}: "
    return replace(chain, **profile_fill(chain.chain, chain.chain_id, explicit, where))


def chains_of(config: Config) -> tuple[ChainConfig, ...]:
    """Every chain of ``config``, the primary first: its ``[[chains]]`` tables, or the
    top-level chain settings as a list of one."""
    base = _inherited(config)
    tables = getattr(config, "chains", ()) or ()
    if not tables:
        single = ChainConfig(name=_default_name(config), chain=config.chain, **base)
        return (single,)
    out: list[ChainConfig] = []
    for i, table in enumerate(tables):
        values = {**base, **table}
        if "name" not in table:
            values["name"] = f"chain{i + 1}"
        explicit = set(table)
        if "chain" not in table and "chain_id" in table:
            values["chain"] = None  # a chain id of its own: no top-level profile
        elif "chain" not in table:
            values["chain"] = config.chain
            if "chain_id" not in table:
                values["chain_id"] = config.chain_id
        out.append(_complete(ChainConfig(**values), explicit))
    _check(out)
    return tuple(out)


def _default_name(config: Config) -> str:
    return (config.chain or "primary").lower()


def _check(chains: list[ChainConfig]) -> None:
    names: set[str] = set()
    ids: set[int] = set()
    for c in chains:
        if not _NAME.match(c.name):
            raise ConfigError(
                f"config chains: name {c.name!r} must be 1-32 of a-z, 0-9, '_' and '-'"
            )
        if c.name in names:
            raise ConfigError(f"config chains: the name {c.name!r} is used twice")
        names.add(c.name)
        if c.chain_id is not None:
            if c.chain_id in ids:
                raise ConfigError(
                    f"config chains.{c.name}: chain id {c.chain_id} is used twice (one "
                    "registry per chain)"
                )
            ids.add(c.chain_id)
        if c.every < 1:
            raise ConfigError(f"config chains.{c.name}.every: must be at least 1")
