"""The transaction manager's SQLModel tables match what migration 0002 creates."""

from __future__ import annotations

import sqlalchemy as sa

from anchor.store.db import Database
from anchor.store.tx_models import TX_TABLES


def test_tx_models_match_migrated_schema(db: Database) -> None:
    insp = sa.inspect(db.engine)
    for model in TX_TABLES:
        table = model.__table__  # type: ignore[attr-defined]
        migrated = {c["name"]: c for c in insp.get_columns(table.name)}
        assert set(migrated) == {c.name for c in table.columns}, table.name
        for column in table.columns:
            assert migrated[column.name]["nullable"] == column.nullable, (table.name, column.name)
        pk = set(insp.get_pk_constraint(table.name)["constrained_columns"])
        assert pk == {c.name for c in table.primary_key.columns}, table.name
        uniques = {tuple(u["column_names"]) for u in insp.get_unique_constraints(table.name)}
        for constraint in table.constraints:
            if isinstance(constraint, sa.UniqueConstraint):
                assert tuple(c.name for c in constraint.columns) in uniques, table.name
