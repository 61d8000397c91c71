"""All persistence: SQLModel tables, numbered migrations, and repositories that return typed
rows -- :mod:`.queries` (batches, records, accounts), :mod:`.record_writer` (the one writer of
records, for ingest and restore), :mod:`.batches` (sealing and the batch writer seal and
restore share), :mod:`.proof_reads` (the proof GET), :mod:`.batch_rows` (bulk reads for
backups, reconciliation and the audit), :mod:`.auth_repo` (tokens, sign-in challenges),
:mod:`.backup_objects`, :mod:`.tx_repo` and :mod:`.tx_blocks` for the transaction manager,
:mod:`.alarms`, :mod:`.lease`, :mod:`.ops`, ...; :mod:`.rows` builds their typed rows. SQL
lives here and nowhere else (tests/test_layers.py checks); the layers above call these
functions. It imports only the core, ``anchor.errors`` and ``anchor.config``."""
