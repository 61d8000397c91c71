"""SQLModel table classes of the store (created by migration 0001_initial).

Layout and why:

* ``records``: one row per ingested record, immutable once written. ``seq`` is the ingest
  sequence number (the primary key, assigned in ingest order, contiguous from 1). The leaf
  is computed at ingest: it is a pure function of (record, seq, account commitments), all of
  which are fixed then, so a record that cannot be encoded is refused at ingest instead of
  wedging a later seal, and sealing only reads 32-byte leaves.
* A batch is the contiguous seq range ``first_seq..last_seq``: sealing takes the unbatched
  records in seq order, so "the batch of record X" is the batch whose range holds its seq
  (see :func:`anchor.store.queries.batch_of_seq`). Sealing therefore never rewrites record
  rows, however large the batch.
* ``tree_chunks``: the batch's flat OpenZeppelin node array (``2n-1`` nodes of 32 bytes,
  node ``i`` in chunk ``i // chunk_nodes``), so an inclusion proof reads O(log n) chunks.
* ``accounts``: a 32-byte secret salt per account, generated at first sight; leaves carry
  only ``commitment = account_commitment(account_id, salt)``.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

_Seq = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


class BatchState(StrEnum):
    """Lifecycle of a batch; the transaction manager moves it past ``sealed``."""

    SEALED = "sealed"
    SUBMITTED = "submitted"
    INCLUDED = "included"
    FINAL = "final"


class StoredRecord(SQLModel, table=True):
    """An ingested record in canonical JSON, with its seq and leaf."""

    __tablename__ = "records"

    seq: int = Field(sa_column=sa.Column(_Seq, primary_key=True, autoincrement=False))
    record_id: str = Field(sa_column=sa.Column(sa.String, nullable=False, unique=True))
    kind: str = Field(sa_column=sa.Column(sa.String(32), nullable=False))
    version: int = Field(sa_column=sa.Column(sa.Integer, nullable=False))
    canonical: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    content_hash: bytes = Field(sa_column=sa.Column(sa.LargeBinary, nullable=False))
    leaf: bytes = Field(sa_column=sa.Column(sa.LargeBinary, nullable=False))
    received_at: datetime = Field(sa_column=sa.Column(sa.DateTime(timezone=True), nullable=False))


class Account(SQLModel, table=True):
    """An account seen in some record. ``salt`` is secret: never log or return it except to
    the account's own authenticated owner."""

    __tablename__ = "accounts"

    account_id: str = Field(sa_column=sa.Column(sa.String, primary_key=True))
    salt: bytes = Field(sa_column=sa.Column(sa.LargeBinary, nullable=False), repr=False)
    commitment: bytes = Field(sa_column=sa.Column(sa.LargeBinary, nullable=False, unique=True))
    eth_address: str | None = Field(
        default=None, sa_column=sa.Column(sa.String(42), nullable=True, index=True)
    )
    created_at: datetime = Field(sa_column=sa.Column(sa.DateTime(timezone=True), nullable=False))


class RecordAccount(SQLModel, table=True):
    """Which records mention which account ("records of account X"). Written only with
    the records and accounts it names, in the same transaction: no foreign keys (they were
    the dearest part of a bulk load, see migration 0005); WITHOUT ROWID on SQLite."""

    __tablename__ = "record_accounts"
    __table_args__ = {"sqlite_with_rowid": False}

    account_id: str = Field(sa_column=sa.Column(sa.String, primary_key=True))
    seq: int = Field(sa_column=sa.Column(_Seq, primary_key=True, index=True))


class Batch(SQLModel, table=True):
    """A sealed batch: its id is the on-chain batch id (sequential from 1)."""

    __tablename__ = "batches"

    id: int = Field(sa_column=sa.Column(sa.BigInteger, primary_key=True, autoincrement=False))
    root: bytes = Field(sa_column=sa.Column(sa.LargeBinary, nullable=False))
    leaf_count: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))
    first_seq: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False, unique=True))
    last_seq: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False, unique=True))
    chunk_nodes: int = Field(sa_column=sa.Column(sa.Integer, nullable=False))
    sealed_at: datetime = Field(sa_column=sa.Column(sa.DateTime(timezone=True), nullable=False))
    state: str = Field(sa_column=sa.Column(sa.String(16), nullable=False, index=True))
    # filled by the transaction manager
    tx_hash: bytes | None = Field(default=None, sa_column=sa.Column(sa.LargeBinary))
    block_number: int | None = Field(default=None, sa_column=sa.Column(sa.BigInteger))
    block_hash: bytes | None = Field(default=None, sa_column=sa.Column(sa.LargeBinary))
    chain_id: int | None = Field(default=None, sa_column=sa.Column(sa.BigInteger))
    contract: str | None = Field(default=None, sa_column=sa.Column(sa.String(42)))
    anchored_at: datetime | None = Field(
        default=None, sa_column=sa.Column(sa.DateTime(timezone=True))
    )
    final_at: datetime | None = Field(default=None, sa_column=sa.Column(sa.DateTime(timezone=True)))


class TreeChunk(SQLModel, table=True):
    """``chunk_nodes`` consecutive 32-byte nodes of a batch's flat tree array."""

    __tablename__ = "tree_chunks"

    batch_id: int = Field(
        sa_column=sa.Column(sa.BigInteger, sa.ForeignKey("batches.id"), primary_key=True)
    )
    chunk_no: int = Field(sa_column=sa.Column(sa.Integer, primary_key=True, autoincrement=False))
    data: bytes = Field(sa_column=sa.Column(sa.LargeBinary, nullable=False), repr=False)


__all__ = ["Account", "Batch", "BatchState", "RecordAccount", "StoredRecord", "TreeChunk"]
