"""Shared fixtures live in tests/fixtures/*; this file only wires them in."""

pytest_plugins = [
    "tests.fixtures.paths",
    "tests.fixtures.chain",
    "tests.fixtures.db",
]
