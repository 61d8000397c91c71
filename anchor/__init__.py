"""ledger-anchor: tamper-evident anchoring of an exchange's off-chain books."""

__version__ = "0.1.0"
