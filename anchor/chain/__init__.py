"""What talks to an EVM chain, values in and values out: the committed registry artifact
(:mod:`.artifact`), its reads and call data (:mod:`.registry`, :mod:`.client`), the
anchorer's signing, sending and receipts (:mod:`.txchain`), the failures of an operator's own
sends (:mod:`.sending`), fees (:mod:`.fees`), finality rules (:mod:`.finality`), keys, CREATE2
deploys and the local devnet.

It knows no database: the transaction manager's state machine and its persistence are
:mod:`anchor.service.txmanager` and :mod:`anchor.store.tx_repo` (tests/test_layers.py checks
that nothing here imports ``anchor.store`` or anything above it)."""
