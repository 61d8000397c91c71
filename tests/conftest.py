"""Shared fixtures live in tests/fixtures/*; this file only wires them in."""

import pytest

pytest_plugins = [
    "tests.fixtures.paths",
    "tests.fixtures.chain",
    "tests.fixtures.db",
]


@pytest.fixture(autouse=True)
def _own_trust_file(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No test reads or writes the real user's pinned registries: every test (and every CLI it
    starts) gets an empty trust file of its own through ANCHOR_TRUST_FILE."""
    path = tmp_path_factory.mktemp("trust") / "trusted-registries.toml"
    monkeypatch.setenv("ANCHOR_TRUST_FILE", str(path))
