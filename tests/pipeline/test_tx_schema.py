"""The transaction manager's SQLModel tables match what migration 0002 creates."""

from __future__ import annotations

from anchor.store.db import Database
from anchor.store.tx_models import TX_TABLES
from tests.fixtures.schema import assert_models_match_migrated_schema


def test_tx_models_match_migrated_schema(db: Database) -> None:
    assert_models_match_migrated_schema(db, TX_TABLES, uniques=True)
