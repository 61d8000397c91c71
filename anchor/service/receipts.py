"""Issuing signed ingest receipts: one EIP-712 signature per load, over the Merkle root of
the load's receipt leaves (anchor/core/receipt.py; docs/receipt-format.md).

The receipt key is its own key (``receipt_key_env`` or ``receipt_keystore_path``), never
the anchorer's: :func:`load_receipt_key` refuses the anchorer's address. Keys never appear
in logs, errors or the database; only the signer's address is published.
"""

from __future__ import annotations

from typing import Any

from anchor.core.receipt import Receipt, build_receipts
from anchor.errors import ConfigError
from anchor.service.ingest import IngestResult
from anchor.store.db import Database
from anchor.store.receipts import load_entries

__all__ = ["ReceiptSigner", "issue_receipts", "load_receipt_key"]


class ReceiptSigner:
    """The receipt key and the promise it signs (``max_merge_delay_seconds``)."""

    def __init__(self, key: Any, max_merge_delay_seconds: int) -> None:
        if max_merge_delay_seconds <= 0:
            raise ConfigError("max_merge_delay_seconds must be positive")
        self._key = key
        self.address = str(key.address).lower()
        self.max_merge_delay_seconds = int(max_merge_delay_seconds)

    def sign(self, digest: bytes) -> bytes:
        return bytes(self._key.sign_message_hash(digest).signature)

    def __repr__(self) -> str:
        return f"ReceiptSigner({self.address})"


def load_receipt_key(config: Any, env: Any = None) -> ReceiptSigner:
    """The receipt key from the config (keystore, else the hex key in ``receipt_key_env``);
    ConfigError if it is missing or is the anchorer's key."""
    from anchor.chain.keys import load_signing_key

    key = load_signing_key(
        keystore=config.receipt_keystore_path,
        password_env=config.receipt_keystore_password_env,
        key_env=config.receipt_key_env,
        env=env,
    )
    try:
        anchorer = load_signing_key(
            keystore=config.keystore_path,
            password_env=config.keystore_password_env,
            key_env=config.private_key_env,
            env=env,
            prompt=lambda _: "",
        )
    except Exception:  # no anchorer key here (an API-only replica): nothing to compare
        anchorer = None
    if anchorer is not None and anchorer.address.lower() == key.address.lower():
        raise ConfigError("the receipt key must not be the anchorer key")
    return ReceiptSigner(key, config.max_merge_delay_seconds)


def issue_receipts(
    db: Database, result: IngestResult, signer: ReceiptSigner, ingested_at: int
) -> list[Receipt]:
    """The receipts of the records a load stored (none for a load of duplicates only)."""
    if result.first_seq is None or result.last_seq is None:
        return []
    entries = load_entries(db, result.first_seq, result.last_seq)
    deadline = ingested_at + signer.max_merge_delay_seconds
    return build_receipts(entries, ingested_at, deadline, signer.sign, signer.address)
