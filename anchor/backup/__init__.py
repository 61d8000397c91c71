"""Immutable backups of sealed batches, restore and reconciliation.

Modules (imported explicitly; this package imports nothing heavy so that the CLI starts on
a base install):

* :mod:`anchor.backup.bundle` — the ``ledger-anchor-backup/1`` bundle and the receipt
  object: encode, strict decode, rebuild the root from the records (docs/backup-format.md).
* :mod:`anchor.backup.targets` — write-once targets: directories and S3-compatible stores.
* :mod:`anchor.backup.jobs` — ``run_backups(db, config) -> BackupReport``.
* :mod:`anchor.backup.restore` — ``restore(db, sources, chain) -> RestoreReport``.
* :mod:`anchor.backup.verify` — ``verify_targets(targets, chain) -> VerifyReport``.
* :mod:`anchor.backup.reconcile` — ``reconcile(db, targets, chain) -> ReconcileReport``.
* :mod:`anchor.backup.chainview` — the chain reads they need (``chain_view_from_config``).
* :mod:`anchor.cli.backup` — ``anchor backup run|verify``, ``anchor restore``,
  ``anchor reconcile``.
"""
