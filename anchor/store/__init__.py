"""All persistence: SQLModel tables, numbered migrations, and repositories that return typed
rows (:mod:`.queries`, :mod:`.tx_repo` and :mod:`.tx_blocks` for the transaction manager,
:mod:`.alarms`, :mod:`.lease`, :mod:`.ops`, ...). SQL lives here; the layers above call these
functions. It imports only the core, ``anchor.errors`` and ``anchor.config``."""
