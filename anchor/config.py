"""Configuration: a TOML file (optional) overridden by ``ANCHOR_*`` environment variables.

Secrets are never stored here in clear beyond what the operator put in the environment:
the signing key is referenced (an environment variable name or a keystore path), not held.
"""

from __future__ import annotations

import math
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from anchor.errors import ConfigError

if TYPE_CHECKING:
    from anchor.config_chains import ChainConfig

DEFAULT_DATA_DIR = Path(".anchor")

EXPLORER_TEMPLATES: dict[str, dict[str, str]] = {
    # Etherscan-style and Blockscout share paths; Otterscan likewise for tx and address.
    "etherscan": {
        "tx": "{base}/tx/{tx}",
        "address": "{base}/address/{address}",
        "block": "{base}/block/{block}",
    },
    "blockscout": {
        "tx": "{base}/tx/{tx}",
        "address": "{base}/address/{address}",
        "block": "{base}/block/{block}",
    },
    "otterscan": {
        "tx": "{base}/tx/{tx}",
        "address": "{base}/address/{address}",
        "block": "{base}/block/{block}",
    },
}


@dataclass(frozen=True)
class Config:
    """Everything the service needs. Build with :func:`load_config`."""

    database_url: str = f"sqlite:///{DEFAULT_DATA_DIR}/anchor.sqlite"
    data_dir: str = str(DEFAULT_DATA_DIR)
    # operator API key for write endpoints (ingest, seal now); compared in constant time
    api_key: str | None = field(default=None, repr=False)
    api_host: str = "127.0.0.1"
    api_port: int = 8545 + 1000
    # sign-in challenges (unauthenticated writes): per client address and per API process
    challenge_rate_per_client_per_minute: float = 10.0
    challenge_rate_total_per_second: float = 20.0
    # chain: a profile name (anchor.chain_profiles: mainnet, sepolia, base, optimism,
    # arbitrum, polygon, devnet) fills in chain_id, the explorer, finality and PoA
    chain: str | None = None
    rpc_url: str | None = None
    chain_id: int | None = None
    contract_address: str | None = None
    # the block the contract was deployed in (`anchor deploy` prints it): Anchored events are
    # read from here, not from block 0 (explorer, export, adoption, restore's chain view)
    contract_start_block: int = 0
    private_key_env: str = "ANCHOR_PRIVATE_KEY"
    keystore_path: str | None = None
    keystore_password_env: str = "ANCHOR_KEYSTORE_PASSWORD"
    # signed ingest receipts: their own key (never the anchorer's) and the promise they sign
    receipt_key_env: str = "ANCHOR_RECEIPT_KEY"
    receipt_keystore_path: str | None = None
    receipt_keystore_password_env: str = "ANCHOR_RECEIPT_KEYSTORE_PASSWORD"
    max_merge_delay_seconds: int = 3600
    # finality: None means "use the chain's `finalized` tag"
    finality_depth: int | None = None
    confirmations: int = 1
    stuck_after_seconds: float = 30.0
    stuck_after_blocks: int = 3
    fee_bump_percent: int = 25
    rebroadcast_seconds: float = 15.0
    max_fee_gwei_cap: float = 500.0
    # spend limits (each with an alarm): the fee of one anchor transaction (gas limit x max
    # fee per gas; new attempts are capped to it) and the fees of any 24 hours
    max_tx_fee_eth: float | None = None
    daily_budget_eth: float | None = None
    # scheduler: a tick seals on the size trigger, then runs the transaction manager and backups
    tick_seconds: float = 2.0
    seal_interval_seconds: float | None = 10.0
    seal_cron: str | None = None
    seal_size_trigger: int = 100_000
    batch_max_records: int = 1_000_000
    # leadership: the anchorer holds a lease in the database, renewed every third of it; a
    # stalled leader is replaced once it expires (1..30 s)
    leader_lease_seconds: float = 15.0
    # alarms: the RPC failing for this long; no batch final for this long while work is
    # pending (None: max(300, 3 x the seal interval or cron period))
    rpc_outage_alarm_seconds: float = 60.0
    stall_alarm_seconds: float | None = None
    # explorer
    explorer_kind: str = "etherscan"
    explorer_base_url: str | None = None
    # backups: directories and/or s3://bucket/prefix URLs
    backup_targets: tuple[str, ...] = ()
    # a final batch on fewer than ``backup_min_targets`` targets (None: all of them) for
    # longer than ``backup_alarm_seconds`` raises an alarm; /readyz answers 503 meanwhile
    backup_min_targets: int | None = None
    backup_alarm_seconds: float = 300.0
    # bundle encryption (AES-256-GCM, docs/backup-format.md): "keyid:base64key,..." in the
    # variable named here, or one such entry per line in ``backup_key_file``; the first key
    # encrypts, every key decrypts. No key and no ``backup_plaintext = true``: no backups.
    backup_keys_env: str = "ANCHOR_BACKUP_KEYS"
    backup_key_file: str | None = None
    backup_plaintext: bool = False
    # alarms pushed as JSON POSTs (raise and resolve) to these URLs
    alarm_webhooks: tuple[str, ...] = ()
    alarm_webhook_timeout_seconds: float = 5.0
    # liabilities rounds (issue 17): the LiabilitiesRegistry, the padding size (leaves per
    # round at least, a power of two), the assets (default: every asset with a balance), and
    # the exchange's reserve wallets with, per asset, "ASSET=native" or "ASSET=0x<ERC-20>"
    liabilities_contract_address: str | None = None
    liabilities_pad_to: int = 1024
    liabilities_assets: tuple[str, ...] = ()
    reserve_wallets: tuple[str, ...] = ()
    reserve_assets: tuple[str, ...] = ()
    # the exchange's event bus (issue 19; anchor/service/consume.py): a NATS JetStream stream
    # read by a durable pull consumer. nats_url unset: no consumer.
    nats_url: str | None = None
    nats_stream: str | None = None
    nats_subjects: tuple[str, ...] = ()  # filter subjects (empty: the whole stream)
    nats_durable: str = "anchor-ingest"
    nats_dead_subject: str | None = None  # None: "<first token of the first subject>.dead"
    nats_fetch_batch: int = 10_000  # messages per pull request and per database transaction
    nats_max_ack_pending: int = 40_000  # delivered, not yet acknowledged (server-side bound)
    nats_ack_wait_seconds: float = 60.0
    # ingest (issue 16): "strict" refuses a record that names an unknown instrument, order or
    # trade (docs/records.md, "Books: references"), like an invalid record; "off": not checked
    reference_checks: str = "off"
    # several chains (issue 18, anchor/config_chains.py): the ``[[chains]]`` tables as given,
    # each key it leaves out taken from the top level; empty: the top-level chain alone
    chains: tuple[dict[str, Any], ...] = ()

    def explorer_url(self, what: str, **values: str | int) -> str | None:
        """A link to the configured block explorer for a tx, address or block."""
        return explorer_link(self.explorer_kind, self.explorer_base_url, what, **values)


def explorer_link(kind: str, base_url: str | None, what: str, **values: str | int) -> str | None:
    """A link to the ``kind`` block explorer at ``base_url`` for a tx, address or block (None:
    no explorer, or one that has no such page)."""
    if not base_url:
        return None
    templates = EXPLORER_TEMPLATES.get(kind)
    if templates is None or what not in templates:
        return None
    return templates[what].format(base=base_url.rstrip("/"), **values)


_ENV_PREFIX = "ANCHOR_"


def _coerce(name: str, raw: Any, current: Any) -> Any:
    if raw is None:
        return None
    if name == "chains":
        from anchor.config_chains import parse_chain_tables

        if isinstance(raw, str):
            raise ConfigError("config chains: only in the TOML file, as [[chains]] tables")
        return parse_chain_tables(raw)
    annotation = {f.name: f.type for f in fields(Config)}[name]
    text = str(annotation)
    try:
        if text == "bool":
            if isinstance(raw, bool):
                return raw
            lowered = str(raw).strip().lower()
            if lowered in ("1", "true", "yes", "on"):
                return True
            if lowered in ("0", "false", "no", "off", ""):
                return False
            raise ValueError("expected true or false")
        if "tuple" in text:
            if isinstance(raw, str):
                return tuple(p.strip() for p in raw.split(",") if p.strip())
            return tuple(str(p) for p in raw)
        if "int" in text and "float" not in text and not isinstance(raw, bool):
            if raw == "" and "None" in text:
                return None
            return int(raw)
        if "float" in text:
            if raw == "" and "None" in text:
                return None
            return float(raw)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"config {name}: cannot use {raw!r} ({exc.__class__.__name__})") from None
    return str(raw)


def load_config(
    path: str | Path | None = None,
    *,
    env: Mapping[str, str] | None = None,
    **overrides: Any,
) -> Config:
    """Read the TOML file at ``path`` (or ``$ANCHOR_CONFIG``), then ``ANCHOR_*`` variables,
    then keyword overrides. Unknown keys are an error."""
    env = os.environ if env is None else env
    names = {f.name for f in fields(Config)}
    cfg = Config()
    path = path or env.get("ANCHOR_CONFIG")
    values: dict[str, Any] = {}
    if path:
        p = Path(path)
        try:
            data = tomllib.loads(p.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"config file not found: {p}") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"config file {p}: {exc}") from None
        unknown = set(data) - names
        if unknown:
            raise ConfigError(f"config file {p}: unknown keys {sorted(unknown)}")
        values.update(data)
    for name in names:
        key = _ENV_PREFIX + name.upper()
        if key in env:
            values[name] = env[key]
    unknown = set(overrides) - names
    if unknown:
        raise ConfigError(f"unknown config keys {sorted(unknown)}")
    values.update(overrides)
    coerced = {k: _coerce(k, v, getattr(cfg, k)) for k, v in values.items()}
    return validate(with_profile(replace(cfg, **coerced), explicit=set(coerced)))


MAX_LEASE_SECONDS = 30.0


def _positive(value: float) -> bool:
    return math.isfinite(value) and value > 0


def validate(cfg: Config) -> Config:
    """Range checks with a one-line :class:`ConfigError` naming the key."""
    if not 1.0 <= cfg.leader_lease_seconds <= MAX_LEASE_SECONDS:
        raise ConfigError(
            f"config leader_lease_seconds: {cfg.leader_lease_seconds} is outside 1..30 seconds"
        )
    if not _positive(cfg.rpc_outage_alarm_seconds):
        raise ConfigError("config rpc_outage_alarm_seconds: must be a positive number of seconds")
    if cfg.stall_alarm_seconds is not None and not _positive(cfg.stall_alarm_seconds):
        raise ConfigError("config stall_alarm_seconds: must be a positive number of seconds")
    if cfg.reference_checks not in ("off", "strict"):
        raise ConfigError(
            f"config reference_checks: {cfg.reference_checks!r} is not one of off, strict"
        )
    if cfg.chains:
        from anchor.config_chains import chains_of

        chains_of(cfg)  # names, ids, cadences and profiles checked once, at load
    return cfg


def with_profile(cfg: Config, *, explicit: set[str]) -> Config:
    """``cfg`` completed from its chain profile (values set explicitly win; a chain id that
    contradicts the profile is refused)."""
    if not cfg.chain:
        return cfg
    from anchor.config_chains import profile_fill

    return replace(cfg, **profile_fill(cfg.chain, cfg.chain_id, explicit, ""))


def uses_poa(cfg: Config | ChainConfig) -> bool:
    """Whether the configured chain needs web3's proof-of-authority middleware."""
    if not cfg.chain:
        return False
    from anchor.chain_profiles import profile

    return profile(cfg.chain).poa
