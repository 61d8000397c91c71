"""The demo's data directory: one place, reused from run to run, wiped with ``--fresh``.

``anchor demo`` keeps everything under its data directory (default ``.anchor/demo``) with
fixed names, so runs do not pile up:

* ``anchor.toml`` — the configuration every ``anchor`` command reads once
  ``ANCHOR_CONFIG`` points at it (database, RPC, chain id, contract, start block, backup
  targets, API address and key). Rewritten each run; the signing key is not in it.
* ``demo.sqlite`` — the books; ``devnet/state.json`` — the chain (anvil writes it when it
  stops, and every few seconds), so the next run continues both where they were.
* ``backup-a/``, ``backup-b/`` — the backup targets; ``service.log``; ``deployment.json``;
  ``sample.ndjson`` — a few records for trying ``anchor ingest``.

A database whose anchors the restored chain does not hold (anvil was killed before it
wrote its state) cannot be continued: the demo then starts afresh and says so.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Mapping
from dataclasses import fields
from pathlib import Path
from typing import Any

__all__ = [
    "CONFIG_NAME",
    "DATABASE_NAME",
    "STATE_FILE",
    "chain_mismatch",
    "prepare_data_dir",
    "recorded_deployment",
    "wipe",
    "write_config",
    "write_sample_file",
]

CONFIG_NAME = "anchor.toml"
DATABASE_NAME = "demo.sqlite"
STATE_FILE = Path("devnet") / "state.json"
# what the demo creates in its data directory (and only that is ever removed)
_OWNED = (
    CONFIG_NAME,
    DATABASE_NAME,
    DATABASE_NAME + "-wal",
    DATABASE_NAME + "-shm",
    "devnet",
    "backup-a",
    "backup-b",
    "service.log",
    "deployment.json",
    "sample.ndjson",
)
# databases of earlier versions of the demo, one per run (demo1700000000.sqlite)
_OLD_RUN = re.compile(r"demo\d+\.sqlite(-wal|-shm)?")
# settings that are secrets or name secrets' places: never written to the file
_NOT_WRITTEN = frozenset({"private_key_env", "keystore_password_env"})
# settings the demo's file has unless its environment says otherwise: its feed is a
# consistent exchange, so ingest refuses a record naming an unknown instrument, order or trade
_DEMO_DEFAULTS = {"ANCHOR_REFERENCE_CHECKS": "strict"}


def wipe(data_dir: Path, *, chain: bool = True) -> None:
    """Remove what the demo made in ``data_dir`` (nothing else); ``chain=False`` keeps the
    devnet directory (its state file is removed)."""
    for name in _OWNED:
        path = data_dir / name
        if name == "devnet" and not chain:
            (data_dir / STATE_FILE).unlink(missing_ok=True)
        elif path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)
    for path in data_dir.glob("demo*.sqlite*"):
        if _OLD_RUN.fullmatch(path.name):
            path.unlink()


def prepare_data_dir(data_dir: Path, *, fresh: bool) -> list[str]:
    """Create ``data_dir``; with ``fresh``, remove the previous runs first. Returns notes."""
    notes = []
    if fresh and data_dir.exists():
        wipe(data_dir)
        notes.append(f"--fresh: removed the previous runs' files in {data_dir}")
    data_dir.mkdir(parents=True, exist_ok=True)
    old = [p for p in data_dir.iterdir() if _OLD_RUN.fullmatch(p.name)]
    if old:
        size = sum(p.stat().st_size for p in old) / 1e6
        notes.append(
            f"{len(old)} database files of earlier demo versions ({size:.0f} MB) are in "
            f"{data_dir}; `anchor demo --fresh` removes them"
        )
    elif not fresh and (data_dir / DATABASE_NAME).exists():
        notes.append("continuing the previous run's books and chain (--fresh starts anew)")
    return notes


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, tuple | list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return json.dumps(str(value))  # a TOML basic string: JSON's escapes are TOML's


def write_config(data_dir: Path, env: Mapping[str, str]) -> Path:
    """Write ``data_dir/anchor.toml`` from the ``ANCHOR_*`` settings the service runs with
    (validated by :func:`anchor.config.load_config`, so the file loads as it was meant);
    paths absolute, so it works from any directory. Readable by its owner only (the demo's
    API key is in it). Returns its absolute path."""
    from anchor.config import Config, load_config

    names = {f.name for f in fields(Config)} - _NOT_WRITTEN
    given = {**_DEMO_DEFAULTS, **{k: v for k, v in env.items() if k.startswith("ANCHOR_")}}
    chosen = sorted(n for n in names if "ANCHOR_" + n.upper() in given)
    config = load_config(None, env={k: given[k] for k in ("ANCHOR_" + n.upper() for n in chosen)})
    path = (data_dir / CONFIG_NAME).absolute()
    lines = [
        "# Written by `anchor demo` for the demo running now; point every command at it:",
        f"#   export ANCHOR_CONFIG={path}",
        "# ANCHOR_* variables override what is here. The signing key is not in this file.",
    ]
    lines += [f"{n} = {_toml_value(getattr(config, n))}" for n in chosen]
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    load_config(path, env={})  # what was written reads back
    for target in config.backup_targets:  # ready to use: its backup directories exist
        if "://" not in target:
            Path(target).mkdir(parents=True, exist_ok=True)
    return path


def write_sample_file(data_dir: Path, run: str) -> Path:
    """A few sample records (NDJSON) to try ``anchor ingest`` with; new ids each run. They
    keep the books consistent: deposits of walk-in accounts, each with its balance snapshot."""
    from anchor.core.exchange_feed import walk_in_records

    path = data_dir / "sample.ndjson"
    objs = walk_in_records(run)
    path.write_text("".join(json.dumps(o, separators=(",", ":")) + "\n" for o in objs))
    return path


def recorded_deployment(w3: Any, data_dir: Path) -> Any:
    """The previous run's deployment record when the chain still holds that registry (its
    code and its creation block), else None. (A restored anvil keeps blocks and receipts
    but not past state, so the creation cannot be searched for again.)"""
    from anchor.chain.artifact import load_artifact
    from anchor.chain.deploy import check_runtime_code, read_deployment
    from anchor.errors import AnchorError

    path = data_dir / "deployment.json"
    if not path.is_file():
        return None
    try:
        record = read_deployment(path)
        check_runtime_code(w3, record.address, load_artifact())
        block = w3.eth.get_block(record.block_number)
    except (AnchorError, ValueError, OSError):
        return None
    return record if "0x" + bytes(block["hash"]).hex() == record.block_hash.lower() else None


def chain_mismatch(database: Path, rpc_url: str, contract: str) -> str | None:
    """Why the chain cannot continue the database's books, or None when it can: every
    batch the database holds as included or final must have its root on chain, and the
    chain must not hold batches the database does not know."""
    from anchor.backup.source import list_batches
    from anchor.chain.client import RegistryClient, make_web3
    from anchor.store.db import Database

    registry = RegistryClient(make_web3(rpc_url), contract)
    batches = []
    if database.exists():
        with (
            Database.open_existing(f"sqlite:///{database}") as db,
            db.connect(write=False) as conn,
        ):
            batches = list_batches(conn)
    last_on_chain = registry.last_batch_id()
    known = max((b.id for b in batches), default=0)
    if last_on_chain > known:
        return f"the chain holds batch {last_on_chain}, the database only up to {known}"
    for b in reversed(batches):
        if b.state in ("included", "final"):
            if registry.root_of(b.id) != b.root:
                return f"batch {b.id} ({b.state} in the database) is not on the chain"
            break
    return None
