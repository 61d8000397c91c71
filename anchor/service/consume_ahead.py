"""The consumer's writer stages each load ahead of its transaction: while load k is written
and committed, load k+1 is validated AND its leaves and SQLite payloads are computed, so
the database thread only writes (:func:`anchor.service.ingest.ingest_staged`).

A leaf depends on the record's seq and on its accounts' commitments, which a load learns
only once it holds the ingest lock. :class:`Forecaster` guesses both: the next seq is the
one after the last load written plus the records of the loads staged since; an account's
commitment is the stored one (read once, then remembered: a commitment never changes once
stored) or, for an account not stored yet, the commitment of a salt chosen now -- the
salt the load then stores, if the account is still new by then. The guess is checked where
it is used (:meth:`anchor.service.ingest_load.Load.take_forecast`, and the seq chunk by
chunk): when it does not hold -- a duplicate moved the seqs, another writer (several
consumers on PostgreSQL) stored records or the same new account meanwhile -- that load's
leaves are computed again on the database thread, as they were before the forecast
existed. The guess costs speed when wrong, never correctness.

Why by hand: this is the bulk import's two-thread pipeline (:mod:`anchor.service.ingest`)
carried across the consumer's loads, whose transactions must each commit before their
messages are acknowledged; nothing outside the project knows its seqs and commitments.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Collection

from anchor.core.leaves import account_commitment
from anchor.service.ingest_load import Forecast
from anchor.store.db import Database
from anchor.store.lookup import account_commitments, next_seq
from anchor.store.record_writer import NewAccount, sqlite_json

# accounts whose commitments are remembered; past it the memory starts again (the guesses
# then read the store again: slower for a while, never wrong)
_KNOWN_MAX = 1_000_000


class Forecaster:
    """The writer's running guess of where its next load starts and what its accounts'
    commitments are. :meth:`forecast` runs on the validating thread, :meth:`written` and
    :meth:`dropped` on the database thread, once each per load forecast."""

    def __init__(self, db: Database) -> None:
        self._db = db
        # a chunk's SQLite payload is built ahead too (anchor.store.record_writer)
        self.sqlite_json = db.backend == "sqlite" and sqlite_json()
        self._lock = threading.Lock()
        self._next: int | None = None  # the seq after the last load written
        self._ahead = 0  # records of the loads forecast and not written (nor dropped) yet
        self._known: dict[str, bytes] = {}  # commitments stored
        self._proposed: dict[str, NewAccount] = {}  # salts chosen, not known to be stored

    def forecast(self, accounts: Collection[str], records: int) -> Forecast:
        """The forecast of a load of ``records`` valid records naming ``accounts``; it counts
        as ahead until :meth:`written` or :meth:`dropped`."""
        with self._lock:
            unknown = [a for a in accounts if a not in self._known and a not in self._proposed]
        stored = account_commitments(self._db, unknown) if unknown else {}
        with self._lock:  # (a read of the store that fails leaves everything as it was)
            if self._next is None:  # at the start, and after a load not written as forecast
                self._next = next_seq(self._db)
            base = self._next + self._ahead
            self._ahead += records
            if len(self._known) + len(stored) > _KNOWN_MAX:
                self._known.clear()
            self._known.update(stored)
            for account_id in unknown:
                if account_id not in stored and account_id not in self._proposed:
                    salt = secrets.token_bytes(32)
                    commitment = account_commitment(account_id, salt)
                    self._proposed[account_id] = NewAccount(account_id, salt, commitment)
            commitments: dict[str, bytes] = {}
            proposed: dict[str, NewAccount] = {}
            for account_id in accounts:
                have = self._known.get(account_id)
                if have is None:
                    new = self._proposed[account_id]
                    proposed[account_id] = new
                    have = new.commitment
                commitments[account_id] = have
        return Forecast(base, commitments, proposed)

    def written(self, records: int, next_seq: int, commitments: dict[str, bytes]) -> None:
        """A load forecast with ``records`` is committed: the next seq is ``next_seq``, its
        accounts' commitments are ``commitments``."""
        with self._lock:
            self._ahead -= records
            self._next = next_seq
            for account_id in commitments:
                self._proposed.pop(account_id, None)
            if len(self._known) + len(commitments) > _KNOWN_MAX:
                self._known.clear()
            self._known.update(commitments)

    def dropped(self, records: int) -> None:
        """A load forecast with ``records`` was not written as forecast (failed, or written
        the other way): it no longer counts as ahead; the next seq is read again."""
        with self._lock:
            self._ahead -= records
            self._next = None
