"""The jobs that move data: ingest, seal, the anchorer's tick (:mod:`.anchoring`) and its
crash-safe transaction manager (:mod:`.txmanager`), the scheduler, the leader lease, the
watchdog's stall alarms, costs, budgets and webhooks. Persistence goes through
:mod:`anchor.store`, the chain through :mod:`anchor.chain`."""
