"""One error root with typed subclasses.

Every error the project raises on purpose derives from :class:`AnchorError`; the CLI
catches the root, prints its one-line message and exits non-zero. Messages never carry
secrets (private keys, salts of other accounts, API keys).
"""

from __future__ import annotations


class AnchorError(Exception):
    """Root of every error ledger-anchor raises on purpose."""

    exit_code: int = 2

    def diagnostics(self) -> str:
        """A one-line, human-readable description."""
        return str(self)


class InputError(AnchorError, ValueError):
    """Input that cannot be used: malformed, out of range, unknown version."""


class RecordError(InputError):
    """A record failed validation; ``field`` names the offending field."""

    def __init__(self, field: str, problem: str, *, line: int | None = None) -> None:
        self.field = field
        self.problem = problem
        self.line = line
        where = f"line {line}: " if line is not None else ""
        super().__init__(f"{where}{field}: {problem}")


class ProofFormatError(InputError):
    """A proof bundle that cannot be parsed (unknown version, missing field, bad hex, trailing data)."""


class VerificationError(AnchorError):
    """A proof that parses but does not verify; ``step`` names the check that failed."""

    exit_code = 1

    def __init__(self, step: str, detail: str) -> None:
        self.step = step
        self.detail = detail
        super().__init__(f"{step}: {detail}")


class RegistryNotPinned(AnchorError):
    """The verifier was given no registry address to trust for the bundle's chain (no
    ``--contract`` and no entry in the trust file): it refuses to judge the anchor.
    Exit code 3, distinct from "invalid" (1) and "unusable input" (2)."""

    exit_code = 3

    def __init__(self, chain_id: int) -> None:
        self.chain_id = chain_id
        super().__init__(f"registry not pinned for chain {chain_id}")


class ConflictError(AnchorError):
    """The same record id arrived with different content, or a state change conflicts."""


class NotFoundError(AnchorError):
    """A record, batch or account that does not exist (or that the caller may not see)."""


class ConfigError(AnchorError):
    """Missing or inconsistent configuration (wrong chain id, no key, bad URL)."""


class DatabaseMissingError(ConfigError):
    """A command that reads the store was pointed at a database that is not there (no
    SQLite file, a PostgreSQL database that cannot be reached or has no schema). Only
    ``anchor db init``, ``anchor serve`` and ``anchor demo`` create one."""


class ChainError(AnchorError):
    """The chain or its RPC misbehaved: unreachable, reverted, reorged below finality."""


class AlarmError(ChainError):
    """A condition an operator must look at: different root on chain, reorg below finality,
    out of funds. Never silenced."""


class StorageError(AnchorError):
    """The database or a backup target failed."""
